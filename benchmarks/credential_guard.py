"""Cost of the credential guard's check before a guarded request (not a test).

    python -m benchmarks.credential_guard [entries]   (also part of ``nox -s bench``)

Measures the check of a createAccount that is not remembered (the common case): the guard's
check alone (keyed hashes, store lookup, decision) and with the hook that parses the request
first; then, hook included, an updateAccount of an account whose record this process saw, one
whose record it did not see (another process's guard: the record read with its login's group
of marks, three rejected passwords) and a deploy and redeploy of it (the record's hashes
followed in the store). The guard memoizes server hashes, so every line but one reads them
from memory, as a back office checking a handful of servers does; the line "its server not
hashed yet" shows the first update of a process on a server (two more digests: mt4 and mt5).
On the in-memory and SQLite stores filled with ``entries`` (default 1,000,000) other entries,
and on Redis.
Baselines measured in the same run: the hook round of an unguarded call (what every request
pays anyway) and, for Redis, a bare two-key MGET and a PING. For Redis the server counts, per
check, the requests it read (round trips, INFO ``total_reads_processed``) and the commands it
ran (``total_commands_processed``, which includes those a Lua script runs). Targets: <= 20 us
in memory, <= 200 us on SQLite, one round trip on Redis.
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
from brokerlink.plugins.metaapi import credential_guard as plugin
from brokerlink.hooks.call import Call, CallOptions
from brokerlink.plugins.timing import SYSTEM

from brokerlink.credentials import Entry, MemoryStore, RedisStore, SQLiteStore
from brokerlink.credentials.plan import Outcome
from brokerlink.credentials.recent import RecentRecords
from brokerlink.errors import KnownBadCredentials

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
URL = "https://mt.example/users/current/accounts"
ACCOUNT = "bench-account"
UPDATE = {"name": "bench", "server": "ICMarketsSC-Demo", "password": "new-password"}


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
    services: dict[str, Any],
    body: dict[str, Any] | None,
    operation: str,
    path: str = "",
    method: str = "POST",
) -> Callable[[], object]:
    """One first send of a call through the guard's hook, its deferred check carried out."""
    request = httpx.Request(method, URL + path, json=body)
    options = CallOptions()

    def run() -> object:
        call = Call("metaapi", operation, options, 0.0, timing=SYSTEM, services=services)
        plugin.brokerlink_before_send(call, request)
        for effect in call.take_effects():
            try:  # noqa: SIM105 (contextlib.suppress would add its own cost to the timing)
                effect.run()
            except KnownBadCredentials:
                pass
        return call

    return run


def account_calls(services: dict[str, Any]) -> list[tuple[str, Callable[[], object]]]:
    """Sends concerning ``ACCOUNT`` (created through the guard first, so it has a record)."""
    created: Any = guarded_send(services, BODY, "createAccount")()
    attempt = created.state["credential_guard"].attempt
    outcome = Outcome(True, created_id=ACCOUNT)
    services["credential_guard"].learn(attempt, None, outcome, CallOptions(), SYSTEM)
    path = "/" + ACCOUNT
    return [
        ("update, record seen", guarded_send(services, UPDATE, "updateAccount", path, "PUT")),
        ("deploy", guarded_send(services, None, "deployAccount", path + "/deploy")),
        ("redeploy", guarded_send(services, None, "redeployAccount", path + "/redeploy")),
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


def remembered(
    services: dict[str, Any], password: str = "E_AUTH-remembered"
) -> Callable[[], object]:
    """A send of a combination the store remembers (refused locally)."""
    body = {**BODY, "password": password}
    run = guarded_send(services, body, "createAccount")
    call: Any = run()
    guard = services["credential_guard"]
    guard.learn(
        call.state["credential_guard"].attempt,
        None,
        Outcome(False, "E_AUTH"),
        CallOptions(),
        SYSTEM,
    )
    return run


def update_not_seen(store: Any) -> Callable[[], object]:
    """An update of ``ACCOUNT`` by a guard that keeps no records, as another process's would,
    after three other passwords of the account's login were rejected (its group holds them)."""
    services: dict[str, Any] = {"credential_cache": store}
    for n in range(3):
        remembered(services, f"rejected-{n}")
    update = guarded_send(services, UPDATE, "updateAccount", "/" + ACCOUNT, "PUT")
    update()
    services["credential_guard"].recent = RecentRecords(0)
    return update


def unseen_guard_keys(send: Callable[[], object]) -> Any:
    """The ``Keys`` of the guard ``send`` goes through (its server hashes are memoized there)."""
    call: Any = send()
    return call.services["credential_guard"]._keys


def report(name: str, check: float, base: float, target_us: float | None) -> None:
    verdict = (
        ""
        if target_us is None
        else f"  target {target_us:.0f} us: " + ("ok" if check * 1e6 <= target_us else "OVER")
    )
    print(
        f"{name:<38} {check * 1e6:8.1f} us/check  unguarded hook {base * 1e6:5.2f} us  "
        f"ratio {check / base:6.1f}{verdict}"
    )


def bench_store(name: str, store: Any, target_us: float, calls: int) -> None:
    services: dict[str, Any] = {"credential_cache": store}
    unguarded = guarded_send(services, BODY, "listAccounts")
    base = best_per_call(unguarded, calls * 4)
    fresh = guarded_send(services, BODY, "createAccount")
    call: Any = fresh()  # opens the store, makes the key
    guard, attempt = services["credential_guard"], call.state["credential_guard"].attempt
    options = CallOptions()

    def check() -> object:
        return guard.check(attempt, options, SYSTEM, {})

    report(f"{name}: check (facts parsed)", best_per_call(check, calls), base, target_us)
    report(f"{name}: hook + check", best_per_call(fresh, calls), base, target_us)
    report(f"{name}: remembered (refused)", best_per_call(remembered(services), calls), base, None)
    for what, send in account_calls(services):
        report(f"{name}: hook + {what}", best_per_call(send, calls), base, target_us)
    unseen = update_not_seen(store)
    report(f"{name}: hook + update, record not seen", best_per_call(unseen, calls), base, target_us)
    servers = unseen_guard_keys(unseen)._servers

    def first_of_its_server() -> object:
        servers.clear()  # as if no check of this process had hashed the server yet
        return unseen()

    report(
        f"{name}:   (its server not hashed yet)",
        best_per_call(first_of_its_server, calls),
        base,
        None,
    )


class ServerCounts:
    """Requests read and commands run by the Redis server, from INFO stats (less the INFO)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _now(self) -> tuple[int, int]:
        stats = self.client.info("stats")
        return int(stats["total_reads_processed"]), int(stats["total_commands_processed"])

    def per_call(self, run: Callable[[], object], calls: int) -> tuple[float, float]:
        reads, commands = self._now()
        for _ in range(calls):
            run()
        after_reads, after_commands = self._now()
        return (after_reads - reads - 1) / calls, (after_commands - commands - 1) / calls


def bench_redis(calls: int) -> None:
    import redis

    url = os.environ.get("BROKERLINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
    except (redis.RedisError, OSError):
        print(f"redis: skipped, no server at {url} (set BROKERLINK_TEST_REDIS_URL)")
        return
    prefix = f"brokerlink-bench:{uuid.uuid4().hex}:"
    store = RedisStore(url, prefix=prefix, key="benchmark-key-0123456789")
    services: dict[str, Any] = {"credential_cache": store}
    try:
        create = guarded_send(services, BODY, "createAccount")
        create()
        sends = [("create, not remembered", create), *account_calls(services)]
        sends.append(("update, record not seen", update_not_seen(store)))
        ping = best_per_call(client.ping, calls)
        raw = best_per_call(lambda: client.mget([prefix + "a" * 64, prefix + "b" * 64]), calls)
        print(f"{'redis: baselines':<38} bare MGET {raw * 1e6:6.1f} us  PING {ping * 1e6:6.1f} us")
        counts = ServerCounts(client)
        for what, send in sends:
            send()  # warm: connection and scripts
            per_check = best_per_call(send, calls)
            trips, commands = counts.per_call(send, calls)
            verdict = "ok" if round(trips) <= 1 else "OVER"
            print(
                f"{'redis: hook + ' + what:<38} {per_check * 1e6:8.1f} us/check  "
                f"ratio to MGET {per_check / raw:4.2f}  round trips/check {trips:.2f}  "
                f"commands/check {commands:.2f}  target 1 round trip: {verdict}"
            )
    finally:
        store.close()
        names = list(client.scan_iter(match=prefix + "*"))
        if names:
            client.delete(*names)
        client.close()


def main(entries: int = ENTRIES) -> int:
    print(f"credential guard check, stores holding {entries:,} other entries")
    reference = best_per_call(lambda: sum(range(100)), 20_000)
    print(f"  (reference: sum(range(100)) takes {reference * 1e6:.2f} us on this machine now)")
    memory = MemoryStore()
    began = time.perf_counter()
    fill_memory(memory, entries)
    print(f"  (memory filled in {time.perf_counter() - began:.1f} s)")
    bench_store("memory", memory, 20, 20_000)
    del memory
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStore(Path(tmp) / "bench.sqlite3")
        began = time.perf_counter()
        fill_sqlite(sqlite, entries)
        print(f"  (SQLite filled in {time.perf_counter() - began:.1f} s)")
        bench_store("sqlite", sqlite, 200, 5_000)
        sqlite.close()
    bench_redis(2_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else ENTRIES))
