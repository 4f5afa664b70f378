"""The SQLite store, the default: one file in the user's cache directory, shared by processes.

WAL journaling lets readers go on while one process writes; writes take the database lock up
front (``BEGIN IMMEDIATE``) and wait up to ``timeout`` for it, so concurrent processes never
lose an update. The HMAC key lives in a separate file next to the database (``<db>.key``, mode
0600), created once by whichever process gets there first; a copied database alone is useless.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from brokerlink.credentials.keys import configured_key, new_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import (
    GROUP_LIMIT,
    Entry,
    Grouped,
    Write,
    joined,
    links,
    shipped_group,
)
from brokerlink.errors import CredentialCacheUnavailable

DEFAULT_NAME = "credential-guard.sqlite3"
MEMORY = ":memory:"
SWEEP_EVERY = 256
"""Purge up to ``SWEEP_BATCH`` expired rows every this many write transactions per process."""
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
CREATE TABLE IF NOT EXISTS guard_groups (
    grp BLOB NOT NULL, key BLOB NOT NULL, PRIMARY KEY (grp, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guard_groups_key ON guard_groups (key);
CREATE TABLE IF NOT EXISTS guard_hits (
    key TEXT NOT NULL, at REAL NOT NULL, expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_hits_key ON guard_hits (key, at);
CREATE INDEX IF NOT EXISTS guard_hits_expiry ON guard_hits (expires_at);
CREATE TABLE IF NOT EXISTS guard_counters (
    key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL
) WITHOUT ROWID;
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
FILE = "INSERT OR IGNORE INTO guard_groups (grp, key) VALUES (?, ?)"
UNFILE = "DELETE FROM guard_groups WHERE grp = ? AND key = ?"
MEMBERS = """
SELECT e.key, e.reason, e.first_seen, e.expires_at, e.data
FROM guard_groups AS g JOIN guard_entries AS e ON e.key = g.key WHERE g.grp = ? LIMIT ?
"""
EXPIRED = "SELECT key FROM guard_entries WHERE expires_at <= ? LIMIT ?"
PURGE_GROUPED = "DELETE FROM guard_groups WHERE key = ?"
PURGE_HITS = (
    "DELETE FROM guard_hits WHERE rowid IN "
    "(SELECT rowid FROM guard_hits WHERE expires_at <= ? LIMIT ?)"
)


def default_path() -> Path:
    """``<user cache dir>/brokerlink/credential-guard.sqlite3`` (platformdirs)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("brokerlink", appauthor=False)) / DEFAULT_NAME


class SQLiteStore:
    """The embedded default store (thread-safe; one connection per store and process)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        key: str | bytes | None = None,
        policy: GuardPolicy | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.path: Path | str = (
            MEMORY if str(path) == MEMORY else Path(path) if path else default_path()
        )
        self.policy = policy or GuardPolicy()
        self.timeout = timeout
        self._configured_key = configured_key(key)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._key: bytes | None = None
        self._selects: dict[int, str] = {}
        self._transactions = 0
        self._limits: Any = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise CredentialCacheUnavailable(
                f"credential cache {self!r}: {doing} failed: {type(exc).__name__}: {exc}"
            ) from exc

    # --- opening ---------------------------------------------------------------------------------
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
        if self._key is not None:
            return self._key
        return await asyncio.to_thread(self.open)

    def _connect(self) -> sqlite3.Connection:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if self.path != MEMORY:
                self._switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
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

    # --- entries ---------------------------------------------------------------------------------
    def _select(
        self, conn: sqlite3.Connection, keys: Sequence[bytes], now: float
    ) -> list[Entry | None]:
        sql = self._selects.get(len(keys))
        if sql is None:
            marks = ",".join("?" * len(keys))
            sql = (
                "SELECT key, reason, first_seen, expires_at, data FROM guard_entries "
                f"WHERE key IN ({marks})"
            )
            self._selects[len(keys)] = sql
        rows = conn.execute(sql, keys).fetchall()
        found = {row[0]: Entry(row[1], row[2], row[3], row[4]) for row in rows}
        out: list[Entry | None] = []
        for key in keys:
            entry = found.get(key)
            out.append(entry if entry is not None and entry.live(now) else None)
        return out

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        with self._lock, self._errors("read"):
            return self._select(self._connection(), keys, now)

    def _snapshot(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """``read(connection)`` in one read transaction: one snapshot of the file, whatever
        other processes write meanwhile."""
        with self._lock, self._errors("read"):
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                result = read(conn)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")  # it only read: this ends the snapshot
            return result

    def fetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        """``fetch`` plus the entries the first one links to, in one read transaction."""

        def read(conn: sqlite3.Connection) -> list[Entry | None]:
            found = self._select(conn, keys, now)
            targets = links(found[0])  # none when it is missing or expired
            wanted = [key for key in targets if key is not None]
            return joined(found, targets, self._select(conn, wanted, now) if wanted else [])

        return self._snapshot(read)

    def fetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        """``fetch`` plus the live members of ``shipped_group``, in one read transaction."""

        def read(conn: sqlite3.Connection) -> Grouped:
            found = self._select(conn, keys, now)
            group = shipped_group(keys, found[0])  # found: live entries only
            if group is None:
                return found, {}
            rows = conn.execute(MEMBERS, (group, GROUP_LIMIT + 1)).fetchall()
            if len(rows) > GROUP_LIMIT:
                return found, None
            members = (Entry(row[1], row[2], row[3], row[4]) for row in rows)
            return found, {
                row[0]: entry for row, entry in zip(rows, members, strict=True) if entry.live(now)
            }

        return self._snapshot(read)

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        # A primary-key read takes microseconds and WAL readers do not wait for writers, so it
        # runs inline; only when a writer of this process holds the connection does it wait in
        # a thread instead of blocking the event loop.
        return await self._read_inline(self.fetch, keys, now)

    async def afetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        return await self._read_inline(self.fetch_linked, keys, now)

    async def afetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        return await self._read_inline(self.fetch_grouped, keys, now)

    async def _read_inline(
        self, read: Callable[[Sequence[bytes], float], T], keys: Sequence[bytes], now: float
    ) -> T:
        if self._conn is not None and self._lock.acquire(blocking=False):
            try:
                return read(keys, now)
            finally:
                self._lock.release()
        return await asyncio.to_thread(read, keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            for write in writes:
                e = write.entry
                if e is None or not e.live(now):
                    conn.execute(DELETE, (write.key,))
                    if write.group is not None:
                        conn.execute(UNFILE, (write.group, write.key))
                else:
                    conn.execute(
                        UPSERT, (write.key, e.reason, e.first_seen, e.expires_at, e.data, now)
                    )
                    if write.group is not None:
                        conn.execute(FILE, (write.group, write.key))
            self._transactions += 1
            if self._transactions % SWEEP_EVERY == 0:
                expired = conn.execute(EXPIRED, (now, SWEEP_BATCH)).fetchall()
                conn.executemany(DELETE, expired)
                conn.executemany(PURGE_GROUPED, expired)
                conn.execute(PURGE_HITS, (time.time(), SWEEP_BATCH))

        self.transaction(run)

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        await asyncio.to_thread(self.apply, writes, now)

    def transaction(self, run: Callable[[sqlite3.Connection], T]) -> T:
        """``run(connection)`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error)."""
        with self._lock, self._errors("write"):
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = run(conn)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock, self._errors("read"):
            return self._connection().execute(sql, params).fetchall()

    # --- the rest --------------------------------------------------------------------------------
    def limits_storage(self) -> Any:
        """A ``limits`` storage in this database (moving window), for the rejection rate limit."""
        with self._lock:
            if self._limits is None:
                from brokerlink.credentials.sqlite_limits import SQLiteLimitsStorage

                self._limits = SQLiteLimitsStorage(self)
            return self._limits

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._key = None, None

    async def aclose(self) -> None:
        self.close()
