"""Built-in plugin: MetaApi errors -> brokerlink exceptions, by ``details`` code, then by status."""

from __future__ import annotations

from typing import Any

import httpx

from brokerlink import errors
from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call
from brokerlink.plugins.error_body import (
    build_error,
    class_for_status,
    json_object,
    known_class,
    parse_retry_after,
    short_text,
    wall_now,
)
from brokerlink.plugins.metaapi.advice import advised_wait

VENDOR = "metaapi"


def _servers(details: Any) -> dict[str, list[str]]:
    servers = details.get("serversByBrokers") if isinstance(details, dict) else None
    if not isinstance(servers, dict):
        return {}
    return {str(k): [str(s) for s in v] for k, v in servers.items() if isinstance(v, list)}


def recommended_slots(details: Any) -> float | None:
    """``recommendedResourceSlots`` of an E_RESOURCE_SLOTS ``details`` object, if a number."""
    value = details.get("recommendedResourceSlots") if isinstance(details, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _extra(cls: type[Exception], details: Any) -> dict[str, Any]:
    """What MetaApi's richer rejections carry besides the common fields."""
    if issubclass(cls, errors.BrokerServerNotFound):
        return {"suggested_servers": _servers(details)}
    if issubclass(cls, errors.ResourceSlotsTooLow):
        return {"recommended_resource_slots": recommended_slots(details)}
    return {}


def details_code(details: Any) -> str | None:
    """The code in any of the three real ``details`` shapes (string, object, field-error list)."""
    if isinstance(details, str):
        return details
    if isinstance(details, dict) and isinstance(details.get("code"), str):
        return str(details["code"])
    return None


@hookimpl(trylast=True)
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    if call.api != VENDOR or response.status_code < 300 or response.status_code == 202:
        return
    body = json_object(response)
    if body is None:
        cls: type[Exception] = class_for_status(response.status_code)
        if response.status_code < 500 and response.status_code not in (401, 403, 404, 429):
            cls = errors.UnexpectedResponse
        raise build_error(
            cls,
            call,
            response,
            message=short_text(response),
            retry_after=parse_retry_after(response.headers.get("retry-after"), wall_now(call)),
        )
    details = body.get("details")
    code = details_code(details)
    message = body.get("message") if isinstance(body.get("message"), str) else None
    retry_after = advised_wait(call, response)
    cls = known_class(call, code, class_for_status(response.status_code))
    raise build_error(
        cls,
        call,
        response,
        message=message or body.get("error"),
        code=code,
        details=details,
        retry_after=retry_after,
        extra=_extra(cls, details),
    )
