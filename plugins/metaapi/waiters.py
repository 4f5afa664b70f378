"""Waiters of the MetaApi facades: read an account (or a replica) until it is in a wanted state.

``wait_deployed``, ``wait_undeployed`` and ``wait_connected`` (``connectionStatus`` CONNECTED)
read it with ``get_account`` (``get_account_replica`` with ``replica_id=``) and return it once it
is there. Between reads they wait ``FIRST_INTERVAL`` seconds, doubling up to ``MAX_INTERVAL``, and
never past ``timeout`` (default 5 minutes), after which they raise ``WaitTimeout``. The rule for
failures: a state the account does not leave without a new request (``STUCK``: every
``*_FAILED`` state, and ``DELETING``) raises ``WaitFailed`` at once, whatever is awaited; any
other state is waited through. Every pause is announced to the ``brokerlink_before_wait`` hook
(reason ``"waiting"``, so the CLI shows progress) and taken on brokerlink's clock (virtual in
tests). The generated ``MetaApi`` and ``AsyncMetaApi`` inherit these classes; each waiter is
one typed signature (``SyncWaiter``, ``AsyncWaiter``) bound to a field and a wanted value.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast, overload

from brokerlink import timing
from brokerlink.errors import InvalidRequest, WaitError, WaitFailed, WaitTimeout
from brokerlink.hooks.call import Call, Operation

if TYPE_CHECKING:
    from brokerlink.generated.metaapi.models import MetatraderAccount, MetatraderAccountReplica

DEFAULT_TIMEOUT = 300.0
FIRST_INTERVAL = 1.0
MAX_INTERVAL = 10.0
STUCK = frozenset(
    {"DEPLOY_FAILED", "UNDEPLOY_FAILED", "REDEPLOY_FAILED", "DELETE_FAILED", "DELETING"}
)


def _seen(document: Any, field: str) -> str | None:
    value = getattr(document, field, None)
    return str(value) if isinstance(value, str) else None  # absent: None


class _Wait:
    """One wait's reads, clock, deadline and hook calls; the sync and async loops only sleep."""

    def __init__(
        self,
        client: Any,
        field: str,
        wanted: str,
        account_id: str,
        *,
        replica_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
            raise InvalidRequest(f"timeout must be a number of seconds >= 0, not {timeout!r}")
        self.field, self.wanted, self.timeout = field, wanted, timeout
        self.interval = FIRST_INTERVAL
        self.resource, self.hooks, self.timing = account_id, client._hooks, timing.current()
        self.read = functools.partial(client.get_account, account_id)
        if replica_id is not None:
            self.resource = f"{account_id}/{replica_id}"
            self.read = functools.partial(client.get_account_replica, account_id, replica_id)
        read = "getAccountReplica" if replica_id else "getAccount"
        started = self.timing.monotonic()
        operation = Operation("metaapi", read, idempotent=True)
        self.call = Call(operation, client._options, client._state, started, timing=self.timing)

    def pause(self, document: Any) -> float | None:
        """Seconds to wait before the next read; None once ``document`` is in the wanted state."""
        seen, state = _seen(document, self.field), _seen(document, "state")
        if seen == self.wanted:
            return None
        elapsed = self.call.elapsed()
        error: type[WaitError] | None = None
        if state in STUCK:
            error, seen = WaitFailed, state
            text = f"is {state}: it will not become {self.wanted} without a new request"
        elif elapsed >= self.timeout:
            error = WaitTimeout
            text = f"not {self.wanted} after {elapsed:.1f} s (last seen {self.field}: {seen})"
        if error is not None:
            raise error(
                f"metaapi account {self.resource} {text}",
                resource_id=self.resource,
                wanted=self.wanted,
                last_seen=seen,
                elapsed=elapsed,
            )
        seconds = min(self.interval, self.timeout - elapsed)
        self.interval = min(self.interval * 2, MAX_INTERVAL)
        message = f"{self.field} {seen}, not yet {self.wanted}"
        self.hooks.before_wait(self.call, self.call.attempt, seconds, "waiting", message)
        self.call.attempt += 1
        return seconds


class SyncWaiter(Protocol):
    """``wait_...(account_id, *, replica_id=None, timeout=300.0)``: the account, or the replica."""

    @overload
    def __call__(
        self, account_id: str, *, replica_id: None = None, timeout: float = ...
    ) -> MetatraderAccount: ...
    @overload
    def __call__(
        self, account_id: str, *, replica_id: str, timeout: float = ...
    ) -> MetatraderAccountReplica: ...


class AsyncWaiter(Protocol):
    """As :class:`SyncWaiter`, awaitable."""

    @overload
    def __call__(
        self, account_id: str, *, replica_id: None = None, timeout: float = ...
    ) -> Awaitable[MetatraderAccount]: ...
    @overload
    def __call__(
        self, account_id: str, *, replica_id: str, timeout: float = ...
    ) -> Awaitable[MetatraderAccountReplica]: ...


W = TypeVar("W", SyncWaiter, AsyncWaiter)


class _Waiter(Generic[W]):
    """A waiter attribute: on a client, the wait until ``field`` reads ``wanted``."""

    def __init__(self, field: str, wanted: str) -> None:
        self.field, self.wanted = field, wanted

    def __get__(self, client: Any, owner: object = None) -> W:
        if client is None:  # read on the class (help(), docs): the attribute itself
            return cast(W, self)
        return cast(W, functools.partial(client._wait_for, self.field, self.wanted))


class Waiters:
    """The waiters of ``MetaApi`` (the rules are in this module's docstring)."""

    wait_deployed = _Waiter[SyncWaiter]("state", "DEPLOYED")
    """Read the account (or its replica ``replica_id``) until its ``state`` is DEPLOYED."""
    wait_undeployed = _Waiter[SyncWaiter]("state", "UNDEPLOYED")
    """Read the account (or its replica ``replica_id``) until its ``state`` is UNDEPLOYED."""
    wait_connected = _Waiter[SyncWaiter]("connection_status", "CONNECTED")
    """Read the account (or its replica) until its ``connection_status`` is CONNECTED."""

    def _wait_for(self, field: str, wanted: str, account_id: str, **options: Any) -> Any:
        wait = _Wait(self, field, wanted, account_id, **options)  # options: the waiter's keywords
        while True:
            document = wait.read()
            seconds = wait.pause(document)
            if seconds is None:
                return document
            wait.timing.sleep(seconds)


class AsyncWaiters:
    """The waiters of ``AsyncMetaApi``: as :class:`Waiters`, awaitable."""

    wait_deployed = _Waiter[AsyncWaiter]("state", "DEPLOYED")
    """As :attr:`Waiters.wait_deployed`."""
    wait_undeployed = _Waiter[AsyncWaiter]("state", "UNDEPLOYED")
    """As :attr:`Waiters.wait_undeployed`."""
    wait_connected = _Waiter[AsyncWaiter]("connection_status", "CONNECTED")
    """As :attr:`Waiters.wait_connected`."""

    async def _wait_for(self, field: str, wanted: str, account_id: str, **options: Any) -> Any:
        wait = _Wait(self, field, wanted, account_id, **options)  # options: the waiter's keywords
        while True:
            document = await wait.read()
            seconds = wait.pause(document)
            if seconds is None:
                return document
            await wait.timing.asleep(seconds)
