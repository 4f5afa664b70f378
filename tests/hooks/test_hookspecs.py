"""Every hookspec is documented and actually called by brokerlink (a new hook must join here)."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Mapping
from typing import Any

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.hooks import hookspecs
from brokerlink.testing import instant_waits
from tests.hooks.conftest import MODES, run
from tests.recording_server import RecordingServer

SPECS = {
    name: func
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("brokerlink_")
}


def test_specs_are_found() -> None:
    assert len(SPECS) >= 5


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hookspec_is_documented(name: str) -> None:
    func = SPECS[name]
    doc = inspect.getdoc(func) or ""
    options = func.brokerlink_spec  # set by the HookspecMarker
    assert len(doc) > 80, f"{name}: say when it runs and what it may return"
    assert doc.startswith("Runs") or "Extra" in doc.split("\n")[0]
    if options["firstresult"]:
        assert "Firstresult" in doc
    else:
        assert "Not firstresult" in doc
    assert "return" in doc.lower()
    assert all(
        p.annotation is not inspect.Parameter.empty
        for p in inspect.signature(func).parameters.values()
    )


class Recorder:
    """Implements every hookspec; records which ones brokerlink called."""

    def __init__(self) -> None:
        self.called: set[str] = set()

    @brokerlink.hookimpl
    def brokerlink_before_send(self, call: Any, request: Any) -> None:
        self.called.add("brokerlink_before_send")

    @brokerlink.hookimpl
    def brokerlink_after_response(self, call: Any, request: Any, response: Any) -> None:
        self.called.add("brokerlink_after_response")

    @brokerlink.hookimpl
    def brokerlink_on_api_error(self, call: Any, request: Any, response: Any, error: Any) -> None:
        self.called.add("brokerlink_on_api_error")

    @brokerlink.hookimpl
    def brokerlink_on_transport_error(self, call: Any, request: Any, error: Any) -> None:
        self.called.add("brokerlink_on_transport_error")

    @brokerlink.hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.called.add("brokerlink_before_wait")

    @brokerlink.hookimpl
    def brokerlink_wait_advice(self, call: Any, response: Any) -> None:
        self.called.add("brokerlink_wait_advice")

    @brokerlink.hookimpl
    def brokerlink_client_auth(self, api: str, base_url: str, credentials: Any) -> None:
        self.called.add("brokerlink_client_auth")

    @brokerlink.hookimpl
    def brokerlink_error_classes(self, vendor: str) -> Mapping[str, type[Exception]] | None:
        self.called.add("brokerlink_error_classes")
        return None


def test_recorder_covers_every_spec() -> None:
    implemented = {n for n in dir(Recorder) if n.startswith("brokerlink_")}
    assert implemented == set(SPECS)


@MODES
def test_every_hookspec_is_exercised(server: RecordingServer, asynchronous: bool) -> None:
    recorder = Recorder()
    server.reply(503, {"message": "busy"})  # after_response, then a wait and a resend
    server.reply(200, ["london"])
    with instant_waits():
        run(
            "metaapi",
            f"{server.url}/metaapi",
            asynchronous,
            lambda c: c.list_regions(),
            plugins=[recorder],
        )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}/metaapi"
        with pytest.raises(errors.TransportError):
            run("metaapi", closed, asynchronous, lambda c: c.list_regions(), plugins=[recorder])
    assert recorder.called == set(SPECS)
