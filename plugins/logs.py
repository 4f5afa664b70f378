"""Built-in plugin: stdlib logging under ``brokerlink.*``, never a secret.

- ``brokerlink.http`` DEBUG: one line per send and per answer (operation, method, path, status,
  milliseconds, attempt). Only the URL path is logged: no query, header or body ever is.
- ``brokerlink.wait`` INFO: one line per wait (202 polls, retries) with the server's message.
- ``brokerlink.http`` DEBUG: a transport failure (a retry also logs its wait at INFO).
"""

from __future__ import annotations

import logging

import httpx

from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call

http_log = logging.getLogger("brokerlink.http")
wait_log = logging.getLogger("brokerlink.wait")
SENT_AT = "logs.sent_at"


def _name(call: Call) -> str:
    return f"{call.api}.{call.operation_id}"


@hookimpl(tryfirst=True)
def brokerlink_before_send(call: Call, request: httpx.Request) -> None:
    if http_log.isEnabledFor(logging.DEBUG):
        call.state[SENT_AT] = call.timing.monotonic()
        method, path = request.method, request.url.path
        http_log.debug("%s %s %s attempt %d", _name(call), method, path, call.attempt)


@hookimpl(tryfirst=True)
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    # Registered after the other built-ins, so among tryfirst impls this one runs first.
    if http_log.isEnabledFor(logging.DEBUG):
        took = (call.timing.monotonic() - call.state.get(SENT_AT, call.started)) * 1000
        http_log.debug("%s -> %d in %.1f ms", _name(call), response.status_code, took)


@hookimpl(tryfirst=True)
def brokerlink_on_transport_error(
    call: Call, request: httpx.Request, error: httpx.TransportError
) -> None:
    if http_log.isEnabledFor(logging.DEBUG):
        what = f"{request.method} {request.url.path} failed: {type(error).__name__}"
        http_log.debug("%s %s (attempt %d)", _name(call), what, call.attempt)


@hookimpl
def brokerlink_before_wait(
    call: Call, attempt: int, seconds: float, reason: str, message: str | None
) -> None:
    said = f" ({message})" if message else ""
    wait_log.info(
        "%s %s: waiting %.1f s before attempt %d%s", _name(call), reason, seconds, attempt + 1, said
    )
