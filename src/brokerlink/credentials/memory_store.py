"""The in-memory store: one process, lost on exit; for tests and short-lived tools."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from brokerlink.credentials.keys import configured_key, new_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import Entry, Write, merged

SWEEP_EVERY = 1024
"""Drop expired entries after this many writes (reads skip them anyway)."""


class MemoryStore:
    """A dict behind a lock; its HMAC key is random per store unless one is configured."""

    limits_blocking = False
    """Its ``limits`` storage never blocks, so async callers use it inline."""

    def __init__(self, *, key: str | bytes | None = None, policy: GuardPolicy | None = None):
        self.policy = policy or GuardPolicy()
        self._key = configured_key(key) or new_key()
        self._entries: dict[bytes, Entry] = {}
        self._lock = threading.Lock()
        self._writes = 0
        self._limits: Any = None

    def __repr__(self) -> str:
        return f"MemoryStore(entries={len(self._entries)})"

    def __len__(self) -> int:
        return len(self._entries)

    def open(self) -> bytes:
        return self._key

    async def aopen(self) -> bytes:
        return self._key

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        with self._lock:
            found = [self._entries.get(key) for key in keys]
        return [e if e is not None and e.live(now) else None for e in found]

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        return self.fetch(keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        with self._lock:
            for write in writes:
                if write.entry is None or not write.entry.live(now):
                    self._entries.pop(write.key, None)
                else:
                    old = self._entries.get(write.key)
                    self._entries[write.key] = merged(old, write.entry, now)
            self._writes += len(writes)
            if self._writes >= SWEEP_EVERY:
                self._writes = 0
                for key in [k for k, e in self._entries.items() if not e.live(now)]:
                    del self._entries[key]

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        self.apply(writes, now)

    def close(self) -> None:
        """Nothing to release; the entries stay for whoever still holds the store."""

    async def aclose(self) -> None:
        """Nothing to release."""

    def limits_storage(self) -> Any:
        """A ``limits`` in-memory storage, one per store."""
        with self._lock:
            if self._limits is None:
                from limits.storage import MemoryStorage

                self._limits = MemoryStorage()
            return self._limits

    def entries(self) -> dict[bytes, Entry]:
        """A copy of everything stored (for inspection and tests)."""
        with self._lock:
            return dict(self._entries)
