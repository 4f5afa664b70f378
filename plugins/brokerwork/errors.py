"""Built-in plugin: Broker Work failures -> brokerlink exceptions.

Broker Work answers HTTP 200 even when it fails; ``result: false`` and the ``mcode`` decide. The
classes of the mcodes come from the spec (``x-brokerlink-error-codes``, generated into
``brokerlink.generated.brokerwork.error_codes``); an unknown mcode still raises ``ApiError``
carrying the code (the vendor's set is open).
"""

from __future__ import annotations

import httpx

from brokerlink import errors
from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call
from brokerlink.plugins.error_body import (
    build_error,
    class_for_status,
    json_object,
    known_class,
    short_text,
)

VENDOR = "brokerwork"
SUCCESS_MCODES = ("m0000000", "m00000")


def class_for_mcode(call: Call, mcode: str) -> type[Exception]:
    """The class of ``mcode``: the spec's (and plugins'), else its prefix's, else ``ApiError``."""
    for prefix, cls in call.client.code_prefixes:
        if mcode.startswith(prefix):
            return known_class(call, mcode, cls)
    return known_class(call, mcode, errors.ApiError)


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
    if body is None or "result" not in body or body["result"] is True:
        return  # success (``result`` is the boolean true), or no envelope: the facade reports it
    mcode = str(body.get("mcode") or "")
    if mcode in SUCCESS_MCODES or (not mcode and body["result"] is not False):
        # result 0, null or "false" with no error code: neither a success nor a failure
        raise build_error(
            errors.UnexpectedResponse,
            call,
            response,
            message=f"Broker Work answered result {body.get('result')!r} with mcode {mcode!r}",
            code=mcode or None,
        )
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
