"""One conformance suite for every store backend (memory, SQLite, a real Redis, and a third-party
store with the documented interface alone), sync and async: the contract of "Your own store"."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from brokerlink.credentials import CredentialStore, Entry, Write
from brokerlink.errors import InvalidRequest
from tests.credentials.conftest import BACKENDS, SHARED_KEY, StoreFactory
from tests.credentials.drive import PlainStore

NOW = 1_750_000_000.0
A, B, C = b"a" * 32, b"b" * 32, b"\x00\xff" * 16


def entry(
    reason: str = "E_AUTH", first: float = NOW, ttl: float | None = 60, data: str = ""
) -> Entry:
    return Entry(reason, first, None if ttl is None else first + ttl, data)


class Flavour:
    """The sync or the async methods of a store, awaited alike."""

    def __init__(self, store: Any, asynchronous: bool) -> None:
        self.store = store
        self.asynchronous = asynchronous

    async def _do(self, name: str, *args: Any) -> Any:
        if self.asynchronous:
            return await getattr(self.store, "a" + name)(*args)
        return getattr(self.store, name)(*args)

    async def open(self) -> bytes:
        return await self._do("open")  # type: ignore[no-any-return]

    async def fetch(self, keys: list[bytes], now: float = NOW) -> list[Entry | None]:
        return await self._do("fetch", keys, now)  # type: ignore[no-any-return]

    async def apply(self, writes: list[Write], now: float = NOW) -> None:
        await self._do("apply", writes, now)


@pytest.fixture(params=[*BACKENDS, "third-party"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_store(backend: str, new_store: StoreFactory) -> StoreFactory:
    """The backend's stores, or a third party's (``PlainStore``: the interface and no more)."""
    if backend != "third-party":
        return new_store
    return lambda policy=None, name="main", **options: PlainStore()


def real_backend(backend: str) -> None:
    if backend == "third-party":
        pytest.skip("about the built-in stores")


def test_the_third_party_store_is_a_credential_store() -> None:
    assert isinstance(PlainStore(), CredentialStore)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
async def store(request: pytest.FixtureRequest, new_store: StoreFactory) -> Any:
    made = Flavour(new_store(), bool(request.param))
    yield made
    if made.asynchronous:
        await made.store.aclose()


async def test_unknown_keys_answer_none_in_order(store: Flavour) -> None:
    await store.apply([Write(B, entry(data="x"))])
    assert await store.fetch([A, B, C]) == [None, entry(data="x"), None]
    assert await store.fetch([]) == []


async def test_put_fetch_and_delete_in_one_batch(store: Flavour) -> None:
    await store.apply([Write(A, entry()), Write(B, entry("record", data='{"i":"00"}'))])
    assert await store.fetch([A, B]) == [entry(), entry("record", data='{"i":"00"}')]
    await store.apply([Write(A), Write(C, entry("E_NO_SYMBOLS"))])
    assert await store.fetch([A, B, C]) == [
        None,
        entry("record", data='{"i":"00"}'),
        entry("E_NO_SYMBOLS"),
    ]


async def test_expired_entries_are_gone(store: Flavour) -> None:
    await store.apply([Write(A, entry(ttl=10)), Write(B, entry(ttl=None))])
    assert await store.fetch([A, B], NOW + 9.9) == [entry(ttl=10), entry(ttl=None)]
    assert await store.fetch([A, B], NOW + 10) == [None, entry(ttl=None)]


async def test_a_repeat_keeps_first_seen_and_renews_the_expiry(store: Flavour) -> None:
    first = NOW + 0.123456789
    await store.apply([Write(A, entry(first=first))])
    data = '{"rec":3,"note":"\u00e9/\\"}'
    later = entry(first=NOW + 30.987654321, ttl=60.000001, data=data)
    await store.apply([Write(A, later)], NOW + 30)
    assert await store.fetch([A], NOW + 80) == [Entry("E_AUTH", first, later.expires_at, data)]


async def test_another_reason_or_an_expired_entry_starts_afresh(store: Flavour) -> None:
    await store.apply([Write(A, entry(first=NOW)), Write(B, entry(first=NOW, ttl=5))])
    other = entry("ERR_OTP_REQUIRED", first=NOW + 10)
    after_expiry = entry(first=NOW + 10)
    await store.apply([Write(A, other), Write(B, after_expiry)], NOW + 10)
    assert await store.fetch([A, B], NOW + 10) == [other, after_expiry]


async def test_an_entry_already_expired_when_written_is_not_kept(store: Flavour) -> None:
    await store.apply([Write(A, entry(ttl=100))])
    await store.apply([Write(A, entry(ttl=1))], NOW + 5)
    assert await store.fetch([A], NOW - 100) == [None]


async def test_data_round_trips_exactly(store: Flavour) -> None:
    data = '{"rec":2,"rej":1,"note":"\\u00e9\\/"}'
    await store.apply([Write(C, entry(data=data, first=1234.5678))], 1234.6)
    assert await store.fetch([C], 1234.6) == [entry(data=data, first=1234.5678)]


async def test_open_gives_one_stable_key(store: Flavour) -> None:
    key = await store.open()
    assert len(key) >= 16
    assert await store.open() == key


async def test_concurrent_writers_of_one_store_lose_nothing(store: Flavour) -> None:
    keys = [i.to_bytes(32, "big") for i in range(60)]
    if store.asynchronous:
        await asyncio.gather(*(store.apply([Write(k, entry(data=k.hex()))]) for k in keys))
    else:
        await asyncio.gather(
            *(
                asyncio.to_thread(store.store.apply, [Write(k, entry(data=k.hex()))], NOW)
                for k in keys
            )
        )
    assert [e.data if e else None for e in await store.fetch(keys)] == [k.hex() for k in keys]


def test_stores_opened_on_the_same_data_share_entries_and_key(
    backend: str, new_store: StoreFactory
) -> None:
    real_backend(backend)
    first, second = new_store(), new_store()
    first.apply([Write(A, entry())], NOW)
    if backend == "memory":
        assert second.fetch([A], NOW) == [None]  # memory is per store
        assert first.open() != second.open()
        return
    assert second.fetch([A], NOW) == [entry()]
    assert first.open() == second.open()


def test_a_configured_key_wins(backend: str, new_store: StoreFactory) -> None:
    real_backend(backend)
    assert new_store(key="k" * 20).open() == b"k" * 20
    with pytest.raises(InvalidRequest, match="at least 16"):
        new_store(key="short")


def test_redis_needs_a_shared_key(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from brokerlink.credentials import RedisStore

    monkeypatch.delenv("BROKERLINK_CACHE_KEY", raising=False)
    with pytest.raises(InvalidRequest, match="BROKERLINK_CACHE_KEY"):
        RedisStore(redis_url).open()
    monkeypatch.setenv("BROKERLINK_CACHE_KEY", SHARED_KEY)
    assert RedisStore(redis_url).open() == SHARED_KEY.encode()


def test_closed_stores_reopen_on_use(backend: str, new_store: StoreFactory) -> None:
    real_backend(backend)
    store = new_store()
    store.apply([Write(A, entry())], NOW)
    store.close()
    if backend != "memory":
        assert store.fetch([A], NOW) == [entry()]


def test_expiry_is_native_where_the_backend_has_it(backend: str, new_store: StoreFactory) -> None:
    real_backend(backend)
    store = new_store()
    real_now = time.time()
    store.apply([Write(A, Entry("E_AUTH", real_now, real_now + 60))], real_now)
    if backend == "redis":
        import redis

        with redis.Redis.from_url(store.url) as client:
            ttl_ms = client.pttl(store.name(A))
        assert 0 < ttl_ms <= 60_000
    if backend == "sqlite":
        rows = store.query("SELECT expires_at FROM guard_entries", ())
        assert rows == [(real_now + 60,)]
        assert store.query("PRAGMA journal_mode", ()) == [("wal",)]


def test_limits_moving_window_on_the_same_backend(backend: str, new_store: StoreFactory) -> None:
    real_backend(backend)
    from limits import RateLimitItemPerMinute
    from limits.strategies import MovingWindowRateLimiter

    store = new_store()
    limiter = MovingWindowRateLimiter(store.limits_storage())
    item = RateLimitItemPerMinute(3)
    assert [limiter.hit(item, "user") for _ in range(4)] == [True, True, True, False]
    assert limiter.get_window_stats(item, "user").remaining == 0
    assert limiter.test(item, "other")
    limiter.clear(item, "user")
    assert limiter.test(item, "user")


async def test_async_sqlite_reads_never_block_the_event_loop(tmp_path: Any) -> None:
    import threading

    from brokerlink.credentials import SQLiteStore

    store = SQLiteStore(tmp_path / "busy.sqlite3")
    store.apply([Write(A, entry())], NOW)
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # another thread of this process holds the connection
        with store._lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(10)
    ticks = 0

    async def meanwhile() -> None:
        nonlocal ticks
        for _ in range(3):
            ticks += 1
            await asyncio.sleep(0)
        release.set()

    found, _ = await asyncio.gather(store.afetch([A], NOW), meanwhile())
    thread.join()
    assert found == [entry()] and ticks == 3
    store.close()


def test_sqlite_sweeps_expired_entries(tmp_path: Any) -> None:
    from brokerlink.credentials import SQLiteStore, sqlite_store

    store = SQLiteStore(tmp_path / "swept.sqlite3")
    store.apply([Write(A, entry(ttl=5)), Write(B, entry(ttl=500))], NOW)
    for _ in range(sqlite_store.SWEEP_EVERY):
        store.apply([Write(C, entry())], NOW + 10)
    assert sorted(store.query("SELECT key FROM guard_entries", ())) == sorted([(B,), (C,)])
    store.close()


async def test_async_sqlite_writes_run_inline_unless_another_connection_writes(
    tmp_path: Any,
) -> None:
    """Uncontended, a write completes without yielding to the loop (no thread hop); while another
    connection holds the write lock it waits in a thread, the loop running meanwhile."""
    import sqlite3

    from brokerlink.credentials import SQLiteStore

    path = tmp_path / "writes.sqlite3"
    store = SQLiteStore(path)
    await store.aopen()
    inline = store.aapply([Write(A, entry())], NOW)
    with pytest.raises(StopIteration):
        inline.send(None)  # done at the first step: it never suspended
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer, in effect
    write = asyncio.ensure_future(store.aapply([Write(B, entry())], NOW))
    ticks = 0
    while ticks < 5:
        await asyncio.sleep(0)
        ticks += 1
    assert not write.done()  # waiting for the lock in a thread, the loop going on
    other.execute("COMMIT")
    await write
    assert await store.afetch([A, B], NOW) == [entry(), entry()]
    other.close()
    store.close()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_sqlite_checkpoints_its_log_with_the_sweep(tmp_path: Any, asynchronous: bool) -> None:
    """The WAL is checkpointed every SWEEP_EVERY writes (off the event loop for async clients),
    so the log file stops growing however many writes follow."""
    from brokerlink.credentials import SQLiteStore, sqlite_store

    path = tmp_path / "logged.sqlite3"
    store = Flavour(SQLiteStore(path), asynchronous)
    sizes = []
    for n in range(6 * sqlite_store.SWEEP_EVERY):
        await store.apply([Write(n.to_bytes(32, "big"), entry())])
        if n % (2 * sqlite_store.SWEEP_EVERY) == 2 * sqlite_store.SWEEP_EVERY - 1:
            sizes.append(Path(f"{path}-wal").stat().st_size)
    assert sizes[0] > 0 and sizes[-1] < 1.2 * sizes[0], sizes  # unchecked, it would triple
    store.store.close()
