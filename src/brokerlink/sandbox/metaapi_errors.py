"""MetaApi error bodies and the magic credentials that trigger them."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from brokerlink.sandbox.responses import JSON, json_response

# HTTP status -> (numeric id, error name) of the Error body.
_ERRORS: dict[int, tuple[int, str]] = {
    400: (3, "ValidationError"),
    401: (1, "UnauthorizedError"),
    403: (2, "ForbiddenError"),
    404: (4, "NotFoundError"),
    409: (5, "ConflictError"),
    429: (1, "TooManyRequestsError"),
    500: (0, "InternalError"),
}

# Broker-connection failures: magic code -> message (our wording).
CONNECTION_ERRORS: dict[str, str] = {
    "E_AUTH": "Could not log in to the broker with these credentials; check the MetaTrader "
    "login, password and server name.",
    "E_SERVER_TIMEZONE": "Could not detect the broker server settings; retry later or use a "
    "provisioning profile.",
    "E_NO_SYMBOLS": "The trading account has no symbols configured; the broker must enable them.",
    "ERR_OTP_REQUIRED": "The trading account requires a one-time password; disable OTP first.",
    "E_PASSWORD_CHANGE_REQUIRED": "The broker requires a password change for this account.",
    "E_TRADING_ACCOUNT_DISABLED": "The trading account is disabled by the broker.",
    "E_SRV_NOT_FOUND": "No server file found for this server name; check the name or use a "
    "provisioning profile. Similar names: ICMarketsSC-Demo, ICMarketsSC-MT5.",
    "E_RESOURCE_SLOTS": "Resource slots are below the estimate for this account.",
}
RECOMMENDED_RESOURCE_SLOTS = 2
DEFERRED_PREFIX = "deploy:"


def error(status: int, message: str, details: Any = None) -> Response:
    """An ``Error`` answer: ``{id, error, message, details?}``."""
    ident, name = _ERRORS.get(status, (0, "InternalError"))
    body: JSON = {"id": ident, "error": name, "message": message}
    if details is not None:
        body["details"] = details
    return json_response(body, status)


def not_found(what: str, ident: str) -> Response:
    return error(404, f"{what} with id {ident} not found")


def field_errors(problems: list[tuple[str, Any, str]]) -> Response:
    """A 400 whose ``details`` is the list of ``{parameter, value, message}``."""
    details = [{"parameter": p, "value": v, "message": m} for p, v, m in problems]
    return error(400, "Validation failed", details)


def connection_error(code: str) -> Response:
    """The 400 ValidationError for a broker-connection failure code."""
    details: Any = code
    if code == "E_SRV_NOT_FOUND":
        details = {
            "code": code,
            "serversByBrokers": {"Raw Trading Ltd": ["ICMarketsSC-Demo", "ICMarketsSC-MT5"]},
        }
    elif code == "E_RESOURCE_SLOTS":
        details = {"code": code, "recommendedResourceSlots": RECOMMENDED_RESOURCE_SLOTS}
    return error(400, CONNECTION_ERRORS[code], details)


def magic_code(*values: Any) -> str | None:
    """The connection-error code named by any of ``values`` (e.g. a password ``E_AUTH``)."""
    for value in values:
        if isinstance(value, str) and value in CONNECTION_ERRORS:
            return value
    return None


def deferred_code(password: Any) -> str | None:
    """``deploy:E_AUTH`` -> ``E_AUTH``: accepted now, failing on deploy/redeploy."""
    if isinstance(password, str) and password.startswith(DEFERRED_PREFIX):
        code = password[len(DEFERRED_PREFIX) :]
        if code in CONNECTION_ERRORS:
            return code
    return None
