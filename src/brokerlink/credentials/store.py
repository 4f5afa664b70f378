"""The store interface of the credential guard: keyed hashes -> short entries with an expiry.

Every backend implements the same few methods in a sync and an async flavour, so one guard serves
``MetaApi`` and ``AsyncMetaApi``. Keys are HMAC digests (never clear text); entries hold a vendor
code, when it was first seen, when it expires and a short opaque ``data`` string of the guard's own
(JSON without secrets). Stores only keep and expire entries: every decision is the guard's.

Two optional capabilities save a round trip; a store without them still works, with a second
``fetch``:

- ``fetch_linked`` also answers the entries whose keys the first key's entry names in its
  ``data`` (the hex fields ``LINKS``), read together with it. The guard uses it for deploy and
  redeploy, whose credential hashes sit in the account's record.
- ``fetch_grouped`` also answers the live members of the group the first key's entry names (its
  ``GROUP`` field), or, when that key holds nothing, of the group named by the key itself. A
  write may name a group (``Write.group``): the guard files each credential mark under the
  login hash it was derived from (for an account with no record, its record key), so an
  update, whose new credential hash needs that login hash from the record, finds its marks in
  the same read as the record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

LINKS = ("c", "z")
"""Fields of an entry's ``data`` (a JSON object) that may name other keys (lowercase hex) which
``fetch_linked`` reads along with it: the guard's account records keep their credential (``c``)
and server (``z``) hashes there."""
GROUP = "i"
"""The field of an entry's ``data`` naming (in lowercase hex) the group ``fetch_grouped`` reads:
a record's login hash."""
GROUP_LIMIT = 100
"""``fetch_grouped`` answers no members (None) for a group with more filings than this: a check
then reads the one key it needs instead of shipping them all (a login with that many rejected
passwords is rare)."""
_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\n\r"


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
    """Put ``entry`` at ``key``, or delete ``key`` when ``entry`` is None. With ``group``, the
    put also files ``key`` in that group and the delete takes it out (stores without
    ``fetch_grouped`` may ignore it)."""

    key: bytes
    entry: Entry | None = None
    group: bytes | None = None


@runtime_checkable
class CredentialStore(Protocol):
    """A backend of the credential guard: ``MemoryStore``, ``SQLiteStore``, ``RedisStore`` or yours.

    ``open`` returns the HMAC key the guard hashes with (making or loading it if needed) and may be
    called more than once. ``fetch`` answers one entry or None per key, None for expired entries.
    ``apply`` carries out all writes at once (one transaction or round trip); a put over a live
    entry with the same reason keeps the older ``first_seen``; a put of an entry already expired
    at ``now`` deletes the key. Failures raise
    ``brokerlink.errors.CredentialCacheUnavailable``. A store may also offer ``limits_storage()``
    and ``async_limits_storage()`` (``limits`` storages on the same backend) for the rejection
    rate limit, a ``policy`` attribute (a ``GuardPolicy``), ``LinkedFetch`` and ``GroupedFetch``.
    """

    def open(self) -> bytes: ...

    async def aopen(self) -> bytes: ...

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...

    def apply(self, writes: Sequence[Write], now: float) -> None: ...

    async def aapply(self, writes: Sequence[Write], now: float) -> None: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class LinkedFetch(Protocol):
    """The optional capability: ``fetch(keys)`` plus, read at the same moment (one round trip,
    transaction or lock), the entries under ``links(first entry)``. The answer has
    ``len(keys) + len(LINKS)`` items, the last ones None where the first entry is missing or
    expired, names no such key, or that key holds nothing live. ``keys`` is never empty."""

    def fetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...

    async def afetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]: ...


Grouped = tuple[list[Entry | None], dict[bytes, Entry] | None]
"""``fetch_grouped``'s answer: the entries of the keys asked, and the group's live members
(None: more than ``GROUP_LIMIT``)."""


@runtime_checkable
class GroupedFetch(Protocol):
    """The other optional capability: ``fetch(keys)`` plus, read at the same moment, every live
    entry filed (``Write.group``) in the group ``shipped_group(keys, first entry)`` names, by
    key: the group the first entry names, or, when the first key holds no live entry, the group
    named by that key itself ({} when the entry names none). None instead when the group holds
    more than ``GROUP_LIMIT`` filings, or when the store cannot tell which group to read.
    Filing must not be lost to concurrent writers: the guard takes a key missing from the
    group for one without a mark."""

    def fetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped: ...

    async def afetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped: ...


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object ``text`` holds, else None (never raises). ``raw_decode`` skips the
    wrappers of ``json.loads``, half its cost on these short texts."""
    text = text.lstrip(_JSON_SPACE)
    if not text.startswith("{"):
        return None
    try:
        doc, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):
        return None
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        return None
    return doc  # type: ignore[no-any-return]


def links(entry: Entry | None) -> list[bytes | None]:
    """The keys ``entry`` names in its ``LINKS`` fields, None for each absent or not lowercase
    hex (never raises; what every store and the Redis script follow alike)."""
    found: list[bytes | None] = [None] * len(LINKS)
    doc = None if entry is None else json_object(entry.data)
    if doc is not None:
        for index, name in enumerate(LINKS):
            value = doc.get(name)
            if isinstance(value, str) and value:
                found[index] = lower_hex(value)
    return found


def group_of(entry: Entry | None) -> bytes | None:
    """The group ``entry`` names in its ``GROUP`` field, if lowercase hex (never raises)."""
    doc = None if entry is None else json_object(entry.data)
    if doc is None:
        return None
    value = doc.get(GROUP)
    return lower_hex(value) if isinstance(value, str) and value else None


def shipped_group(keys: Sequence[bytes], first: Entry | None) -> bytes | None:
    """The group ``fetch_grouped(keys)`` ships, given the live entry under ``keys[0]``."""
    return keys[0] if first is None else group_of(first)


def lower_hex(text: str) -> bytes | None:
    """The bytes ``text`` spells in lowercase hex pairs, else None (a regex costs 4x more)."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if raw.hex() == text else None


def joined(
    entries: list[Entry | None], targets: list[bytes | None], got: Sequence[Entry | None]
) -> list[Entry | None]:
    """``entries``, then one answer per ``links`` target: ``got`` answers the non-None targets,
    in order (how ``fetch_linked`` is made of two reads)."""
    answers = iter(got)
    return entries + [None if key is None else next(answers) for key in targets]


def merged(old: Entry | None, new: Entry, now: float) -> Entry:
    """``new``, keeping ``old.first_seen`` when ``old`` is a live entry with the same reason."""
    if (
        old is not None
        and old.live(now)
        and old.reason == new.reason
        and old.first_seen < new.first_seen
    ):
        return Entry(new.reason, old.first_seen, new.expires_at, new.data)
    return new


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
        doc = json_object(text if isinstance(text, str) else text.decode())
        if doc is None:
            return None
        reason, first = doc["r"], doc["f"]
        expires = doc.get("e")
        data = doc.get("d", "")
        if (
            isinstance(reason, str)
            and isinstance(first, int | float)
            and (expires is None or isinstance(expires, int | float))
            and isinstance(data, str)
        ):
            return Entry(reason, float(first), None if expires is None else float(expires), data)
    except (ValueError, TypeError, KeyError, AttributeError):  # UnicodeDecodeError too
        pass
    return None
