"""A ``limits`` storage inside the guard's SQLite database (``limits`` has none for SQLite).

Implements the moving-window strategy the rejection rate limit uses. Times are ``time.time()``
like the other ``limits`` storages.
"""

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

    # --- fixed window: not used by the rate limit (a moving window) ------------------------------
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
        def run(conn: sqlite3.Connection) -> int:
            return int(conn.execute("DELETE FROM guard_hits").rowcount)

        return self._store.transaction(run)

    def clear(self, key: str) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM guard_hits WHERE key = ?", (key,))

        self._store.transaction(run)

    # --- moving window ---------------------------------------------------------------------------
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()

        def run(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM guard_hits WHERE key = ? AND at <= ?", (key, now - expiry))
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM guard_hits WHERE key = ?", (key,)
            ).fetchone()
            if count + amount > limit:
                return False
            conn.executemany(
                "INSERT INTO guard_hits (key, at, expires_at) VALUES (?, ?, ?)",
                [(key, now, now + expiry)] * amount,
            )
            return True

        return self._store.transaction(run)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        rows = self._store.query(
            "SELECT MIN(at), COUNT(*) FROM guard_hits WHERE key = ? AND at > ?", (key, now - expiry)
        )
        oldest, count = rows[0]
        return (float(oldest) if oldest is not None else now), int(count)
