"""Guard-level helpers: attempts as the plugin would read them, one guard driven sync or async
alike, a third-party store with only the documented interface, a store wrapper counting reads,
and Redis's own count of the requests it read."""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from brokerlink import timing
from brokerlink.credentials import Entry, Write
from brokerlink.credentials.guard import Guard
from brokerlink.credentials.plan import Attempt, Outcome, Prepared
from brokerlink.errors import KnownBadCredentials
from brokerlink.plugins.metaapi.guard_reasons import REASONS, VENDOR_TEXT
from brokerlink.plugins.metaapi.guarded import GUARDED

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
        self.guard = Guard(store, reasons=REASONS, vendor=VENDOR_TEXT)
        self.asynchronous = asynchronous

    async def check(
        self, attempt: Attempt, credential_guard: bool = True, end_user_id: str | None = None
    ) -> Prepared | None:
        """The guard's check: what it worked out, or the refusal it raises."""
        options = {"guard": credential_guard, "end_user_id": end_user_id}
        if self.asynchronous:
            return await self.guard.acheck(attempt, timing=timing.current(), **options)
        return self.guard.check(attempt, timing=timing.current(), **options)

    async def refused(self, attempt: Attempt, **options: Any) -> str | None:
        """The reason of the local refusal of ``attempt``, or None when it would be sent."""
        try:
            await self.check(attempt, **options)
        except KnownBadCredentials as refusal:
            return refusal.reason
        return None

    async def learn(
        self,
        attempt: Attempt,
        prepared: Prepared | None,
        outcome: Outcome,
        end_user_id: str | None = None,
    ) -> None:
        now = timing.current()
        if self.asynchronous:
            await self.guard.alearn(attempt, prepared, outcome, timing=now, end_user_id=end_user_id)
        else:
            self.guard.learn(attempt, prepared, outcome, timing=now, end_user_id=end_user_id)

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


class PlainStore:
    """A third-party store: the documented interface (``docs/credential-guard.md``, "Your own
    store") and nothing else, entries in a dict."""

    def __init__(self, key: bytes = b"plain-store-key-0123456789") -> None:
        self.key = key
        self.entries: dict[bytes, Entry] = {}
        self.lock = threading.Lock()

    def open(self) -> bytes:
        return self.key

    async def aopen(self) -> bytes:
        return self.key

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        with self.lock:
            found = [self.entries.get(key) for key in keys]
        return [e if e is not None and e.live(now) else None for e in found]

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        return self.fetch(keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        with self.lock:
            for key, new in ((w.key, w.entry) for w in writes):
                old = self.entries.get(key)
                if new is None or not new.live(now):
                    self.entries.pop(key, None)
                elif old is not None and old.live(now) and old.reason == new.reason:
                    first = min(old.first_seen, new.first_seen)
                    self.entries[key] = Entry(new.reason, first, new.expires_at, new.data)
                else:
                    self.entries[key] = new

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        self.apply(writes, now)

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


class Counted:
    """A third-party store wrapping a real store of any backend with the interface alone,
    counting the reads and writes asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.policy = inner.policy if hasattr(inner, "policy") else None
        self.reads = self.writes = 0

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
        self.writes += 1
        self.inner.apply(writes, now)

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        self.writes += 1
        await self.inner.aapply(writes, now)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


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

    async def __call__(self, run: Callable[[], Awaitable[object]], tries: int = 20) -> int:
        least = math.inf
        for _ in range(tries):
            before = self._reads()
            await run()
            least = min(least, self._reads() - before - 1)  # less the INFO before
        return int(least)

    def close(self) -> None:
        self.client.close()
