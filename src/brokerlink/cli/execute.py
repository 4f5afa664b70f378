"""Run one operation: start the sandbox if asked, open the facade, call its method.

Only this module imports the facades (and so httpx and the generated client): help never does.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO, Any

from brokerlink.cli.manifest import ApiInfo, Operation
from brokerlink.cli.settings import Settings
from brokerlink.errors import InvalidRequest


class SandboxUnavailable(InvalidRequest):
    """``--sandbox`` needs the ``sandbox`` extra (starlette, uvicorn, python-multipart)."""


@dataclass
class Request:
    """Everything the command line collected for one call."""

    api: ApiInfo
    operation: Operation
    arguments: dict[str, Any]
    settings: Settings
    body: dict[str, Any] | None = None
    form: dict[str, tuple[str | None, bytes | str]] | None = None
    sandbox: bool = False
    client_options: dict[str, Any] = field(default_factory=dict)
    call_options: dict[str, Any] = field(default_factory=dict)  # ``with_options`` (--no-guard)


@contextlib.contextmanager
def _sandbox() -> Iterator[Any]:
    try:
        from brokerlink.sandbox.testing import SandboxServer
    except ImportError as exc:
        raise SandboxUnavailable(
            f"--sandbox needs: pip install 'brokerlink[sandbox]' (missing {exc.name})"
        ) from None
    with SandboxServer() as server:
        yield server


def _multipart_body(request: Request) -> Any:
    """The typed multipart model; file fields become ``File`` objects carrying their file name
    (servers read a part without one as a plain text field)."""
    assert request.operation.body is not None and request.form is not None
    package = request.api.facade_module.rsplit(".", 1)[0]
    model = getattr(importlib.import_module(f"{package}.models"), request.operation.body.model)
    file_type = importlib.import_module(f"{package}.types").File
    fields: dict[str, Any] = {}
    for name, (file_name, content) in request.form.items():
        if file_name is None:
            fields[name] = content
        else:
            data = content if isinstance(content, bytes) else content.encode()
            fields[name] = file_type(payload=BytesIO(data), file_name=file_name)
    files = {name: value for name, value in fields.items() if isinstance(value, file_type)}
    body = model.from_dict({**fields, **dict.fromkeys(files, b"")})
    for name, value in files.items():
        setattr(body, name, value)
    return body


def run(request: Request, progress: IO[str] | None, trail: Any = None) -> Any:
    """Call the operation and return its typed result (errors propagate as brokerlink errors).

    ``trail`` (a ``report.RequestTrail``) records the requests sent and the last answer's body.
    """
    plugins: list[object] = [] if trail is None else [trail]
    if progress is not None:
        from brokerlink.cli.progress import WaitDisplay

        plugins.append(WaitDisplay(progress))
    with contextlib.ExitStack() as stack:
        base_url = request.settings.base_url
        options = dict(request.client_options)
        if request.sandbox:
            server = stack.enter_context(_sandbox())
            base_url = server.base_url(request.api.name)
            if request.api.guarded:
                # Keep the sandbox's made-up credentials out of the user's real cache.
                options.setdefault("credential_cache", "memory://")
        facade = getattr(importlib.import_module(request.api.facade_module), request.api.facade)
        client = stack.enter_context(
            facade(
                **request.settings.credentials,
                base_url=base_url,
                plugins=plugins,
                **{k: v for k, v in options.items() if v is not None},
            )
        )
        if request.call_options:
            client = client.with_options(**request.call_options)
        keywords = dict(request.arguments)
        if request.body is not None:
            keywords["body"] = request.body
        elif request.form is not None:
            keywords["body"] = _multipart_body(request)
        try:
            return getattr(client, request.operation.method)(**keywords)
        finally:
            for plugin in plugins:
                stop = getattr(plugin, "stop", None)
                if stop is not None:
                    stop()
