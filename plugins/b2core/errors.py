"""Built-in plugin: B2Core IB errors -> brokerlink exceptions, by status, body parsed leniently."""

from __future__ import annotations

import httpx

from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call
from brokerlink.plugins.b2core.auth import REFRESH_ON_401
from brokerlink.plugins.error_body import (
    build_error,
    class_for_status,
    json_object,
    parse_retry_after,
    short_text,
    wall_now,
)

VENDOR = "b2core"


@hookimpl(trylast=True)
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    if call.api != VENDOR or response.status_code < 300:
        return
    if response.status_code == 401 and request.extensions.get(REFRESH_ON_401):
        return  # the token auth flow refreshes once and resends
    body = json_object(response)
    message: str | None = None
    code: str | None = None
    if body is not None:
        raw = body.get("message") or body.get("error_description") or body.get("error")
        message = str(raw) if raw else None
        code = str(body["code"]) if body.get("code") is not None else None
    raise build_error(
        class_for_status(response.status_code),
        call,
        response,
        message=message or short_text(response),
        code=code,
        details=body.get("errors") if body else None,
        retry_after=parse_retry_after(response.headers.get("retry-after"), wall_now(call)),
    )
