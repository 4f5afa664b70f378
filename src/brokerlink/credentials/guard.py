"""The credential guard of one client: drives :mod:`.plan` against its store, sync or async, under
the failure policy (log and let through, or raise; learning never raises). Plain values only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, TypeVar, Unpack, cast

from brokerlink.credentials.keys import Keys
from brokerlink.credentials.plan import (
    Apply,
    Attempt,
    Fetch,
    Outcome,
    Prepared,
    Steps,
    learn,
    prepare,
    refusal,
)
from brokerlink.credentials.policy import GuardPolicy, RateLimit, Reason
from brokerlink.credentials.store import CredentialStore
from brokerlink.errors import BrokerLinkError, CredentialCacheUnavailable, InvalidRequest
from brokerlink.timing import Timing

log = logging.getLogger("brokerlink.credentials")
T = TypeVar("T")
Plan = Callable[[Keys, float], Steps[T]]
"""The steps of one moment, made once the key is known, at the wall time ``now``."""
NO_CLASSES: Mapping[str, type[Exception]] = {}


class Ask(TypedDict, total=False):
    """A check's options: ``guard`` (False skips the known-bad check; a cool-down still applies),
    ``end_user_id``, ``error_classes`` (code -> exception, for ``rejected_as``)."""

    guard: bool
    end_user_id: str | None
    error_classes: Mapping[str, type[Exception]]


NAMESPACE = "brokerlink-guard"


class Guard:
    """Checks before a guarded request and learns from its final answer. ``reasons``: the vendor's
    table (the policy's TTLs must name only its codes); ``vendor``: its name and how to update an
    account, for refusals."""

    def __init__(
        self,
        store: CredentialStore,
        *,
        reasons: Mapping[str, Reason],
        vendor: tuple[str, str] = ("the vendor", "update the account"),
        owned: bool = False,
        policy: GuardPolicy | None = None,
    ) -> None:
        chosen = policy or getattr(store, "policy", None) or GuardPolicy()
        if not isinstance(chosen, GuardPolicy):
            raise InvalidRequest("a credential store's policy must be a GuardPolicy")
        self.store, self.owned, self.policy, self.vendor = store, owned, chosen, vendor
        self.reasons = chosen.reasons(reasons)
        self._keys: Keys | None = None
        self._opening: asyncio.Future[bytes] | None = None
        self._down_until = -math.inf
        self._counter: RejectionCounter | None = None

    def __repr__(self) -> str:
        return f"Guard({self.store!r})"

    def close(self) -> None:
        """Close the store if brokerlink made it (never one the caller passed)."""
        if self.owned:
            with contextlib.suppress(Exception):
                self.store.close()

    async def aclose(self) -> None:
        if self.owned:
            with contextlib.suppress(Exception):
                await self.store.aclose()

    def _rejections(self) -> RejectionCounter:
        assert self.policy.rate_limit is not None
        self._counter = self._counter or RejectionCounter(self.store, self.policy.rate_limit)
        return self._counter

    def _drive(self, make: Plan[T], timing: Timing, *, checking: bool) -> T | None:
        """``make(keys, now)``'s steps against the store; None when the store is down."""
        if self._resting(timing, checking=checking):
            return None
        now = timing.wall()
        try:
            keys = self._keys = self._keys or Keys(self.store.open())
            steps, answer = make(keys, now), cast(Any, None)
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = self.store.fetch(op.keys, now)
                elif isinstance(op, Apply):
                    answer = self.store.apply(op.writes, now)  # type: ignore[func-returns-value]
                else:
                    answer = self._rejections().hit(op.user)
        except StopIteration as done:
            self._down_until = -math.inf
            return done.value  # type: ignore[no-any-return]
        except Exception as exc:
            self._failed(exc, timing, checking=checking)
        return None

    async def _adrive(self, make: Plan[T], timing: Timing, *, checking: bool) -> T | None:
        if self._resting(timing, checking=checking):
            return None
        now = timing.wall()
        try:
            keys = self._keys or await self._aopen()
            steps, answer = make(keys, now), cast(Any, None)
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = await self.store.afetch(op.keys, now)
                elif isinstance(op, Apply):
                    answer = await self.store.aapply(op.writes, now)  # type: ignore[func-returns-value]
                else:
                    answer = await self._rejections().ahit(op.user)
        except StopIteration as done:
            self._down_until = -math.inf
            return done.value  # type: ignore[no-any-return]
        except Exception as exc:
            self._failed(exc, timing, checking=checking)
        return None

    async def _aopen(self) -> Keys:
        """The store's key, opened once however many calls ask at the same moment (the first
        calls of a burst would each open it, in a thread for a file)."""
        opening = self._opening
        if opening is None or opening.get_loop() is not asyncio.get_running_loop():
            opening = self._opening = asyncio.ensure_future(self.store.aopen())
            opening.add_done_callback(_retrieved)  # a failure nobody waits for is not logged
        try:
            key = await asyncio.shield(opening)
        finally:
            if opening.done() and self._opening is opening:
                self._opening = None  # a failure is tried afresh by the next call
        self._keys = self._keys or Keys(key)
        return self._keys

    def _resting(self, timing: Timing, *, checking: bool) -> bool:
        """Whether the store failed recently and is left alone; raises when it must."""
        if self._down_until == -math.inf:  # the usual case: no clock read
            return False
        left = self._down_until - timing.monotonic()
        if left <= 0:
            return False
        if checking and self.policy.on_error == "raise":
            raise CredentialCacheUnavailable(
                f"credential cache {self.store!r} failed recently; next try in {left:.1f} s"
            )
        return True

    def _failed(self, exc: Exception, timing: Timing, *, checking: bool) -> None:
        if isinstance(exc, BrokerLinkError) and not isinstance(exc, CredentialCacheUnavailable):
            if checking:  # a misconfiguration, not an outage
                raise exc
            log.error("credential guard: %s: %s", type(exc).__name__, exc)
            return
        error = exc if isinstance(exc, CredentialCacheUnavailable) else None
        error = error or CredentialCacheUnavailable(
            f"credential cache {self.store!r} failed: {type(exc).__name__}"
        )
        self._down_until = timing.monotonic() + self.policy.store_retry_after
        if checking and self.policy.on_error == "raise":
            raise error from exc
        what = "sending without the credential guard" if checking else "answer not remembered"
        log.warning("%s; %s", error, what)

    def check(self, attempt: Attempt, *, timing: Timing, **ask: Unpack[Ask]) -> Prepared | None:
        """Raise a local refusal, or return what was worked out (None: nothing, or store down)."""
        plan = _checking(attempt, ask)
        if plan is None:
            return None
        return self._refuse(self._drive(plan, timing, checking=True), timing, ask)

    async def acheck(
        self, attempt: Attempt, *, timing: Timing, **ask: Unpack[Ask]
    ) -> Prepared | None:
        plan = _checking(attempt, ask)
        if plan is None:
            return None
        return self._refuse(await self._adrive(plan, timing, checking=True), timing, ask)

    def _refuse(self, p: Prepared | None, timing: Timing, ask: Ask) -> Prepared | None:
        if p is None or (not p.found and p.cooldown is None):  # the usual case
            return p
        classes = ask.get("error_classes", NO_CLASSES)
        refused = refusal(p, timing.wall(), self.reasons, self.vendor, classes)
        if refused is not None:
            raise refused
        return p

    def _learning(
        self, attempt: Attempt, p: Prepared | None, outcome: Outcome, end_user_id: str | None
    ) -> Plan[None]:
        def steps(keys: Keys, now: float) -> Steps[None]:
            prepared = p
            if prepared is None:  # not checked (the check was off): read the record now
                prepared = yield from prepare(keys, attempt, None, marks=False)
            yield from learn(keys, prepared, outcome, self.reasons, self.policy, end_user_id, now)

        return steps

    def learn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        *,
        timing: Timing,
        end_user_id: str | None = None,
    ) -> None:
        """Remember a rejection or clear after a success; logs instead of raising."""
        self._drive(self._learning(attempt, prepared, outcome, end_user_id), timing, checking=False)

    async def alearn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        *,
        timing: Timing,
        end_user_id: str | None = None,
    ) -> None:
        plan = self._learning(attempt, prepared, outcome, end_user_id)
        await self._adrive(plan, timing, checking=False)


def _retrieved(future: asyncio.Future[bytes]) -> None:
    if not future.cancelled():
        future.exception()


def _checking(attempt: Attempt, ask: Ask) -> Plan[Prepared] | None:
    guard, user = ask.get("guard", True), ask.get("end_user_id")
    if not guard and user is None:
        return None
    return lambda keys, now: prepare(keys, attempt, user, marks=guard)


class RejectionCounter:
    """Counts each remembered rejection of an end user (hashed id) as a hit of a moving window
    with ``limits``, on the store's backend when it offers one; ``hit`` answers whether the
    window is full (the guard then writes a cool-down entry, read with the check's keys)."""

    def __init__(self, store: object, rate: RateLimit) -> None:
        from limits import RateLimitItemPerSecond

        self._store: Any = store
        self._sync: Any = None
        self._async: Any = None
        self._item = RateLimitItemPerSecond(rate.max_rejections, int(rate.window))

    def hit(self, user: str) -> bool:
        if self._sync is None:
            from limits.storage import MemoryStorage
            from limits.strategies import MovingWindowRateLimiter

            storage = _storage(self._store, "limits_storage")
            self._sync = MovingWindowRateLimiter(MemoryStorage() if storage is None else storage)
        accepted = self._sync.hit(self._item, NAMESPACE, user)
        return not accepted or not self._sync.test(self._item, NAMESPACE, user)

    async def ahit(self, user: str) -> bool:
        if self._async is None:
            from limits.aio.strategies import MovingWindowRateLimiter

            storage = _storage(self._store, "async_limits_storage")
            self._async = False if storage is None else MovingWindowRateLimiter(storage)
        if self._async is False:  # the sync storage, in a thread where it may block
            if getattr(self._store, "limits_blocking", True):
                return await asyncio.to_thread(self.hit, user)
            return self.hit(user)
        accepted = await self._async.hit(self._item, NAMESPACE, user)
        return not accepted or not await self._async.test(self._item, NAMESPACE, user)


def _storage(store: object, name: str) -> Any:
    factory = getattr(store, name, None)
    return factory() if callable(factory) else None
