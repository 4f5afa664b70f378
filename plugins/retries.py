"""Built-in plugin: resend transient failures with capped exponential backoff and jitter.

It acts on the one error model rather than on raw statuses: whatever a vendor plugin classified
as ``RateLimited``, ``ServiceUnavailable`` or ``ServerError`` (a MetaApi 429, a Broker Work
``BW_REQUEST_TOO_MUCH`` inside an HTTP 200, a B2Core 502 HTML page) is retried the same way. The
vendor's advised wait (``Retry-After`` seconds or HTTP-date, MetaApi
``metadata.recommendedRetryTime``) wins over the backoff. Only requests that are safe to send
twice are resent: idempotent operations (those carrying a ``transaction-id`` included) and requests
that never left this machine (connect errors).
"""

from __future__ import annotations

import random

import httpx

from brokerlink.errors import ApiError, RateLimited, ServerError
from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call, Resend
from brokerlink.plugins.polling import MIN_WAIT, poll_budget

DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_DEADLINE = 120.0  # seconds from the call's start; polled calls use poll_timeout
BASE_DELAY = 0.5
MAX_DELAY = 30.0
STREAK = "retries.streak"  # this plugin's key in call.state: (resends in a row, last attempt)

# Never sent: safe to resend whatever the operation does. Only a refused connection qualifies:
# some transports report a dropped connection as ConnectTimeout, so that one must not.
_NOT_SENT = (httpx.ConnectError,)
# Our side's mistakes (a URL httpx cannot send to, a request it cannot write): resending fails
# the same way, so they are never resent.
_CONFIGURATION = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
_jitter = random.Random()


def backoff(retry: int) -> float:
    """Equal-jitter exponential backoff for the ``retry``-th resend (1-based), capped."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2.0 ** (retry - 1))
    return ceiling / 2 + _jitter.uniform(0, ceiling / 2)


def deadline(call: Call) -> float:
    """Seconds from the call's start after which no more resends start."""
    if call.operation.polls:
        return poll_budget(call)
    if call.options.retry_deadline is not None:
        return call.options.retry_deadline
    return DEFAULT_RETRY_DEADLINE


def safe_to_resend(call: Call, request: httpx.Request) -> bool:
    """Idempotent by the spec (an operation with an idempotency key, MetaApi's transaction-id,
    is tagged so by the generator)."""
    return call.operation.idempotent


def _plan(call: Call, advised: float | None, reason: str, message: str | None) -> Resend | None:
    """A resend if retries and time are left, else None (the failure stands)."""
    limit = call.options.max_retries
    limit = DEFAULT_MAX_RETRIES if limit is None else limit
    # Consecutive failures only: a sound answer in between (a 202 poll) starts a new streak.
    done, last = call.state.get(STREAK, (0, 0))
    if last != call.attempt - 1:
        done = 0
    if done >= limit:
        return None
    # Advice of zero or a past instant waits the same short minimum as a 202's.
    wait = max(advised, MIN_WAIT) if advised is not None else backoff(done + 1)
    if call.elapsed() + wait > deadline(call):
        return None
    call.state[STREAK] = (done + 1, call.attempt)
    return Resend(seconds=wait, reason=reason, message=message)


@hookimpl(trylast=True)
def brokerlink_on_api_error(
    call: Call, request: httpx.Request, response: httpx.Response, error: ApiError
) -> Resend | None:
    if isinstance(error, RateLimited):
        # Over the limit the server did not act on the request: any operation may resend.
        advised = error.retry_after
        if advised is None:
            advised = call.advice(response)
        return _plan(call, advised, "rate-limited", error.message)
    transient = isinstance(error, ServerError) or error.code in call.client.retryable_codes
    if transient and safe_to_resend(call, request):
        return _plan(call, call.advice(response), "server-error", error.message)
    return None


@hookimpl(trylast=True)
def brokerlink_on_transport_error(
    call: Call, request: httpx.Request, error: httpx.TransportError
) -> Resend | None:
    if isinstance(error, _CONFIGURATION):
        return None
    if not (isinstance(error, _NOT_SENT) or safe_to_resend(call, request)):
        return None
    return _plan(call, None, "transport-error", type(error).__name__)
