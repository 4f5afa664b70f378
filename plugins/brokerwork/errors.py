"""Built-in plugin: Broker Work failures -> brokerlink exceptions.

Broker Work answers HTTP 200 even when it fails; ``result: false`` and the ``mcode`` decide. Any
unknown mcode still raises ``ApiError`` carrying the code (the vendor's set is open).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from brokerlink.hooks.call import Call
from brokerlink.plugins.error_body import (
    build_error,
    class_for_status,
    json_object,
    known_class,
    short_text,
)
from brokerlink.hooks import hookimpl

from brokerlink import errors

VENDOR = "brokerwork"
CODES: dict[str, type[Exception]] = {
    "BW_INVALID_PARAM": errors.ValidationError,
    "BW_INVALID_SERVERID": errors.ValidationError,
    "-1": errors.ServiceUnavailable,
    "BW_REQUEST_TOO_MUCH": errors.RateLimited,
    "BW_API_0000001": errors.AuthenticationError,
    "BW_API_0000003": errors.AuthenticationError,
    "BW_API_0000004": errors.PermissionDenied,
    "PUB_AUTH_0000001": errors.ValidationError,
    "PUB_AUTH_0000002": errors.ValidationError,
    "PUB_AUTH_0000007": errors.Conflict,
    "BW_USER_EMAIL_REPEAT": errors.Conflict,
    "BW_USER_ENTITYNO_REPEAT": errors.Conflict,
    "BW_USER_NAME_NULL": errors.ValidationError,
    "BW_USER_ROLE_NULL": errors.ValidationError,
}
PREFIXES: tuple[tuple[str, type[Exception]], ...] = (("RIGHT_NO_", errors.PermissionDenied),)


def class_for_mcode(call: Call, mcode: str) -> type[Exception]:
    for prefix, cls in call.client.code_prefixes or PREFIXES:
        if mcode.startswith(prefix):
            return known_class(call, mcode, cls)
    return known_class(call, mcode, errors.ApiError)


@hookimpl
def brokerlink_error_classes(vendor: str) -> Mapping[str, type[Exception]] | None:
    return CODES if vendor == VENDOR else None


@hookimpl(trylast=True)
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    if call.api != VENDOR:
        return
    body = json_object(response)
    if response.status_code >= 300:
        message = body.get("message") if body else short_text(response)
        raise build_error(
            class_for_status(response.status_code), call, response, message=str(message or "")
        )
    if body is None or body.get("result") is not False:
        return  # success, or a body the facade will reject as unexpected
    mcode = str(body.get("mcode") or "")
    raw_message = body.get("errorMessage") or body.get("message")
    if isinstance(raw_message, list):
        raw_message = "; ".join(str(m) for m in raw_message)
    message = (
        str(raw_message)
        if raw_message
        else f"Broker Work refused the request ({mcode or 'no mcode'})"
    )
    raise build_error(
        class_for_mcode(call, mcode),
        call,
        response,
        message=message,
        code=mcode or None,
        details=body.get("data"),
    )
