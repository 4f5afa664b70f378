"""Guard-level helpers: attempts as the hook would parse them, one guard driven sync or async
alike, a store wrapper counting reads, and Redis's own count of the requests it read."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from brokerlink import timing
from brokerlink.hooks.call import CallOptions

from brokerlink.credentials import Entry, Write
from brokerlink.credentials.facts import GUARDED, Attempt, Outcome
from brokerlink.credentials.guard import Guard
from brokerlink.credentials.plan import Prepared
from brokerlink.credentials.store import Grouped
from brokerlink.errors import KnownBadCredentials

SERVER = "ICMarketsSC-Demo"
OTHER_SERVER = "Other-Broker-Live"


def create(login: str = "50012345", password: str = "pw-1", server: str = SERVER) -> Attempt:
    return Attempt(
        "createAccount",
        "new",
        platform="mt5",
        server=server,
        login=login,
        password=password,
        account_type="cloud-g2",
        slots=1,
    )


def update(account_id: str, server: str = SERVER, password: str | None = None) -> Attempt:
    return Attempt(
        "updateAccount", "update", account_id=account_id, server=server, password=password
    )


def on_account(operation: str, account_id: str) -> Attempt:
    """deploy/redeploy and the replica calls: an account id, nothing else."""
    scope, replica = GUARDED[operation]
    return Attempt(operation, scope, replica, account_id=account_id)


ACCOUNT_CALLS = [
    "deployAccount",
    "redeployAccount",
    "createAccountReplica",
    "updateAccountReplica",
    "deployAccountReplica",
    "redeployAccountReplica",
]


class Driver:
    """One guard on ``store``, called the same way sync or async: ``await driver.check(a)``."""

    def __init__(self, store: Any, asynchronous: bool) -> None:
        self.guard = Guard(store)
        self.asynchronous = asynchronous

    async def check(self, attempt: Attempt, **options: Any) -> Prepared | None:
        """The guard's check: what it worked out, or the refusal it raises."""
        opts = CallOptions(**options)
        if self.asynchronous:
            return await self.guard.acheck(attempt, opts, timing.current(), {})
        return self.guard.check(attempt, opts, timing.current(), {})

    async def refused(self, attempt: Attempt, **options: Any) -> str | None:
        """The reason of the local refusal of ``attempt``, or None when it would be sent."""
        try:
            await self.check(attempt, **options)
        except KnownBadCredentials as refusal:
            return refusal.reason
        return None

    async def learn(
        self, attempt: Attempt, prepared: Prepared | None, outcome: Outcome, **options: Any
    ) -> None:
        opts = CallOptions(**options)
        if self.asynchronous:
            await self.guard.alearn(attempt, prepared, outcome, opts, timing.current())
        else:
            self.guard.learn(attempt, prepared, outcome, opts, timing.current())

    async def apply(self, writes: list[Write]) -> None:
        """Write to the guard's store directly (what another program could leave there)."""
        now = timing.current().wall()
        if self.asynchronous:
            await self.guard.store.aapply(writes, now)
        else:
            self.guard.store.apply(writes, now)

    async def answered(self, attempt: Attempt, outcome: Outcome) -> None:
        """Check ``attempt`` (it must pass), then learn ``outcome`` as its final answer."""
        await self.learn(attempt, await self.check(attempt), outcome)

    async def created(self, account_id: str, attempt: Attempt | None = None) -> None:
        await self.answered(attempt or create(), Outcome(True, created_id=account_id))


class Counted:
    """A third-party store: wraps a real store of any backend, without ``fetch_linked``, and
    counts the reads asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.policy = inner.policy
        self.reads = 0

    def open(self) -> bytes:
        return self.inner.open()  # type: ignore[no-any-return]

    async def aopen(self) -> bytes:
        return await self.inner.aopen()  # type: ignore[no-any-return]

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        self.reads += 1
        return self.inner.fetch(keys, now)  # type: ignore[no-any-return]

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        self.reads += 1
        return await self.inner.afetch(keys, now)  # type: ignore[no-any-return]

    def apply(self, writes: Sequence[Write], now: float) -> None:
        self.inner.apply(writes, now)

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        await self.inner.aapply(writes, now)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


class CountedLinked(Counted):
    """The same, with the backend's ``fetch_linked`` and ``fetch_grouped`` (one read each)."""

    def fetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        self.reads += 1
        return self.inner.fetch_linked(keys, now)  # type: ignore[no-any-return]

    async def afetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        self.reads += 1
        return await self.inner.afetch_linked(keys, now)  # type: ignore[no-any-return]

    def fetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        self.reads += 1
        return self.inner.fetch_grouped(keys, now)  # type: ignore[no-any-return]

    async def afetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        self.reads += 1
        return await self.inner.afetch_grouped(keys, now)  # type: ignore[no-any-return]


class RedisRequests:
    """How many requests the Redis server read from its clients while something ran: INFO's
    ``total_reads_processed``, one per round trip (``total_commands_processed`` would also
    count the commands a Lua script runs). Other clients of a shared server only add to it,
    so the least over a few tries is ours."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def _reads(self) -> int:
        return int(self.client.info("stats")["total_reads_processed"])

    async def __call__(self, run: Callable[[], Awaitable[object]], tries: int = 5) -> int:
        least = math.inf
        for _ in range(tries):
            before = self._reads()
            await run()
            least = min(least, self._reads() - before - 1)  # less the INFO before
        return int(least)

    def close(self) -> None:
        self.client.close()
