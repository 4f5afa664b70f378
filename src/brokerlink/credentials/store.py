"""The store interface of the credential guard (keyed hashes -> short entries with an expiry),
the entry codecs and the in-memory store. Stores only keep and expire entries: every decision
is the guard's."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from brokerlink.credentials.keys import configured_key, new_key
from brokerlink.errors import CredentialCacheUnavailable

if TYPE_CHECKING:
    from brokerlink.credentials.policy import GuardPolicy


@dataclass(frozen=True, slots=True)
class Entry:
    """One remembered fact: ``reason`` (a vendor code, or ``record``/``cooldown``), ``first_seen``
    and ``expires_at`` in epoch seconds, ``data`` an opaque string."""

    reason: str
    first_seen: float
    expires_at: float | None = None
    data: str = ""

    def live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Write:
    """Put ``entry`` at ``key``, or delete ``key`` when ``entry`` is None."""

    key: bytes
    entry: Entry | None = None


@runtime_checkable
class CredentialStore(Protocol):
    """A backend of the credential guard: ``MemoryStore``, ``SQLiteStore``, ``RedisStore`` or yours.

    ``open`` returns the HMAC key the guard hashes with (making or loading it if needed) and may be
    called more than once. ``fetch`` answers one entry or None per key, in order, None for expired
    entries (``keys`` may be empty). ``apply`` carries out all writes at once (one transaction or
    round trip); a put over a live entry with the same reason keeps the older ``first_seen``; a put
    of an entry already expired at ``now`` deletes the key. ``close`` releases connections (a
    closed store reopens on use). Failures raise ``brokerlink.errors.CredentialCacheUnavailable``
    (any other exception is taken for one too). Optional: a ``policy`` attribute (a
    ``GuardPolicy``), and ``limits_storage()`` / ``async_limits_storage()`` (``limits`` storages
    on the same backend) for the rejection rate limit, which otherwise counts in process memory.
    """

    def open(self) -> bytes: ...
    async def aopen(self) -> bytes: ...
    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...
    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...
    def apply(self, writes: Sequence[Write], now: float) -> None: ...
    async def aapply(self, writes: Sequence[Write], now: float) -> None: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...


@contextlib.contextmanager
def failures(store: object, doing: str, *kinds: type[Exception]) -> Iterator[None]:
    """Turn a backend's ``kinds`` of errors into ``CredentialCacheUnavailable``."""
    try:
        yield
    except kinds as exc:
        raise CredentialCacheUnavailable(
            f"credential cache {store!r}: {doing} failed: {type(exc).__name__}: {exc}"
        ) from exc


def merged(old: Entry | None, new: Entry, now: float) -> Entry:
    """``new``, keeping ``old.first_seen`` when ``old`` is a live entry with the same reason."""
    if old is None or not old.live(now) or old.reason != new.reason:
        return new
    return Entry(new.reason, min(old.first_seen, new.first_seen), new.expires_at, new.data)


def encode_entry(entry: Entry) -> str:
    """The JSON text backends without columns (Redis) keep: ``{r, f, e?, d?}``, in that order
    (the Redis write script finds ``first_seen`` right after the reason)."""
    doc: dict[str, object] = {"r": entry.reason, "f": entry.first_seen}
    if entry.expires_at is not None:
        doc["e"] = entry.expires_at
    if entry.data:
        doc["d"] = entry.data
    return json.dumps(doc, separators=(",", ":"))


def decode_entry(text: str | bytes) -> Entry | None:
    """The entry in ``text``, or None when it is not one of ours (never raises)."""
    try:
        doc = json.loads(text)
        reason, first = doc["r"], doc["f"]
        expires, data = doc.get("e"), doc.get("d", "")
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    numbers = (int, float)
    if not (isinstance(reason, str) and isinstance(first, numbers) and isinstance(data, str)):
        return None
    if expires is not None and not isinstance(expires, numbers):
        return None
    return Entry(reason, float(first), None if expires is None else float(expires), data)


SWEEP_EVERY = 1024
"""``MemoryStore`` drops expired entries after this many writes (reads skip them anyway)."""


class MemoryStore:
    """The in-memory store: one process, lost on exit; for tests and short-lived tools. A dict
    behind a lock; its HMAC key is random per store unless one is configured."""

    limits_blocking = False
    """Its ``limits`` storage never blocks, so async callers use it inline."""

    def __init__(self, *, key: str | bytes | None = None, policy: GuardPolicy | None = None):
        from brokerlink.credentials.policy import GuardPolicy

        self.policy = policy or GuardPolicy()
        self._key = configured_key(key) or new_key()
        self._entries: dict[bytes, Entry] = {}
        self._lock = threading.Lock()
        self._writes = 0
        self._limits: Any = None

    def __repr__(self) -> str:
        return f"MemoryStore(entries={len(self._entries)})"

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
                old = self._entries.pop(write.key, None)
                if write.entry is not None and write.entry.live(now):
                    self._entries[write.key] = merged(old, write.entry, now)
            self._writes += len(writes)
            if self._writes >= SWEEP_EVERY:
                self._writes = 0
                self._entries = {k: e for k, e in self._entries.items() if e.live(now)}

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        self.apply(writes, now)

    def close(self) -> None:
        """Nothing to release; the entries stay for whoever still holds the store."""

    async def aclose(self) -> None:
        self.close()

    def limits_storage(self) -> Any:
        """A ``limits`` in-memory storage, one per store."""
        from limits.storage import MemoryStorage

        with self._lock:
            self._limits = self._limits or MemoryStorage()
            return self._limits

    def entries(self) -> dict[bytes, Entry]:
        """A copy of everything stored (for inspection and tests)."""
        with self._lock:
            return dict(self._entries)
