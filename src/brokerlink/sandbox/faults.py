"""Fault injection: an ASGI middleware that breaks answers on request.

A fault is chosen per request (header ``x-sandbox-fault`` or query ``sandbox_fault``) or per
server (a :class:`FaultPlan` rule, from ``create_app(fault=...)`` or ``POST /_sandbox/faults``).
"""

from __future__ import annotations

import asyncio
import http
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brokerlink.sandbox.clock import Clock, iso_utc

FAULT_HEADER = b"x-sandbox-fault"
DELAY_HEADER = b"x-sandbox-delay"
FAULT_PARAM = "sandbox_fault"
DELAY_PARAM = "sandbox_delay"

SIMPLE_MODES = frozenset(
    {
        "malformed-json",
        "truncated-json",
        "reset",
        "slow",
        "accepted-no-retry-after",
        "accepted-garbage-retry-after",
        "429",
        "empty-body",
    }
)
_HTML_MODE = re.compile(r"^html-(5\d\d)$")
APIS = ("metaapi", "brokerwork", "b2core")


def is_mode(mode: str) -> bool:
    """True for a fault mode this module knows."""
    return mode in SIMPLE_MODES or _HTML_MODE.match(mode) is not None


@dataclass
class FaultRule:
    """A server-side fault: ``mode`` for the next ``times`` requests (None: all) of ``api``."""

    mode: str
    times: int | None = None
    api: str | None = None
    delay: float | None = None


class FaultPlan:
    """The server-side fault rules, consumed in order."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        if not is_mode(rule.mode):
            raise ValueError(f"unknown fault mode {rule.mode!r}")
        if rule.api is not None and rule.api not in APIS:
            raise ValueError(f"unknown api {rule.api!r}")
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, api: str) -> FaultRule | None:
        """The first live rule for ``api``, counting one use of it."""
        for rule in self.rules:
            if rule.api is not None and rule.api != api:
                continue
            if rule.times is None:
                return rule
            if rule.times > 0:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
                return rule
        return None


_HTML_BODY = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _reason(code: int) -> str:
    """The reason phrase of a 5xx status (``Server Error`` for one HTTP does not name)."""
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Server Error"


_MALFORMED = b'{"result": true, "data": [{"id": 1,, "name": undefined}'


class FaultMiddleware:
    """Wraps the sandbox app; answers normally unless a fault is asked for."""

    def __init__(
        self,
        app: ASGIApp,
        plan: FaultPlan,
        clock: Clock,
        slow_delay: Callable[[], float],
        retry_seconds: Callable[[], int],
    ) -> None:
        self.app = app
        self.plan = plan
        self.clock = clock
        self.slow_delay = slow_delay
        self.retry_seconds = retry_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        mode, delay = _requested(scope)
        if mode is None and self.plan.rules and api in APIS:
            rule = self.plan.take(api)
            if rule is not None:
                mode, delay = rule.mode, rule.delay
        if mode is None or api == "_sandbox":
            await self.app(scope, receive, send)
            return
        if not is_mode(mode):
            await _send(send, 400, b"text/plain", f"unknown sandbox fault mode {mode!r}".encode())
            return
        await self._apply(mode, delay, api, scope, receive, send)

    async def _apply(
        self, mode: str, delay: float | None, api: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        html = _HTML_MODE.match(mode)
        if html is not None:
            code = int(html.group(1))
            await _send(
                send,
                code,
                b"text/html",
                _HTML_BODY.format(code=code, reason=_reason(code)).encode(),
            )
        elif mode == "slow":
            await asyncio.sleep(self.slow_delay() if delay is None else delay)
            await self.app(scope, receive, send)
        elif mode == "malformed-json":
            await _send(send, 200, b"application/json", _MALFORMED)
        elif mode == "empty-body":
            await _send(send, 200, b"application/json", b"")
        elif mode in ("truncated-json", "reset"):
            status, headers, body = await _capture(self.app, scope, receive)
            if len(body) < 4:
                status = 200 if status in (204, 304) else status
                body = b'{"id": "00000000-0000-0000-0000-000000000000", "state": "DEPLOYED"}'
            half = body[: len(body) // 2]
            declared = len(body) if mode == "reset" else len(half)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(declared).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            # ``reset``: leave the body unfinished; the server then drops the connection.
            await send({"type": "http.response.body", "body": half, "more_body": mode == "reset"})
        elif mode.startswith("accepted-"):
            await self._accepted(send, garbage=mode == "accepted-garbage-retry-after")
        else:  # "429"
            await self._too_many(api, send)

    async def _accepted(self, send: Send, *, garbage: bool) -> None:
        seconds = self.retry_seconds()
        body = {
            "id": 1,
            "error": "AcceptedError",
            "message": f"The request is still being processed; retry in {seconds} seconds",
            "metadata": {"recommendedRetryTime": iso_utc(self.clock.now() + seconds)},
        }
        extra = [(b"retry-after", b"soon")] if garbage else []
        await _send(send, 202, b"application/json", json.dumps(body).encode(), extra)

    async def _too_many(self, api: str, send: Send) -> None:
        seconds = self.retry_seconds()
        retry = [(b"retry-after", str(seconds).encode())]
        body: dict[str, Any]
        if api == "brokerwork":
            body = {
                "result": False,
                "mcode": "BW_REQUEST_TOO_MUCH",
                "data": None,
                "errorMessage": "Request too frequent",
                "time": int(self.clock.now() * 1000),
            }
            await _send(send, 200, b"application/json", json.dumps(body).encode())
            return
        if api == "metaapi":
            body = {
                "id": 1,
                "error": "TooManyRequestsError",
                "message": "Rate limit exceeded for this account; try again later",
                "metadata": {
                    "periodInMinutes": 60,
                    "requestsPerPeriodAllowed": 10000,
                    "recommendedRetryTime": iso_utc(self.clock.now() + seconds),
                    "type": "LIMIT_REQUEST_RATE_PER_USER",
                },
            }
        else:
            body = {"code": 429, "message": "Too Many Requests"}
        await _send(send, 429, b"application/json", json.dumps(body).encode(), retry)


def _requested(scope: Scope) -> tuple[str | None, float | None]:
    """The fault mode and delay the request itself asks for (header first, then query)."""
    mode: str | None = None
    delay: float | None = None
    for key, value in scope["headers"]:
        if key == FAULT_HEADER:
            mode = value.decode("latin-1").strip()
        elif key == DELAY_HEADER:
            delay = _float(value.decode("latin-1"))
    query: bytes = scope.get("query_string", b"")
    if b"sandbox_" in query:
        for key_text, value_text in parse_qsl(query.decode("latin-1")):
            if key_text == FAULT_PARAM and mode is None:
                mode = value_text.strip()
            elif key_text == DELAY_PARAM and delay is None:
                delay = _float(value_text)
    return mode, delay


def _float(text: str) -> float | None:
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


async def _send(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, Any, bytes]:
    """Run the real app and collect its answer instead of sending it."""
    start: Message = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, collect)
    return int(start.get("status", 200)), list(start.get("headers", [])), b"".join(chunks)
