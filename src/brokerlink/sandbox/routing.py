"""A flat router: fixed paths by dict lookup, templated paths by segment comparison.

Starlette's Router tries every route's regex in turn; with ~60 routes that dominated the cost of
a request, and the sandbox is meant to be a cheap load target.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
RouteTable = list[tuple[str, str, Endpoint]]
"""(method, path template, endpoint) rows; templates use ``{name}`` segments."""

_Template = tuple[str, tuple[str | None, ...], tuple[str, ...], Endpoint]


class SandboxRouter(Router):
    """Dispatches ``prefix + template`` paths of several route tables."""

    def __init__(self, tables: Iterable[tuple[str, RouteTable]]) -> None:
        super().__init__()
        self._fixed: dict[tuple[str, str], Endpoint] = {}
        self._fixed_paths: set[str] = set()
        self._templated: dict[int, list[_Template]] = {}
        for prefix, table in tables:
            for method, template, endpoint in table:
                path = prefix + template
                self.routes.append(Route(path, endpoint, methods=[method]))
                if "{" not in path:
                    self._fixed[(method, path)] = endpoint
                    self._fixed_paths.add(path)
                    continue
                segments = path.split("/")
                pattern = tuple(None if s.startswith("{") else s for s in segments)
                names = tuple(s[1:-1] for s in segments if s.startswith("{"))
                self._templated.setdefault(len(segments), []).append(
                    (method, pattern, names, endpoint)
                )

    def _match(self, method: str, path: str) -> tuple[Endpoint | None, dict[str, str], bool]:
        """(endpoint, path params, whether the path exists for another method)."""
        segments = path.split("/")
        other_method = False
        for wanted, pattern, names, endpoint in self._templated.get(len(segments), ()):
            values = []
            for expected, actual in zip(pattern, segments, strict=True):
                if expected is None:
                    if not actual:
                        break
                    values.append(actual)
                elif expected != actual:
                    break
            else:
                if wanted == method:
                    return endpoint, dict(zip(names, values, strict=True)), False
                other_method = True
        return None, {}, other_method or path in self._fixed_paths

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        method: str = scope["method"]
        endpoint = self._fixed.get((method, path))
        params: dict[str, str] = {}
        if endpoint is None:
            endpoint, params, other_method = self._match(method, path)
            if endpoint is None:
                status = 405 if other_method else 404
                text = "Method Not Allowed" if other_method else "Not Found"
                await PlainTextResponse(text, status)(scope, receive, send)
                return
        scope["path_params"] = params
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)
