"""The credential guard of one client: its store, HMAC key, policy and rejection counter.

It drives the generators of :mod:`.plan` against the store, sync or async, and owns the failure
policy: a store that fails is logged and left alone for ``store_retry_after`` seconds while
requests go through (``on_error="allow"``) or are refused with ``CredentialCacheUnavailable``
(``on_error="raise"``). Recording an answer never raises: the answer is already the caller's.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

from brokerlink.credentials.facts import Attempt, Outcome
from brokerlink.credentials.keys import Hasher
from brokerlink.credentials.plan import (
    Apply,
    Count,
    Fetch,
    Keys,
    Prepared,
    Steps,
    learn,
    prepare,
    refusal,
)
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.ratelimit import RejectionCounter
from brokerlink.credentials.recent import RecentRecords
from brokerlink.credentials.store import (
    CredentialStore,
    GroupedFetch,
    LinkedFetch,
    joined,
    links,
)
from brokerlink.errors import (
    BrokerLinkError,
    CredentialCacheUnavailable,
    InvalidRequest,
    TooManyRejectedAttempts,
)
from brokerlink.hooks.call import CallOptions
from brokerlink.timing import Timing

log = logging.getLogger("brokerlink.credentials")
T = TypeVar("T")


class Guard:
    """Checks before a guarded request and learns from its final answer."""

    def __init__(
        self, store: CredentialStore, *, owned: bool = False, policy: GuardPolicy | None = None
    ) -> None:
        chosen = policy if policy is not None else getattr(store, "policy", None)
        if chosen is None:
            chosen = GuardPolicy()
        if not isinstance(chosen, GuardPolicy):
            raise InvalidRequest("a credential store's policy must be a GuardPolicy")
        self.store = store
        self.owned = owned
        self.policy = chosen
        self._keys: Keys | None = None
        self._lock = threading.Lock()
        self._down_until = -math.inf
        self._counter: RejectionCounter | None = None
        self._linking = store if isinstance(store, LinkedFetch) else None
        self._grouping = store if isinstance(store, GroupedFetch) else None
        self.recent = RecentRecords()
        """The account records seen or written last (hashes only): updates guess from them."""

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
    def _open(self) -> Keys:
        with self._lock:
            if self._keys is None:
                self._keys = Keys(Hasher(self.store.open()))
            return self._keys

    async def _aopen(self) -> Keys:
        if self._keys is None:
            self._keys = Keys(Hasher(await self.store.aopen()))
        return self._keys

    def _rejections(self) -> RejectionCounter:
        if self._counter is None:
            assert self.policy.rate_limit is not None
            self._counter = RejectionCounter(self.store, self.policy.rate_limit)
        return self._counter

    def _fetch(self, op: Fetch, now: float) -> Any:
        if op.grouped:
            if self._grouping is not None:
                return self._grouping.fetch_grouped(op.keys, now)
            return self.store.fetch(op.keys, now), None  # the plan reads the rest next
        if not op.linked:
            return self.store.fetch(op.keys, now)
        if self._linking is not None:
            return self._linking.fetch_linked(op.keys, now)
        entries = self.store.fetch(op.keys, now)  # a store without the capability: read twice
        targets = links(entries[0])
        wanted = [key for key in targets if key is not None]
        return joined(entries, targets, self.store.fetch(wanted, now) if wanted else ())

    async def _afetch(self, op: Fetch, now: float) -> Any:
        if op.grouped:
            if self._grouping is not None:
                return await self._grouping.afetch_grouped(op.keys, now)
            return await self.store.afetch(op.keys, now), None
        if not op.linked:
            return await self.store.afetch(op.keys, now)
        if self._linking is not None:
            return await self._linking.afetch_linked(op.keys, now)
        entries = await self.store.afetch(op.keys, now)
        targets = links(entries[0])
        wanted = [key for key in targets if key is not None]
        return joined(entries, targets, await self.store.afetch(wanted, now) if wanted else ())

    def _drive(self, steps: Steps[T], now: float) -> T:
        answer: Any = None
        try:
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = self._fetch(op, now)
                elif isinstance(op, Apply):
                    self.store.apply(op.writes, now)
                    answer = None
                elif isinstance(op, Count):
                    answer = self._rejections().hit(op.user)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _adrive(self, steps: Steps[T], now: float) -> T:
        answer: Any = None
        try:
            while True:
                op = steps.send(answer)
                if isinstance(op, Fetch):
                    answer = await self._afetch(op, now)
                elif isinstance(op, Apply):
                    await self.store.aapply(op.writes, now)
                    answer = None
                elif isinstance(op, Count):
                    answer = await self._rejections().ahit(op.user)
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
    def check(
        self,
        attempt: Attempt,
        options: CallOptions,
        timing: Timing,
        error_classes: Mapping[str, type[Exception]],
    ) -> Prepared | None:
        """Raise a local refusal, or return what was worked out (None: nothing, or store down)."""
        if not (options.credential_guard or options.end_user_id is not None):
            return None
        if self._resting(timing, checking=True):
            return None
        now = timing.wall()
        try:
            keys = self._keys or self._open()
            steps = prepare(
                keys,
                attempt,
                options.end_user_id,
                marks=options.credential_guard,
                recent=self.recent,
            )
            prepared = self._drive(steps, now)
        except Exception as exc:
            self._failed(exc, timing, checking=True)
            return None
        self._down_until = -math.inf
        return _refuse_or_pass(prepared, now, options, error_classes)

    async def acheck(
        self,
        attempt: Attempt,
        options: CallOptions,
        timing: Timing,
        error_classes: Mapping[str, type[Exception]],
    ) -> Prepared | None:
        if not (options.credential_guard or options.end_user_id is not None):
            return None
        if self._resting(timing, checking=True):
            return None
        now = timing.wall()
        try:
            keys = self._keys or await self._aopen()
            steps = prepare(
                keys,
                attempt,
                options.end_user_id,
                marks=options.credential_guard,
                recent=self.recent,
            )
            prepared = await self._adrive(steps, now)
        except Exception as exc:
            self._failed(exc, timing, checking=True)
            return None
        self._down_until = -math.inf
        return _refuse_or_pass(prepared, now, options, error_classes)

    def learn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        options: CallOptions,
        timing: Timing,
    ) -> None:
        """Remember a rejection or clear after a success; logs instead of raising."""
        if self._resting(timing, checking=False):
            return
        now = timing.wall()
        try:
            keys = self._keys or self._open()
            if prepared is None:
                prepared = self._drive(
                    prepare(keys, attempt, None, marks=False, recent=self.recent), now
                )
            self._drive(
                learn(keys, prepared, outcome, self.policy, options.end_user_id, now, self.recent),
                now,
            )
        except Exception as exc:
            self._failed(exc, timing, checking=False)

    async def alearn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        options: CallOptions,
        timing: Timing,
    ) -> None:
        if self._resting(timing, checking=False):
            return
        now = timing.wall()
        try:
            keys = self._keys or await self._aopen()
            if prepared is None:
                prepared = await self._adrive(
                    prepare(keys, attempt, None, marks=False, recent=self.recent), now
                )
            steps = learn(
                keys, prepared, outcome, self.policy, options.end_user_id, now, self.recent
            )
            await self._adrive(steps, now)
        except Exception as exc:
            self._failed(exc, timing, checking=False)


def _refuse_or_pass(
    prepared: Prepared,
    now: float,
    options: CallOptions,
    error_classes: Mapping[str, type[Exception]],
) -> Prepared:
    if not prepared.found and prepared.cooldown is None:  # the usual case
        return prepared
    refused = refusal(prepared, now, guard=options.credential_guard, error_classes=error_classes)
    if refused is None:
        return prepared
    if isinstance(refused, TooManyRejectedAttempts):
        refused.end_user_id = options.end_user_id
    raise refused
