"""Cost of the credential guard's check before a guarded request (not a test).

    python -m benchmarks.credential_guard [entries]   (also part of ``nox -s bench``)

Hook included (the plugin reads the facts from the typed body, then the deferred check runs):
a createAccount that is not remembered (the common case), one that is (refused locally), an
updateAccount of an account with a record (the record, then the keys made from it) and a deploy
and redeploy of it (the record and the account mark, then the record's keys). On the in-memory
and SQLite stores filled with ``entries`` (default 1,000,000) other entries, and on Redis, where
the server counts the requests it read per check (round trips, INFO ``total_reads_processed``).
Baselines in the same run: the hook round of an unguarded call and, for Redis, a bare MGET.
Targets: well under 50 us in memory, <= 200 us on SQLite, at most two round trips on Redis.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from brokerlink.credentials import Entry, MemoryStore, RedisStore, SQLiteStore
from brokerlink.credentials.plan import Outcome
from brokerlink.errors import KnownBadCredentials
from brokerlink.generated.metaapi import models
from brokerlink.hooks import Call, CallOptions, ClientState, Operation
from brokerlink.plugins.metaapi import credential_guard as plugin
from brokerlink.timing import SYSTEM

ENTRIES = 1_000_000
BODY = {
    "name": "bench",
    "server": "ICMarketsSC-Demo",
    "magic": 1,
    "platform": "mt5",
    "login": "50012345",
    "password": "not-remembered",
    "type": "cloud-g2",
}
UPDATE = {"name": "bench", "server": "ICMarketsSC-Demo", "password": "new-password"}
ACCOUNT = "bench-account"
REQUEST = httpx.Request("POST", "https://mt.example/users/current/accounts")


def best_per_call(run: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """Best mean seconds per call over ``rounds`` rounds of ``calls`` calls."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(calls):
            run()
        best = min(best, (time.perf_counter() - began) / calls)
    return best


def guarded_send(
    client: ClientState, operation: str, body: Any = None, account_id: str | None = None
) -> Callable[[], Call]:
    """One first send of a call through the guard's hook, its deferred check carried out."""
    options = CallOptions()
    path = {} if account_id is None else {"account_id": account_id}
    op = Operation("metaapi", operation)

    def run() -> Call:
        call = Call(op, options, client, 0.0, body=body, path=path, timing=SYSTEM)
        plugin.brokerlink_before_send(call, REQUEST)
        for effect in call.take_effects():
            try:  # noqa: SIM105 (contextlib.suppress would add its own cost to the timing)
                effect.run()
            except KnownBadCredentials:
                pass
        return call

    return run


def learnt(client: ClientState, send: Callable[[], Call], outcome: Outcome) -> None:
    """Send once and learn ``outcome`` as the answer."""
    attempt = send().state[plugin.STATE].attempt
    assert client.guard is not None
    client.guard.learn(attempt, None, outcome, timing=SYSTEM)


def sends(client: ClientState) -> list[tuple[str, Callable[[], Call]]]:
    create = guarded_send(client, "createAccount", models.NewMetatraderAccount.from_dict(BODY))
    create()  # opens the store, makes the key
    learnt(client, create, Outcome(True, created_id=ACCOUNT))
    bad = models.NewMetatraderAccount.from_dict({**BODY, "password": "E_AUTH-remembered"})
    refused = guarded_send(client, "createAccount", bad)
    learnt(client, refused, Outcome(False, "E_AUTH"))
    update = models.MetatraderAccountUpdate.from_dict(UPDATE)
    return [
        ("create, not remembered", create),
        ("create, remembered (refused)", refused),
        ("update, record read first", guarded_send(client, "updateAccount", update, ACCOUNT)),
        ("deploy", guarded_send(client, "deployAccount", None, ACCOUNT)),
        ("redeploy", guarded_send(client, "redeployAccount", None, ACCOUNT)),
    ]


def fill_memory(store: MemoryStore, count: int) -> None:
    entry = Entry("E_AUTH", time.time(), time.time() + 86400)
    with store._lock:
        store._entries.update((os.urandom(32), entry) for _ in range(count))


def fill_sqlite(store: SQLiteStore, count: int) -> None:
    store.open()
    now = time.time()
    keys = sorted(os.urandom(32) for _ in range(count))
    rows = ((k, "E_AUTH", now, now + 86400, "") for k in keys)
    store.transaction(
        lambda conn: conn.executemany(
            "INSERT INTO guard_entries (key, reason, first_seen, expires_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    )
    store.query("PRAGMA wal_checkpoint(TRUNCATE)", ())


def bench_store(name: str, store: Any, target_us: float, calls: int) -> None:
    client = ClientState(api="metaapi", credential_cache=store)
    base = best_per_call(guarded_send(client, "listAccounts"), calls * 4)
    print(f"{name + ': unguarded hook round':<44} {base * 1e6:8.2f} us")
    for what, send in sends(client):
        per = best_per_call(send, calls)
        verdict = "ok" if per * 1e6 <= target_us else "OVER"
        print(
            f"{name + ': hook + ' + what:<44} {per * 1e6:8.1f} us/check  "
            f"ratio {per / base:6.1f}  target {target_us:.0f} us: {verdict}"
        )


def bench_redis(calls: int) -> None:
    import redis

    url = os.environ.get("BROKERLINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=1)
        server.ping()
    except (redis.RedisError, OSError):
        print(f"redis: skipped, no server at {url} (set BROKERLINK_TEST_REDIS_URL)")
        return
    prefix = f"brokerlink-bench:{uuid.uuid4().hex}:"
    store = RedisStore(url, prefix=prefix, key="benchmark-key-0123456789")
    client = ClientState(api="metaapi", credential_cache=store)
    try:
        raw = best_per_call(lambda: server.mget([prefix + "a" * 64, prefix + "b" * 64]), calls)
        print(f"{'redis: bare MGET':<44} {raw * 1e6:8.1f} us")
        for what, send in sends(client):
            per = best_per_call(send, calls)
            before = int(server.info("stats")["total_reads_processed"])
            for _ in range(calls):
                send()
            after = int(server.info("stats")["total_reads_processed"])
            trips = (after - before - 1) / calls
            verdict = "ok" if round(trips) <= 2 else "OVER"
            print(
                f"{'redis: hook + ' + what:<44} {per * 1e6:8.1f} us/check  "
                f"ratio to MGET {per / raw:4.2f}  round trips/check {trips:.2f}  "
                f"target 2: {verdict}"
            )
    finally:
        store.close()
        names = list(server.scan_iter(match=prefix + "*"))
        if names:
            server.delete(*names)
        server.close()


def main(entries: int = ENTRIES) -> int:
    print(f"credential guard check, stores holding {entries:,} other entries")
    memory = MemoryStore()
    fill_memory(memory, entries)
    bench_store("memory", memory, 50, 20_000)
    del memory
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStore(Path(tmp) / "bench.sqlite3")
        fill_sqlite(sqlite, entries)
        bench_store("sqlite", sqlite, 200, 5_000)
        sqlite.close()
    bench_redis(2_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else ENTRIES))
