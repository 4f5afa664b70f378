"""Eight processes hammer one SQLite file and one Redis: no lost, torn or corrupt entry, one
HMAC key for all, every rate-limit hit counted, and what each process's guard learnt refused by
a guard of another."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from brokerlink.credentials import Entry, Guard, RedisStore, SQLiteStore
from brokerlink.errors import KnownBadCredentials
from brokerlink.plugins.metaapi.guard_reasons import REASONS
from brokerlink.timing import SYSTEM
from tests.credentials import workers
from tests.credentials.conftest import SHARED_KEY
from tests.credentials.drive import create

PROCESSES = 8
WRITES = 100


def run_workers(backend: str, where: dict[str, Any]) -> list[tuple[int, str, list[str]]]:
    # forkserver: children fork from one clean process that imported the worker code once
    # (fast, and no fork of this threaded test process); spawn where it does not exist.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    ctx.set_forkserver_preload(["tests.credentials.workers", "redis", "limits.storage"])
    barrier, out = ctx.Barrier(PROCESSES), ctx.Queue()
    processes = [
        ctx.Process(target=workers.hammer, args=(backend, where, w, WRITES, barrier, out))
        for w in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return sorted(results)


def check(store: Any, results: list[tuple[int, str, list[str]]]) -> None:
    assert [r[0] for r in results] == list(range(PROCESSES))
    assert [problem for r in results for problem in r[2]] == []
    assert len({r[1] for r in results}) == 1  # one HMAC key for every process
    keys = [workers.own_key(w, i) for w in range(PROCESSES) for i in range(WRITES)]
    found = store.fetch(keys, workers.NOW)
    expected = [
        Entry("E_AUTH", workers.NOW + i, workers.NOW + 3600, f"{w}:{i}")
        for w in range(PROCESSES)
        for i in range(WRITES)
    ]
    assert found == expected
    fresh = Guard(store, reasons=REASONS)
    for worker in range(PROCESSES):
        with pytest.raises(KnownBadCredentials):
            fresh.check(create(login=f"w{worker}"), timing=SYSTEM)
    # Every write of the shared key kept the earliest first_seen (worker 0, write 0).
    assert store.fetch([workers.SHARED], workers.NOW) == [
        Entry("E_AUTH", workers.NOW, workers.NOW + 3600, "shared")
    ]
    hits = store.limits_storage().get_moving_window(workers.USER, 100_000, 3600)[1]
    assert hits == PROCESSES * WRITES // 5


def test_eight_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    results = run_workers("sqlite", {"path": str(path)})
    store = SQLiteStore(path)
    try:
        check(store, results)
        assert store.query("PRAGMA integrity_check", ()) == [("ok",)]
    finally:
        store.close()


def test_eight_processes_share_one_redis(redis_url: str, redis_prefix: str) -> None:
    where = {"url": redis_url, "prefix": redis_prefix, "key": SHARED_KEY}
    results = run_workers("redis", where)
    store = RedisStore(redis_url, prefix=redis_prefix, key=SHARED_KEY)
    try:
        check(store, results)
    finally:
        store.close()
