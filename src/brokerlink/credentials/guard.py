"""The credential guard of one client: its store, HMAC key, policy, reasons and rejection counter.

It drives the generators of :mod:`.plan` against the store, sync or async, and owns the failure
policy: a store that fails is logged and left alone for ``store_retry_after`` seconds while
requests go through (``on_error="allow"``) or are refused with ``CredentialCacheUnavailable``
(``on_error="raise"``). Recording an answer never raises: the answer is already the caller's.
It takes plain values (no hook objects): the vendor plugin calls it.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from brokerlink.credentials.facts import Attempt, Outcome
from brokerlink.credentials.keys import Keys
from brokerlink.credentials.plan import Apply, Count, Fetch, Open, Prepared, Steps, learn, prepare
from brokerlink.credentials.plan import refusal as refusal_of
from brokerlink.credentials.policy import GuardPolicy, Reason
from brokerlink.credentials.ratelimit import RejectionCounter
from brokerlink.credentials.store import CredentialStore
from brokerlink.errors import (
    BrokerLinkError,
    CredentialCacheUnavailable,
    InvalidRequest,
    TooManyRejectedAttempts,
)
from brokerlink.timing import Timing

log = logging.getLogger("brokerlink.credentials")
T = TypeVar("T")
NO_CLASSES: Mapping[str, type[Exception]] = {}


class Guard:
    """Checks before a guarded request and learns from its final answer.

    ``reasons``: the vendor's table of remembered codes; the policy's TTLs must name only those
    (``InvalidRequest`` otherwise, raised here, before anything is sent)."""

    def __init__(
        self,
        store: CredentialStore,
        *,
        reasons: Mapping[str, Reason],
        owned: bool = False,
        policy: GuardPolicy | None = None,
    ) -> None:
        chosen = policy if policy is not None else getattr(store, "policy", None)
        if chosen is None:
            chosen = GuardPolicy()
        if not isinstance(chosen, GuardPolicy):
            raise InvalidRequest("a credential store's policy must be a GuardPolicy")
        self.store = store
        self.owned = owned
        self.policy = chosen
        self.reasons = chosen.reasons(reasons)
        self._keys: Keys | None = None
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

    # --- drivers ---------------------------------------------------------------------------------
    def _rejections(self) -> RejectionCounter:
        if self._counter is None:
            assert self.policy.rate_limit is not None
            self._counter = RejectionCounter(self.store, self.policy.rate_limit)
        return self._counter

    def _keyed(self, make: Callable[[Keys], Steps[T]]) -> Steps[T]:
        """``make(keys)``'s steps, after opening the store when no key is known yet."""
        if self._keys is None:
            self._keys = Keys((yield Open()))
        return (yield from make(self._keys))

    def _drive(self, steps: Steps[T], now: float) -> T:
        answer: Any = None
        try:
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = self.store.fetch(op.keys, now)
                elif isinstance(op, Apply):
                    answer = self.store.apply(op.writes, now)
                elif isinstance(op, Count):
                    answer = self._rejections().hit(op.user)
                else:
                    answer = self.store.open()
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _adrive(self, steps: Steps[T], now: float) -> T:
        answer: Any = None
        try:
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = await self.store.afetch(op.keys, now)
                elif isinstance(op, Apply):
                    answer = await self.store.aapply(op.writes, now)
                elif isinstance(op, Count):
                    answer = await self._rejections().ahit(op.user)
                else:
                    answer = await self.store.aopen()
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    # --- failure policy --------------------------------------------------------------------------
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
            if checking:
                raise exc
            log.error("credential guard: %s: %s", type(exc).__name__, exc)
            return
        error = (
            exc
            if isinstance(exc, CredentialCacheUnavailable)
            else CredentialCacheUnavailable(
                f"credential cache {self.store!r} failed: {type(exc).__name__}"
            )
        )
        self._down_until = timing.monotonic() + self.policy.store_retry_after
        if checking and self.policy.on_error == "raise":
            raise error from exc
        what = "sending without the credential guard" if checking else "answer not remembered"
        log.warning("%s; %s", error, what)

    # --- the two moments -------------------------------------------------------------------------
    def _checking(self, attempt: Attempt, guard: bool, end_user_id: str | None) -> Steps[Prepared]:
        return self._keyed(lambda keys: prepare(keys, attempt, end_user_id, marks=guard))

    def _refuse(
        self,
        p: Prepared,
        now: float,
        guard: bool,
        end_user_id: str | None,
        error_classes: Mapping[str, type[Exception]],
    ) -> Prepared:
        if not p.found and p.cooldown is None:  # the usual case
            return p
        refused = refusal_of(p, now, self.reasons, guard=guard, error_classes=error_classes)
        if refused is None:
            return p
        if isinstance(refused, TooManyRejectedAttempts):
            refused.end_user_id = end_user_id
        raise refused

    def check(
        self,
        attempt: Attempt,
        *,
        timing: Timing,
        guard: bool = True,
        end_user_id: str | None = None,
        error_classes: Mapping[str, type[Exception]] = NO_CLASSES,
    ) -> Prepared | None:
        """Raise a local refusal, or return what was worked out (None: nothing, or store down).
        ``guard=False`` skips the known-bad check (an end user's cool-down still applies)."""
        if not (guard or end_user_id is not None) or self._resting(timing, checking=True):
            return None
        now = timing.wall()
        try:
            prepared = self._drive(self._checking(attempt, guard, end_user_id), now)
        except Exception as exc:
            self._failed(exc, timing, checking=True)
            return None
        self._down_until = -math.inf
        return self._refuse(prepared, now, guard, end_user_id, error_classes)

    async def acheck(
        self,
        attempt: Attempt,
        *,
        timing: Timing,
        guard: bool = True,
        end_user_id: str | None = None,
        error_classes: Mapping[str, type[Exception]] = NO_CLASSES,
    ) -> Prepared | None:
        if not (guard or end_user_id is not None) or self._resting(timing, checking=True):
            return None
        now = timing.wall()
        try:
            prepared = await self._adrive(self._checking(attempt, guard, end_user_id), now)
        except Exception as exc:
            self._failed(exc, timing, checking=True)
            return None
        self._down_until = -math.inf
        return self._refuse(prepared, now, guard, end_user_id, error_classes)

    def _learning(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        end_user_id: str | None,
        now: float,
    ) -> Steps[None]:
        def steps(keys: Keys) -> Steps[None]:
            p = prepared
            if p is None:  # not checked (the check was off): read the record now
                p = yield from prepare(keys, attempt, None, marks=False)
            yield from learn(keys, p, outcome, self.reasons, self.policy, end_user_id, now)

        return self._keyed(steps)

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
        if self._resting(timing, checking=False):
            return
        now = timing.wall()
        try:
            self._drive(self._learning(attempt, prepared, outcome, end_user_id, now), now)
        except Exception as exc:
            self._failed(exc, timing, checking=False)

    async def alearn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        *,
        timing: Timing,
        end_user_id: str | None = None,
    ) -> None:
        if self._resting(timing, checking=False):
            return
        now = timing.wall()
        try:
            await self._adrive(self._learning(attempt, prepared, outcome, end_user_id, now), now)
        except Exception as exc:
            self._failed(exc, timing, checking=False)
