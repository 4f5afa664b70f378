"""The account records a guard saw or wrote last, kept in process to guess an update's hashes.

An updateAccount check needs keys derived (by HMAC, whose key never leaves the process) from the
account's record, so without a guess it reads the store twice. With the record this process
last saw, it reads the record and the guessed keys at once, and keeps the guess only when the
record read back is the same one; another process's change costs the second read, never a wrong
answer. Entries are keyed by the record's keyed hash and hold hashes and settings only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brokerlink.credentials.plan import Record

SIZE = 10_000


class RecentRecords:
    """A bounded LRU: record key -> the last ``Record`` seen or written (None: none stored)."""

    __slots__ = ("_items", "_lock", "size")

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[bytes, Record | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"RecentRecords({len(self._items)}/{self.size})"

    def get(self, key: bytes) -> tuple[bool, Record | None]:
        """(known, record): the record last seen under ``key`` (None: there was none), or
        (False, None) when nothing is known of it."""
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, self._items[key]

    def put(self, key: bytes, record: Record | None) -> None:
        with self._lock:
            self._items[key] = record
            self._items.move_to_end(key)
            if len(self._items) > self.size:
                self._items.popitem(last=False)

    def items(self) -> list[tuple[bytes, Record | None]]:
        """A copy, least recent first (for inspection and tests)."""
        with self._lock:
            return list(self._items.items())
