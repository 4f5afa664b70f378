"""The account records a guard saw or wrote last, kept in process to guess an update's hashes.

An updateAccount check needs keys derived (by HMAC, whose key never leaves the process) from the
account's record. With the record this process last saw, it reads the record and the guessed
keys at once (a plain multi-key read, cheaper than the store's grouped read used for records
not seen here), and keeps the guess only when the record read back is the same one; another
process's change costs a second read, never a wrong answer. Entries are keyed by the record's
keyed hash and hold hashes and settings only; the record's stored text is kept too, so an
unchanged record read back is not decoded again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from brokerlink.credentials.plan import Record

SIZE = 10_000


class Seen(NamedTuple):
    """An account's record (None: it had none) and its text in the store ("" for none)."""

    record: Record | None
    text: str


class RecentRecords:
    """A bounded LRU: record key -> what was last seen or written under it."""

    __slots__ = ("_items", "_lock", "size")

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[bytes, Seen] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"RecentRecords({len(self._items)}/{self.size})"

    def get(self, key: bytes) -> Seen | None:
        """What was seen last under ``key``, or None when nothing is known of it."""
        with self._lock:
            seen = self._items.get(key)
            if seen is not None:
                self._items.move_to_end(key)
            return seen

    def put(self, key: bytes, seen: Seen) -> None:
        with self._lock:
            self._items[key] = seen
            self._items.move_to_end(key)
            if len(self._items) > self.size:
                self._items.popitem(last=False)

    def items(self) -> list[tuple[bytes, Seen]]:
        """A copy, least recent first (for inspection and tests)."""
        with self._lock:
            return list(self._items.items())
