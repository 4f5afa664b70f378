"""The SQLite store, the default: one file per API base URL, shared by processes. WAL lets readers
go on while one process writes; writes take the lock up front (``BEGIN IMMEDIATE``, waiting up to
``timeout``). The HMAC key lives next to the database (``<db>.key``), made by the first process;
files brokerlink creates are the owner's only (0600, in a 0700 folder), whatever the umask."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from brokerlink.credentials.keys import configured_key, new_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import Entry, Write, failures

MEMORY = ":memory:"
SWEEP_EVERY = 256
"""Purge up to ``SWEEP_BATCH`` expired rows and checkpoint the WAL every this many write
transactions per process (in a thread for async clients)."""
SWEEP_BATCH = 1000
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS guard_entries (
    key BLOB PRIMARY KEY,
    reason TEXT NOT NULL,
    first_seen REAL NOT NULL,
    expires_at REAL,
    data TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guard_entries_expiry ON guard_entries (expires_at);
CREATE TABLE IF NOT EXISTS guard_hits (
    key TEXT NOT NULL, at REAL NOT NULL, expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_hits_key ON guard_hits (key, at);
CREATE INDEX IF NOT EXISTS guard_hits_expiry ON guard_hits (expires_at);
CREATE TABLE IF NOT EXISTS guard_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
UPSERT = """
INSERT INTO guard_entries (key, reason, first_seen, expires_at, data) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (key) DO UPDATE SET
    first_seen = CASE
        WHEN reason = excluded.reason AND (expires_at IS NULL OR expires_at > ?6)
             AND first_seen < excluded.first_seen THEN first_seen
        ELSE excluded.first_seen END,
    reason = excluded.reason,
    expires_at = excluded.expires_at,
    data = excluded.data
"""
DELETE = "DELETE FROM guard_entries WHERE key = ?"
PURGE = (
    "DELETE FROM guard_entries WHERE key IN "
    "(SELECT key FROM guard_entries WHERE expires_at <= ? LIMIT ?)"
)
PURGE_HITS = (
    "DELETE FROM guard_hits WHERE rowid IN "
    "(SELECT rowid FROM guard_hits WHERE expires_at <= ? LIMIT ?)"
)


def default_path(scope: str | None = None) -> Path:
    """``<user cache dir>/brokerlink/guard/<hash of scope>.sqlite3`` (platformdirs), or
    ``shared.sqlite3`` there for a store made without a scope."""
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("brokerlink", appauthor=False)) / "guard"
    name = "shared" if scope is None else hashlib.sha256(scope.encode()).hexdigest()[:32]
    return folder / f"{name}.sqlite3"


def _private(path: Path) -> None:
    """Create ``path`` (and its folder) for the owner only; SQLite gives ``-wal`` and ``-shm``
    the database's mode."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


class SQLiteStore:
    """The embedded default store (thread-safe; one connection per store and process). Without
    a ``path`` it is the file of base URL ``scope`` (normalised; recorded in the file)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        scope: str | None = None,
        key: str | bytes | None = None,
        policy: GuardPolicy | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.path: Path | str = (
            MEMORY if str(path) == MEMORY else Path(path) if path else default_path(scope)
        )
        self.scope = scope
        self.policy, self.timeout = policy or GuardPolicy(), timeout
        self._configured_key = configured_key(key)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._key: bytes | None = None
        self._transactions = 0
        self._limits: Any = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def _errors(self, doing: str) -> contextlib.AbstractContextManager[None]:
        return failures(self, doing, sqlite3.Error, OSError, ValueError)

    def open(self) -> bytes:
        with self._lock, self._errors("open"):
            if self._key is None:
                conn = self._connect()
                try:
                    key = self._configured_key or self._own_key()
                except BaseException:
                    conn.close()
                    raise
                self._conn, self._key = conn, key
            return self._key

    async def aopen(self) -> bytes:
        return self._key if self._key is not None else await asyncio.to_thread(self.open)

    def _connect(self) -> sqlite3.Connection:
        if isinstance(self.path, Path):
            _private(self.path)
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if self.path != MEMORY:
                self._switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run with the sweep
            conn.executescript(SCHEMA)
            if self.scope is not None:
                conn.execute("INSERT OR IGNORE INTO guard_meta VALUES ('scope', ?)", (self.scope,))
        except BaseException:
            conn.close()
            raise
        return conn

    def _switch_to_wal(self, conn: sqlite3.Connection) -> None:
        """``PRAGMA journal_mode=WAL``, retried while other processes open a new file at the
        same moment: SQLite answers "locked" at once there (a lock upgrade that could deadlock
        never waits for the busy timeout)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.005)  # another process holds the lock for a moment

    def _own_key(self) -> bytes:
        """Read ``<db>.key``, or create it (O_EXCL: one process wins, the others read it)."""
        if self.path == MEMORY:
            return new_key()
        key_path = Path(f"{self.path}.key")
        for _ in range(200):
            try:
                fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                text = key_path.read_text(encoding="ascii").strip()
                if len(text) == 64:
                    return bytes.fromhex(text)
                time.sleep(0.005)  # another process is writing it right now
                continue
            key = new_key()
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(key.hex() + "\n")
                out.flush()
                os.fsync(out.fileno())
            return key
        raise ValueError(f"key file {key_path} is not 64 hex digits; delete it to start afresh")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        sql = (
            "SELECT key, reason, first_seen, expires_at, data FROM guard_entries "
            f"WHERE key IN ({','.join('?' * len(keys))})"
        )
        with self._lock, self._errors("read"):
            rows = self._connection().execute(sql, keys).fetchall()
        found = {row[0]: Entry(row[1], row[2], row[3], row[4]) for row in rows}
        entries = [found.get(key) for key in keys]
        return [e if e is not None and e.live(now) else None for e in entries]

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        # A primary-key read takes microseconds and WAL readers do not wait for writers, so it
        # runs inline; only when a writer of this process holds the connection does it wait in
        # a thread instead of blocking the event loop.
        if self._conn is not None and self._lock.acquire(blocking=False):
            try:
                return self.fetch(keys, now)
            finally:
                self._lock.release()
        return await asyncio.to_thread(self.fetch, keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        if self.transaction(lambda conn: self._write(conn, writes, now)):
            with self._lock, self._errors("checkpoint"):
                self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        # Like a read, an uncontended write takes microseconds (WAL, no fsync at commit), far
        # less than a thread hop: it runs inline when no one holds the write lock. Waiting for
        # the lock, and the periodic sweep and checkpoint (disk-bound), run in a thread.
        if self._conn is not None and self._lock.acquire(blocking=False):
            try:
                if self._write_now(writes, now):
                    return
            finally:
                self._lock.release()
        await asyncio.to_thread(self.apply, writes, now)

    def _write(self, conn: sqlite3.Connection, writes: Sequence[Write], now: float) -> bool:
        """The writes, and every ``SWEEP_EVERY`` transactions a sweep: True then (checkpoint
        after the commit)."""
        for write in writes:
            e = write.entry
            if e is None or not e.live(now):
                conn.execute(DELETE, (write.key,))
            else:
                conn.execute(UPSERT, (write.key, e.reason, e.first_seen, e.expires_at, e.data, now))
        self._transactions += 1
        if self._transactions % SWEEP_EVERY == 0:
            conn.execute(PURGE, (now, SWEEP_BATCH))
            conn.execute(PURGE_HITS, (time.time(), SWEEP_BATCH))
            return True
        return False

    def _write_now(self, writes: Sequence[Write], now: float) -> bool:
        """The writes in one transaction if the write lock is free this instant (no busy wait);
        False, with nothing written, if another connection holds it or housekeeping is due.
        Called holding ``_lock``."""
        if (self._transactions + 1) % SWEEP_EVERY == 0:
            return False
        conn = self._connection()
        with self._errors("write"):
            conn.execute("PRAGMA busy_timeout=0")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                return False
            finally:
                conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            _committed(conn, lambda c: self._write(c, writes, now))
        return True

    def transaction(self, run: Callable[[sqlite3.Connection], T]) -> T:
        """``run(connection)`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error)."""
        with self._lock, self._errors("write"):
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            return _committed(conn, run)

    def query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock, self._errors("read"):
            return self._connection().execute(sql, params).fetchall()

    def entries(self) -> dict[bytes, Entry]:
        """Everything stored (for inspection: ``brokerlink guard show``)."""
        rows = self.query("SELECT key, reason, first_seen, expires_at, data FROM guard_entries", ())
        return {row[0]: Entry(*row[1:]) for row in rows}

    def recorded_scope(self) -> str | None:
        """The base URL this file was made for (None: a file you named)."""
        rows = self.query("SELECT value FROM guard_meta WHERE name = 'scope'", ())
        return str(rows[0][0]) if rows else None

    def limits_storage(self) -> Any:
        """A ``limits`` storage in this database (moving window), for the rejection rate limit."""
        from brokerlink.credentials.sqlite_limits import SQLiteLimitsStorage

        with self._lock:
            self._limits = self._limits or SQLiteLimitsStorage(self)
            return self._limits

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._key = None

    async def aclose(self) -> None:
        self.close()


def _committed(conn: sqlite3.Connection, run: Callable[[sqlite3.Connection], T]) -> T:
    """``run(conn)`` in the transaction just begun, then ``COMMIT``; ``ROLLBACK`` if it raises."""
    try:
        result = run(conn)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
