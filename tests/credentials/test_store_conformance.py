"""One conformance suite for every store backend (memory, SQLite, a real Redis), sync and async."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from brokerlink.credentials import Entry, RedisStore, Write
from brokerlink.credentials.store import GROUP_LIMIT, group_of, links
from brokerlink.errors import InvalidRequest
from tests.credentials.conftest import SHARED_KEY, StoreFactory

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
    first, second = new_store(), new_store()
    first.apply([Write(A, entry())], NOW)
    if backend == "memory":
        assert second.fetch([A], NOW) == [None]  # memory is per store
        assert first.open() != second.open()
        return
    assert second.fetch([A], NOW) == [entry()]
    assert first.open() == second.open()


def test_a_configured_key_wins(new_store: StoreFactory) -> None:
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
    store = new_store()
    store.apply([Write(A, entry())], NOW)
    store.close()
    if backend != "memory":
        assert store.fetch([A], NOW) == [entry()]


def test_expiry_is_native_where_the_backend_has_it(backend: str, new_store: StoreFactory) -> None:
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


# --- fetch_linked: a record's linked keys read with it ------------------------------------------
R = b"r" * 32


def record(data: str, ttl: float | None = 60) -> Entry:
    return entry("record", ttl=ttl, data=data)


def links_to(cred: bytes | None, tz: bytes | None) -> str:
    return json.dumps({"i": "00", "c": cred and cred.hex(), "z": tz and tz.hex()})


async def linked(store: Flavour, keys: list[bytes], now: float = NOW) -> list[Entry | None]:
    return await store._do("fetch_linked", keys, now)  # type: ignore[no-any-return]


async def test_fetch_linked_reads_the_keys_the_first_entry_names(store: Flavour) -> None:
    rec = record(links_to(A, B))
    await store.apply([Write(R, rec), Write(A, entry()), Write(B, entry("E_SERVER_TIMEZONE"))])
    await store.apply([Write(C, entry("cooldown"))])
    assert await linked(store, [R, C]) == [
        rec,
        entry("cooldown"),
        entry(),
        entry("E_SERVER_TIMEZONE"),
    ]
    assert await linked(store, [C, R]) == [entry("cooldown"), rec, None, None]  # C names none
    assert await linked(store, [A]) == [entry(), None, None]


async def test_fetch_linked_follows_only_live_entries(store: Flavour) -> None:
    rec = record(links_to(A, None), ttl=10)
    await store.apply([Write(R, rec), Write(A, entry(ttl=5)), Write(B, entry())])
    assert await linked(store, [R, B]) == [rec, entry(), entry(ttl=5), None]
    assert await linked(store, [R, B], NOW + 5) == [rec, entry(), None, None]
    assert await linked(store, [R, B], NOW + 10) == [None, entry(), None, None]
    assert await linked(store, [B, R]) == [entry(), rec, None, None]  # B links to nothing


ODD_DATA = [
    "",
    "not json",
    "[1, 2]",
    '"a string"',
    json.dumps({"c": A.hex().upper(), "z": B.hex()}),
    json.dumps({"c": A.hex()[:-1], "z": 7}),
    json.dumps({"c": "", "z": None}),
    json.dumps({"c": "zz" * 32, "z": " " + B.hex()}),
    json.dumps({"c": C.hex(), "z": {"nested": B.hex()}}),
    " \n" + json.dumps({"c": A.hex()}) + "\t ",
    json.dumps({"c": A.hex()}) + " trailing",
]


@pytest.mark.parametrize("data", ODD_DATA)
async def test_fetch_linked_follows_exactly_what_links_finds(store: Flavour, data: str) -> None:
    """Every backend (the Redis script too) follows by the rules of ``store.links``: the same
    answer as reading the first entry, then what ``links`` names in it."""
    odd = record(data)
    await store.apply([Write(R, odd), Write(A, entry()), Write(B, entry()), Write(C, entry())])
    first = await store.fetch([R])
    targets = links(first[0])
    expected = first + [None if key is None else (await store.fetch([key]))[0] for key in targets]
    assert await linked(store, [R]) == expected


# --- fetch_grouped: a record's login group read with it -----------------------------------------
G, H = b"g" * 32, b"h" * 32


def names_group(group: bytes | str | None, **more: Any) -> str:
    value = group.hex() if isinstance(group, bytes) else group
    return json.dumps({"i": value, **more})


async def grouped(
    store: Flavour, keys: list[bytes], now: float = NOW
) -> tuple[list[Entry | None], dict[bytes, Entry]]:
    return await store._do("fetch_grouped", keys, now)  # type: ignore[no-any-return]


async def test_fetch_grouped_reads_the_members_of_the_group_the_first_entry_names(
    store: Flavour,
) -> None:
    rec = record(names_group(G))
    await store.apply([Write(R, rec), Write(A, entry(), G), Write(B, entry("E_NO_SYMBOLS"), G)])
    await store.apply([Write(C, entry("E_AUTH", data="other login"), H)])
    assert await grouped(store, [R, C]) == (
        [rec, entry(data="other login")],
        {A: entry(), B: entry("E_NO_SYMBOLS")},
    )
    assert await grouped(store, [C, R]) == ([entry(data="other login"), rec], {})
    assert await grouped(store, [b"x" * 32]) == ([None], {})
    await store.apply([Write(R, record(names_group(H)))])  # the record now names another login
    assert (await grouped(store, [R]))[1] == {C: entry(data="other login")}


async def test_a_key_holding_nothing_ships_the_group_it_names_itself(store: Flavour) -> None:
    """An account with no record files its marks under its record key: reading that key finds
    them, until a record names another group."""
    await store.apply([Write(A, entry(), R), Write(B, entry("E_NO_SYMBOLS"), G)])
    assert await grouped(store, [R, B]) == ([None, entry("E_NO_SYMBOLS")], {A: entry()})
    assert await grouped(store, [A]) == ([entry()], {})  # A names no group: nothing shipped
    await store.apply([Write(R, record(names_group(G)))])
    assert (await grouped(store, [R]))[1] == {B: entry("E_NO_SYMBOLS")}


async def test_fetch_grouped_answers_only_live_members_of_a_live_entry(store: Flavour) -> None:
    rec = record(names_group(G), ttl=10)
    await store.apply([Write(R, rec), Write(A, entry(ttl=5), G), Write(B, entry(ttl=None), G)])
    await store.apply([Write(C, entry(ttl=None), R)])
    assert await grouped(store, [R]) == ([rec], {A: entry(ttl=5), B: entry(ttl=None)})
    assert await grouped(store, [R], NOW + 5) == ([rec], {B: entry(ttl=None)})
    # Expired, the record names no group: the key's own is shipped, or, where the store still
    # holds the record (Redis expires by the server's clock), nothing it could mistake.
    entries, members = await grouped(store, [R], NOW + 10)
    assert entries == [None]
    assert members == (None if isinstance(store.store, RedisStore) else {C: entry(ttl=None)})


async def test_a_delete_in_a_group_takes_the_key_out(store: Flavour) -> None:
    await store.apply(
        [Write(R, record(names_group(G))), Write(A, entry(), G), Write(B, entry(), G)]
    )
    await store.apply([Write(A, None, G), Write(B, entry(ttl=-1), G)])  # expired when written
    assert await grouped(store, [R]) == ([record(names_group(G))], {})
    await store.apply([Write(A, entry("E_AUTH", first=NOW + 1), G)])  # filed afresh
    assert (await grouped(store, [R]))[1] == {A: entry("E_AUTH", first=NOW + 1)}


async def test_a_key_filed_twice_is_one_member_and_keeps_first_seen(store: Flavour) -> None:
    await store.apply([Write(R, record(names_group(G))), Write(A, entry(), G)])
    await store.apply([Write(A, entry(first=NOW + 30), G)], NOW + 30)
    assert await grouped(store, [R], NOW + 30) == (
        [record(names_group(G))],
        {A: Entry("E_AUTH", NOW, NOW + 90)},
    )


async def test_concurrent_filings_in_one_group_lose_nothing(store: Flavour) -> None:
    keys = [i.to_bytes(32, "big") for i in range(60)]
    writes = [[Write(k, entry(data=k.hex()), G)] for k in keys]
    if store.asynchronous:
        await asyncio.gather(*(store.apply(w) for w in writes))
    else:
        await asyncio.gather(*(asyncio.to_thread(store.store.apply, w, NOW) for w in writes))
    await store.apply([Write(R, record(names_group(G)))])
    members = (await grouped(store, [R]))[1]
    assert {k: e.data for k, e in members.items()} == {k: k.hex() for k in keys}


async def test_a_group_over_the_limit_answers_no_members(store: Flavour) -> None:
    """Past ``GROUP_LIMIT`` filings the members are not shipped (None): the caller reads the
    one key it needs instead."""
    keys = [i.to_bytes(32, "big") for i in range(GROUP_LIMIT + 1)]
    await store.apply([Write(R, record(names_group(G)))])
    await store.apply([Write(k, entry(data=str(i)), G) for i, k in enumerate(keys[:-1])])
    rec, members = await grouped(store, [R])
    assert members is not None and len(members) == GROUP_LIMIT
    await store.apply([Write(keys[-1], entry(), G)])
    assert await grouped(store, [R]) == (rec, None)
    await store.apply([Write(keys[0], None, G)])  # back to the limit
    members = (await grouped(store, [R]))[1]
    assert members is not None and len(members) == GROUP_LIMIT and keys[0] not in members


ODD_GROUPS = [
    "",
    "not json",
    "[1, 2]",
    names_group(G.hex().upper()),
    names_group(G.hex()[:-1]),
    names_group(""),
    names_group(None),
    names_group("zz" * 32),
    names_group(" " + G.hex()),
    names_group(G.hex()[:32] + " " + G.hex()[32:]),
    json.dumps({"i": 7}),
    json.dumps({"i": {"nested": G.hex()}}),
    " \n" + names_group(G) + "\t ",
    names_group(G) + " trailing",
    names_group(H, c=A.hex()),
]


@pytest.mark.parametrize("data", ODD_GROUPS)
async def test_fetch_grouped_follows_exactly_what_group_of_finds(store: Flavour, data: str) -> None:
    """Every backend (the Redis script too) finds the group by the rules of ``group_of``."""
    odd = record(data)
    await store.apply([Write(R, odd), Write(A, entry(), G), Write(B, entry(), H)])
    expected = {G: {A: entry()}, H: {B: entry()}}.get(group_of(odd) or b"", {})
    assert await grouped(store, [R]) == ([odd], expected)


def test_redis_groups_expire_with_their_longest_lived_member(
    redis_url: str, redis_prefix: str
) -> None:
    import redis

    from brokerlink.credentials import RedisStore

    store = RedisStore(redis_url, prefix=redis_prefix, key=SHARED_KEY)
    real_now = time.time()

    def later(seconds: float | None) -> Entry:
        return Entry("E_AUTH", real_now, None if seconds is None else real_now + seconds)

    with redis.Redis.from_url(store.url) as client:
        name = store.prefix + "g:" + G.hex()
        store.apply([Write(A, later(60), G)], real_now)
        assert 0 < client.pttl(name) <= 60_000
        store.apply([Write(B, later(600), G), Write(C, later(30), G)], real_now)
        assert 60_000 < client.pttl(name) <= 600_000
        store.apply([Write(C, later(None), G)], real_now)
        assert client.pttl(name) == -1  # a member without expiry keeps the group
        store.apply([Write(A, None, G), Write(B, None, G), Write(C, None, G)], real_now)
        assert client.exists(name) == 0
    store.close()


def test_sqlite_sweeps_the_filings_of_expired_entries(tmp_path: Any) -> None:
    from brokerlink.credentials import SQLiteStore, sqlite_store

    store = SQLiteStore(tmp_path / "swept.sqlite3")
    store.apply([Write(A, entry(ttl=5), G), Write(B, entry(ttl=500), G)], NOW)
    for _ in range(sqlite_store.SWEEP_EVERY):
        store.apply([Write(C, entry())], NOW + 10)
    assert store.query("SELECT key FROM guard_groups", ()) == [(B,)]
    assert store.query("SELECT key FROM guard_entries WHERE key = ?", (A,)) == []
    store.close()
