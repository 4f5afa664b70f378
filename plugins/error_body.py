"""Pieces every vendor's error plugin shares: lenient body parsing, status classes, Retry-After."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from brokerlink import errors
from brokerlink.hooks.call import Call

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
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def class_for_status(status: int) -> type[errors.ApiError]:
    if status in BY_STATUS:
        return BY_STATUS[status]
    if status >= 500:
        return errors.ServerError
    return errors.UnexpectedResponse


def wall_now(call: Call) -> datetime:
    """The call's wall clock as an aware datetime (virtual in tests)."""
    return datetime.fromtimestamp(call.timing.wall(), UTC)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), capped; None if
    absent or garbage. A past date gives 0.0."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def parse_iso_delay(value: Any, now: datetime | None = None) -> float | None:
    """Seconds until an ISO 8601 instant (MetaApi ``recommendedRetryTime``); None if garbage."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
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
    text = message or response.reason_phrase or f"HTTP {response.status_code}"
    request_id = next(
        (response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None
    )
    fields: dict[str, Any] = dict(
        vendor=call.api,
        operation=call.operation_id,
        status=response.status_code,
        code=code,
        details=details,
        body=response.content,
        request_id=request_id,
    )
    if issubclass(cls, errors.RateLimited):
        return cls(text, retry_after=retry_after, **fields)
    if issubclass(cls, errors.ApiError):
        return cls(text, **fields, **(extra or {}))
    return cls(text)


def known_class(call: Call, code: str | None, default: type[Exception]) -> type[Exception]:
    """The class registered for ``code`` (built-in or by a plugin), else ``default``."""
    classes = call.client.error_classes
    if code is not None and code in classes:
        return classes[code]
    return default


def short_text(response: httpx.Response) -> str:
    """A one-line excerpt of a non-JSON body for the message (the whole body stays on .body)."""
    text = response.content[:200].decode("utf-8", "replace")
    return " ".join(text.split()) or (response.reason_phrase or "")
