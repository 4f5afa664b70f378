"""Pieces every vendor's error plugin shares: lenient body parsing, status classes, Retry-After."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from brokerlink import errors
from brokerlink.hooks.call import Call, masked, secrets_of

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id")
MAX_RETRY_AFTER = 3600.0

BY_STATUS: dict[int, type[errors.ApiError]] = {
    400: errors.ValidationError,
    401: errors.AuthenticationError,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.ValidationError,
    429: errors.RateLimited,
    503: errors.ServiceUnavailable,
}


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None for HTML, text, truncated or non-object JSON."""
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return data if isinstance(data, dict) else None


def request_id(response: httpx.Response) -> str | None:
    """The vendor's request id from the first of ``REQUEST_ID_HEADERS`` present, else None."""
    return next((response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None)


def class_for_status(status: int) -> type[errors.ApiError]:
    fallback = errors.ServerError if status >= 500 else errors.UnexpectedResponse
    return BY_STATUS.get(status, fallback)


def wall_now(call: Call) -> datetime:
    """The call's wall clock as an aware datetime (virtual in tests)."""
    return datetime.fromtimestamp(call.timing.wall(), UTC)


def seconds_until(when: datetime, now: datetime | None) -> float:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return (aware - (now or datetime.now(UTC))).total_seconds()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), capped; None if
    absent or garbage. A past date gives 0.0."""
    if value is None:
        return None
    try:
        try:
            seconds = float(value)
        except ValueError:
            seconds = seconds_until(parsedate_to_datetime(value.strip()), now)
    except (TypeError, ValueError, IndexError, OverflowError):  # garbage, or a year 9999999999
        return None
    return None if seconds != seconds else min(max(seconds, 0.0), MAX_RETRY_AFTER)  # NaN: None


def parse_iso_delay(value: Any, now: datetime | None = None) -> float | None:
    """Seconds until an ISO 8601 instant (MetaApi ``recommendedRetryTime``); None if garbage."""
    try:
        seconds = seconds_until(datetime.fromisoformat(value.replace("Z", "+00:00")), now)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def build_error(
    cls: type[Exception],
    call: Call,
    response: httpx.Response,
    *,
    message: str | None,
    code: str | None = None,
    details: Any = None,
    retry_after: float | None = None,
    extra: dict[str, Any] | None = None,
) -> Exception:
    """An exception of ``cls`` carrying everything about the failed answer (``extra``: what a
    vendor's subclass takes besides, e.g. MetaApi's suggested servers)."""
    secrets = secrets_of(call.client.secrets, call.body)  # a server may echo them anywhere
    text = masked(message or response.reason_phrase or f"HTTP {response.status_code}", secrets)
    fields: dict[str, Any] = dict(
        vendor=call.api,
        operation=call.operation_id,
        status=response.status_code,
        code=code,
        details=masked(details, secrets),
        body=masked(response.content, secrets),
        request_id=request_id(response),
    )
    if issubclass(cls, errors.RateLimited):
        return cls(text, retry_after=retry_after, **fields)
    if issubclass(cls, errors.ApiError):
        return cls(text, **fields, **(extra or {}))
    return cls(text)


def known_class(call: Call, code: str | None, default: type[Exception]) -> type[Exception]:
    """The class registered for ``code`` (built-in or by a plugin), else ``default``."""
    return default if code is None else call.client.error_classes.get(code, default)


def short_text(response: httpx.Response) -> str:
    """A one-line excerpt of a non-JSON body for the message (the whole body stays on .body)."""
    text = response.content[:200].decode("utf-8", "replace")
    return " ".join(text.split()) or (response.reason_phrase or "")
