"""Child-process side of the concurrency tests (importable, so ``spawn`` can start it)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from brokerlink.credentials import Entry, RedisStore, SQLiteStore, Write

NOW = 1_750_000_000.0
SHARED = b"shared-key-of-all-workers-000000"
USER = "hammered-user"
GROUPS = 10
"""Every worker files its ``index``-th key in group ``index % GROUPS``: 80 filings per group
(within ``GROUP_LIMIT``), made by all eight processes at once."""


def group(number: int) -> bytes:
    return hashlib.sha256(f"login {number}".encode()).digest()


def record(number: int) -> tuple[bytes, Entry]:
    """The key and entry of a record naming group ``number``."""
    key = hashlib.sha256(f"record {number}".encode()).digest()
    return key, Entry("record", NOW, NOW + 3600, json.dumps({"i": group(number).hex()}))


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
        store.apply([Write(*record(number)) for number in range(GROUPS)], NOW)
        for index in range(count):
            entry = Entry("E_AUTH", NOW + index, NOW + 3600, f"{worker}:{index}")
            shared = Entry("E_AUTH", NOW + worker * 1000 + index, NOW + 3600, "shared")
            own = Write(own_key(worker, index), entry, group(index % GROUPS))
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
