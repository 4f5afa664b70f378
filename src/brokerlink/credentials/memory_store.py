"""The in-memory store: one process, lost on exit; for tests and short-lived tools."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from brokerlink.credentials.keys import configured_key, new_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import (
    GROUP_LIMIT,
    LINKS,
    Entry,
    Grouped,
    Write,
    group_of,
    links,
    merged,
)

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
        self._groups: dict[bytes, set[bytes]] = {}
        self._named: dict[bytes, bytes] = {}
        """key -> the group its entry names (``group_of``), worked out when it is written."""
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

    def fetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        """``fetch`` plus the entries the first one links to, under one hold of the lock."""
        entries = self._entries
        with self._lock:
            found = [entries.get(key) for key in keys]
            first = found[0]
            if first is not None and first.live(now):
                found += [None if key is None else entries.get(key) for key in links(first)]
            else:
                found += [None] * len(LINKS)
        return [e if e is not None and e.live(now) else None for e in found]

    async def afetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        return self.fetch_linked(keys, now)

    def fetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        """``fetch`` plus the live members of ``shipped_group``, in one hold of the lock (the
        group an entry names is worked out when it is written, not on every read)."""
        entries = self._entries
        with self._lock:
            found = [e if (e := entries.get(key)) is None or e.live(now) else None for key in keys]
            group = keys[0] if found[0] is None else self._named.get(keys[0])
            filed = self._groups.get(group, ()) if group is not None else ()
            if len(filed) > GROUP_LIMIT:
                return found, None
            members: dict[bytes, Entry] = {}
            for key in filed:
                entry = entries.get(key)
                if entry is not None and entry.live(now):
                    members[key] = entry
        return found, members

    async def afetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        return self.fetch_grouped(keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        with self._lock:
            for write in writes:
                self._named.pop(write.key, None)
                if write.entry is None or not write.entry.live(now):
                    self._entries.pop(write.key, None)
                    if write.group is not None:
                        self._ungroup(write.group, write.key)
                else:
                    old = self._entries.get(write.key)
                    self._entries[write.key] = merged(old, write.entry, now)
                    named = group_of(write.entry) if write.entry.data else None
                    if named is not None:
                        self._named[write.key] = named
                    if write.group is not None:
                        self._groups.setdefault(write.group, set()).add(write.key)
            self._writes += len(writes)
            if self._writes >= SWEEP_EVERY:
                self._writes = 0
                self._sweep(now)

    def _ungroup(self, group: bytes, key: bytes) -> None:
        members = self._groups.get(group)
        if members is not None:
            members.discard(key)
            if not members:
                del self._groups[group]

    def _sweep(self, now: float) -> None:
        """Drop expired entries and the group filings of keys no longer held."""
        dead = [k for k, e in self._entries.items() if not e.live(now)]
        for key in dead:
            del self._entries[key]
            self._named.pop(key, None)
        for group, members in list(self._groups.items()):
            members.intersection_update(self._entries)
            if not members:
                del self._groups[group]

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
