"""Child-process side of the concurrency tests (importable, so ``spawn`` can start it)."""

from __future__ import annotations

import hashlib
from typing import Any

from brokerlink.credentials import Entry, Guard, RedisStore, SQLiteStore, Write
from brokerlink.credentials.plan import Outcome
from brokerlink.plugins.metaapi.guard_reasons import REASONS
from brokerlink.timing import SYSTEM
from tests.credentials.drive import create

NOW = 1_750_000_000.0
SHARED = b"shared-key-of-all-workers-000000"
USER = "hammered-user"


def own_key(worker: int, index: int) -> bytes:
    return hashlib.sha256(f"{worker}:{index}".encode()).digest()


def hammer(
    backend: str, where: dict[str, Any], worker: int, count: int, barrier: Any, out: Any
) -> None:
    """Open the store (racing the others), then write and read as fast as possible."""
    problems: list[str] = []
    store: Any
    try:
        if backend == "sqlite":
            store = SQLiteStore(where["path"])
        else:
            store = RedisStore(where["url"], prefix=where["prefix"], key=where["key"])
        barrier.wait(timeout=60)
        key = store.open()
        limits = store.limits_storage()
        guard = Guard(store, reasons=REASONS)  # each process's guard learns one rejection
        guard.learn(create(login=f"w{worker}"), None, Outcome(False, "E_AUTH"), timing=SYSTEM)
        for index in range(count):
            entry = Entry("E_AUTH", NOW + index, NOW + 3600, f"{worker}:{index}")
            shared = Entry("E_AUTH", NOW + worker * 1000 + index, NOW + 3600, "shared")
            own = Write(own_key(worker, index), entry)
            store.apply([own, Write(SHARED, shared)], NOW)
            (back,) = store.fetch([own_key(worker, index)], NOW)
            if back != entry:
                problems.append(f"read back {back!r} for {worker}:{index}")
            if index % 5 == 0 and not limits.acquire_entry(USER, 100_000, 3600):
                problems.append("rate-limit hit refused")
        store.close()
        out.put((worker, hashlib.sha256(key).hexdigest(), problems))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put((worker, "", [f"{type(exc).__name__}: {exc}"]))
