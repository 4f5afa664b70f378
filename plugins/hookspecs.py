"""The hooks brokerlink calls. All are plain synchronous functions without I/O: they look at a
request or response and return a decision; the hook transport carries it out, sync or async.
A hook that needs I/O (a cache lookup or write) defers it with ``call.defer(effect)``: the
executor runs ``effect.run()`` or ``await effect.arun()`` as soon as the hook round ends, even
when the round raised.

Every hook name starts with ``brokerlink_``; implement them with ``@brokerlink.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pluggy
from brokerlink.plugins.call import Call, Resend

from brokerlink.errors import ApiError

PROJECT = "brokerlink"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def brokerlink_before_send(call: Call, request: httpx.Request) -> httpx.Response | None:
    """Runs before every send of a request, retries and polls included.

    Firstresult. A hook may change ``request`` in place (headers), return an ``httpx.Response`` to
    answer locally without sending (the first one returned wins), or raise a
    ``brokerlink.errors.BrokerLinkError`` to stop the call. Return None to let it go.
    """


@hookspec(firstresult=True)
def brokerlink_after_response(
    call: Call, request: httpx.Request, response: httpx.Response
) -> Resend | None:
    """Runs on every response, its body already read.

    Firstresult. Return a ``Resend`` to wait and send again (polling, retries), raise a
    ``brokerlink.errors.ApiError`` to fail the call, or None to accept the response as final.
    The vendor error plugins raise from ``trylast`` impls (then ``brokerlink_on_api_error``
    may still turn the failure into a resend); the polling plugin is ``tryfirst`` on 202.
    """


@hookspec(firstresult=True)
def brokerlink_on_api_error(
    call: Call, request: httpx.Request, response: httpx.Response, error: ApiError
) -> Resend | None:
    """Runs when an ``after_response`` hook raised an ``ApiError`` (the answer was a failure).

    Firstresult. Return a ``Resend`` to wait and send again instead of failing (the retries
    plugin does so for ``RateLimited`` and ``ServerError``), or None to let ``error`` reach the
    caller. Successful answers never get here, so this costs nothing on the happy path.
    """


@hookspec(firstresult=True)
def brokerlink_on_transport_error(
    call: Call, request: httpx.Request, error: httpx.TransportError
) -> Resend | None:
    """Runs when sending fails without a response (connection error, timeout).

    Firstresult. Return a ``Resend`` to try again; None lets brokerlink raise
    ``brokerlink.errors.TransportError`` (or ``ApiTimeout``).
    """


@hookspec
def brokerlink_before_wait(
    call: Call, attempt: int, seconds: float, reason: str, message: str | None
) -> None:
    """Runs before each wait between two sends: for progress displays, logs and metrics.

    Not firstresult; return values are ignored. ``attempt`` is the number of the send that just
    ended, ``reason`` a short word (``"accepted"``, ``"rate-limited"``, ``"server-error"``,
    ``"transport-error"``), ``message`` the server's own words if it gave any.
    """


@hookspec
def brokerlink_error_classes(vendor: str) -> Mapping[str, type[Exception]] | None:
    """Runs once per client when it is made: extra vendor error codes -> exception classes.

    Not firstresult: return a mapping of codes to subclasses of ``ApiError`` for ``vendor``
    (``"metaapi"``, ``"brokerwork"``, ``"b2core"``), or None. All mappings are merged, plugins
    registered later winning, so a third party can refine or add codes (a new MetaApi
    ``details`` code, a Broker Work ``mcode``).
    """
