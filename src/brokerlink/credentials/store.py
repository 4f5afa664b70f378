"""The store interface of the credential guard: keyed hashes -> short entries with an expiry.

A store implements the methods of :class:`CredentialStore` and nothing else, in a sync and an
async flavour, so one guard serves ``MetaApi`` and ``AsyncMetaApi``. Keys are HMAC digests
(never clear text); entries hold a vendor code, when it was first seen, when it expires and a
short opaque ``data`` string of the guard's own (JSON without secrets). Stores only keep and
expire entries: every decision is the guard's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


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
