"""A ``limits`` moving-window storage in the guard's SQLite database (``limits`` has none)."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

from limits.storage import MovingWindowSupport, Storage

if TYPE_CHECKING:
    from brokerlink.credentials.sqlite_store import SQLiteStore


class SQLiteLimitsStorage(Storage, MovingWindowSupport):
    """Rate-limit hit logs in the ``guard_hits`` table."""

    STORAGE_SCHEME = None

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__(None)
        self._store = store

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (sqlite3.Error, OSError)

    # fixed windows: unused by the rate limit (a moving window)
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("the guard's SQLite limits storage has moving windows only")

    def get(self, key: str) -> int:
        return 0

    def get_expiry(self, key: str) -> float:
        return time.time()

    def check(self) -> bool:
        try:
            self._store.query("SELECT 1", ())
        except Exception:
            return False
        return True

    def reset(self) -> int | None:
        return self._store.transaction(lambda c: int(c.execute("DELETE FROM guard_hits").rowcount))

    def clear(self, key: str) -> None:
        self._store.transaction(lambda c: c.execute("DELETE FROM guard_hits WHERE key = ?", (key,)))

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = time.time()

        def run(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM guard_hits WHERE key = ? AND at <= ?", (key, now - expiry))
            count = conn.execute("SELECT COUNT(*) FROM guard_hits WHERE key = ?", (key,))
            if count.fetchone()[0] + amount > limit:
                return False
            rows = [(key, now, now + expiry)] * amount
            conn.executemany("INSERT INTO guard_hits (key, at, expires_at) VALUES (?, ?, ?)", rows)
            return True

        return amount <= limit and self._store.transaction(run)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        sql = "SELECT MIN(at), COUNT(*) FROM guard_hits WHERE key = ? AND at > ?"
        oldest, count = self._store.query(sql, (key, now - expiry))[0]
        return (float(oldest) if oldest is not None else now), int(count)
