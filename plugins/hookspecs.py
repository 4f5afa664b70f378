"""The hooks brokerlink calls. All are plain synchronous functions without I/O: they look at a
request or response and return a decision; the hook transport carries it out, sync or async.

Every hook name starts with ``brokerlink_``; implement them with ``@brokerlink.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pluggy
from brokerlink.plugins.call import Call, Resend

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
    """Extra vendor error codes -> exception classes (subclasses of ``ApiError``).

    Not firstresult; all mappings are merged, plugins registered later winning over earlier ones,
    so a third party can refine or add codes (e.g. a new MetaApi ``details`` code).
    """
