"""Built-in plugin: poll HTTP 202 answers until the final one, resumably, never creating twice.

An operation whose spec documents a 202 (MetaApi's ``createAccount``, ``createAccountReplica``
and the demo-account calls) is answered 202 while the server works. The same request (same
``transaction-id``) is sent again after the advised wait (the ``brokerlink_wait_advice`` hook:
``Retry-After`` here, a vendor's body advice in its plugin), else ``poll_interval``. A zero or
past advice still waits ``MIN_WAIT`` and polls again (202 is never success); absurd advice is
capped at ``MAX_WAIT``. Past ``poll_timeout`` the call raises ``PollTimeout`` with the
transaction-id to resume with.
"""

from __future__ import annotations

import httpx

from brokerlink.errors import PollTimeout
from brokerlink.hooks import hookimpl
from brokerlink.hooks.call import Call, Resend
from brokerlink.plugins.error_body import json_object, parse_retry_after, wall_now

DEFAULT_POLL_TIMEOUT = 600.0  # seconds a polled call may take in all
DEFAULT_POLL_INTERVAL = 5.0  # no usable advice from the server
MIN_WAIT = 0.5  # advice of zero or a past instant
MAX_WAIT = 300.0  # advice beyond this is treated as a glitch
POLLS = "polling.count"  # this plugin's key in call.state: 202 answers so far


def poll_budget(call: Call) -> float:
    """Seconds from the call's start a polled call may take (its retries included)."""
    limit = call.options.poll_timeout
    return DEFAULT_POLL_TIMEOUT if limit is None else limit


def advised_wait(call: Call, response: httpx.Response) -> tuple[float, str | None]:
    """The wait the 202 asks for, bounded, and the server's message (for progress)."""
    body = json_object(response) or {}
    message = body.get("message") if isinstance(body.get("message"), str) else None
    wait = call.advice(response)
    if wait is None:
        wait = call.options.poll_interval or DEFAULT_POLL_INTERVAL  # 0 is no interval either
    return min(max(wait, MIN_WAIT), MAX_WAIT), message


@hookimpl(trylast=True)
def brokerlink_wait_advice(call: Call, response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds or as an HTTP-date (on the call's wall clock)."""
    return parse_retry_after(response.headers.get("retry-after"), wall_now(call))


@hookimpl(tryfirst=True)
def brokerlink_after_response(
    call: Call, request: httpx.Request, response: httpx.Response
) -> Resend | None:
    if response.status_code != 202 or not call.operation.polls:
        return None  # a 202 elsewhere is undocumented: the facade reports it
    polls = call.state[POLLS] = int(call.state.get(POLLS, 0)) + 1
    wait, message = advised_wait(call, response)
    left = poll_budget(call) - call.elapsed()
    if left <= 0:
        key = call.operation.key_header
        tid = request.headers.get(key) if key else None
        resume = f"{key.replace('-', '_')}={tid!r}" if key else "the same arguments"
        raise PollTimeout(
            f"{call.api}.{call.operation_id} still in progress after {call.elapsed():.1f} s and "
            f"{polls} answer(s) 202 (last: {message or 'no message'}); call it again with "
            f"{resume} to resume",
            vendor=call.api,
            operation=call.operation_id,
            transaction_id=tid,
            attempts=call.attempt,
            elapsed=call.elapsed(),
            last_message=message,
        )
    return Resend(seconds=min(wait, left), reason="accepted", message=message)
