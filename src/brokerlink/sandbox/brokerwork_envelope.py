"""Broker Work answers: the ``{result, mcode, data, errorMessage, time}`` envelope (always HTTP
200) and the magic inputs that force a failure mcode."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from brokerlink.sandbox.responses import JSON, json_response

SUCCESS = "m0000000"

# Magic serverId values -> the mcode they answer (any other unknown serverId: BW_INVALID_SERVERID).
MAGIC_SERVER_IDS: dict[str, str] = {
    "990": "-1",
    "991": "BW_REQUEST_TOO_MUCH",
    "992": "BW_INVALID_PARAM",
    "993": "RIGHT_NO_00000001",
    "994": "m0000001",
    "995": "BW_SANDBOX_0000042",
    "996": "MT4_3",
}
MAGIC_PREFIX = "mcode:"
"""A query value or top-level body string ``mcode:<CODE>`` makes the call fail with CODE."""
NO_OPENAPI_TENANT = "T_NO_OPENAPI"
"""Tenant id whose calls all answer BW_API_0000004 (open API not enabled)."""

MESSAGES: dict[str, str] = {
    "m0000001": "Operation failed",
    "-1": "Service error, try again later",
    "BW_INVALID_PARAM": "Invalid parameters",
    "BW_INVALID_SERVERID": "Invalid serverId",
    "BW_REQUEST_TOO_MUCH": "Too many requests",
    "BW_API_0000001": "The api token is empty",
    "BW_API_0000003": "Invalid tenant id or token",
    "BW_API_0000004": "Open API is not enabled for this tenant",
    "RIGHT_NO_00000001": "No permission to view this data",
}


class Failure(Exception):
    """Raised by a handler to answer ``result: false`` with ``mcode``."""

    def __init__(self, mcode: str, message: str | None = None) -> None:
        super().__init__(mcode)
        self.mcode = mcode
        self.message = message if message is not None else MESSAGES.get(mcode, mcode)


def success(data: Any, now_ms: int) -> Response:
    body: JSON = {"result": True, "mcode": SUCCESS, "data": data, "time": now_ms}
    return json_response(body)


def failure(
    mcode: str, message: str, now_ms: int, *, message_key: str = "errorMessage"
) -> Response:
    body: JSON = {
        "result": False,
        "mcode": mcode,
        "data": None,
        message_key: message,
        "time": now_ms,
    }
    return json_response(body)


def magic_value(value: Any) -> str | None:
    """The mcode named by a ``mcode:<CODE>`` string, else None."""
    if isinstance(value, str) and value.startswith(MAGIC_PREFIX):
        return value[len(MAGIC_PREFIX) :] or "m0000001"
    return None
