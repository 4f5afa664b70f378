"""The hooks brokerlink calls. Every hook name starts with ``brokerlink_``; implement them with
``@brokerlink.hookimpl``.

The per-request hooks are plain synchronous functions without I/O: they look at a request or
response and return a decision; the executor carries it out, sync or async. A hook that needs
I/O (a cache lookup or write) defers it with ``call.defer(effect)``: the executor runs
``effect.run()`` or ``await effect.arun()`` as soon as the hook round ends, even when the round
raised.

Order. Each client collects its implementations from pluggy once, when it is made, in pluggy's
call order: ``tryfirst`` implementations, then plain ones, then ``trylast`` ones; within a tier
the plugin registered last runs first. Plugins are registered in this order: the built-ins of
``manager.BUILTIN_PLUGINS`` (in that order), then entry-point plugins (in the order
``importlib.metadata`` lists them), then the client's own ``plugins=`` (in the order given). So a
third-party implementation runs before a built-in one of the same tier, and a client's own
before both. Firstresult hooks stop at the first result that is not None. The built-ins use the
tiers like this:

- ``logs`` is ``tryfirst`` (it sees every send and answer, and returns nothing);
- polling is ``tryfirst`` on ``after_response`` (a 202 is answered before any error plugin);
- the vendor error plugins raise from ``trylast`` ``after_response`` implementations, and the
  retries plugin is ``trylast`` on ``on_api_error`` and ``on_transport_error``, so a plugin of
  the plain tier can always decide first.

A hook implemented with pluggy's ``wrapper=True`` (or an old-style hookwrapper) makes that hook
go through pluggy's own caller for the client. Hook call monitoring (``add_hookcall_monitoring``)
sees the hooks called through pluggy: those with a wrapper, and the once-per-client hooks.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pluggy

from brokerlink.errors import ApiError
from brokerlink.hooks.call import Call, ClientState, Resend

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
    ``brokerlink.errors.ApiError`` to fail the call (then ``brokerlink_on_api_error`` may still
    turn the failure into a resend), or None to accept the response as final.
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


@hookspec(firstresult=True)
def brokerlink_wait_advice(call: Call, response: httpx.Response) -> float | None:
    """Runs when a wait before the next send is being planned: return the seconds ``response``
    asks the client to wait, or None for no advice.

    Firstresult. Asked by the polling plugin on each 202 and by the retries plugin on a failure
    that carries no advice of its own. The built-in reads ``Retry-After`` (seconds or HTTP-date);
    a vendor plugin adds what its API says in the body (MetaApi ``recommendedRetryTime``).
    """


@hookspec
def brokerlink_before_wait(
    call: Call, attempt: int, seconds: float, reason: str, message: str | None
) -> None:
    """Runs before each wait between two sends: for progress displays, logs and metrics.

    Not firstresult; return values are ignored. ``attempt`` is the number of the send that just
    ended, ``reason`` a short word (``"accepted"``, ``"rate-limited"``, ``"server-error"``,
    ``"transport-error"``; ``"waiting"`` between the reads of a waiter such as
    ``MetaApi.wait_deployed``), ``message`` the server's own words if it gave any.
    """


@hookspec
def brokerlink_error_classes(vendor: str) -> Mapping[str, type[Exception]] | None:
    """Runs once per client when it is made: extra vendor error codes -> exception classes.

    Not firstresult: return a mapping of codes to subclasses of ``ApiError`` for ``vendor``
    (``"metaapi"``, ``"brokerwork"``, ``"b2core"``), or None. The vendor's own codes come from
    its spec; the mappings are merged over them, plugins registered later winning, so a third
    party can refine or add codes (a new MetaApi ``details`` code, a Broker Work ``mcode``).
    """


@hookspec(firstresult=True)
def brokerlink_client_auth(
    api: str, base_url: str, credentials: Mapping[str, str], client: ClientState
) -> httpx.Auth | None:
    """Runs once per client when it is made: return the ``httpx.Auth`` flow the API needs beyond
    its static key headers (B2Core's bearer token), or None.

    Firstresult. ``credentials`` are the constructor's credential keywords by name; a flow adds
    the tokens it obtains to ``client.secrets`` (masked in error messages).
    """
