"""The guard's decisions as generators of store operations (sans-IO).

``prepare`` works out which keyed hashes a request concerns and fetches what the store remembers
of them; ``refusal`` decides from that alone; ``learn`` turns the final answer into writes. The
sync and async guards drive the same generators, so both behave identically.

Hash layout (every digest is HMAC-SHA256 with a tag, see :mod:`.keys`):
``ident = H(ident, platform, login)``, ``secret = H(secret, ident, password)``,
``cred = H(cred, secret, server.casefold())``, ``tz = H(tz, platform, server.casefold())``,
``record = H(record, account id)``; an account updated with no record has its ``record`` key
for ``ident`` (its platform and login are unknown). The per-account record keeps ``ident`` and
``secret`` (never the fields), so an update that changes only the password or the server still
finds the (platform, server, login, password) hash a createAccount would have made. A slots
rejection is kept under ``cred`` too, with the account type, the slots asked for and the slots
recommended: the latest verdict on a combination wins (a slots rejection means the credentials
themselves were accepted).
The record's ``c`` (cred) and ``z`` (tz) fields are the store's ``LINKS``: a store reads the
marks a deploy needs together with the record. Every cred mark is filed in the group of the
``ident`` it was derived from, the record's ``i`` (the store's ``GROUP``; with no record, the
record key itself), so an update of an account this process has not seen reads the record and
its login's cred marks at once, and works out locally which of them its new password and server
would hit.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from brokerlink.credentials.facts import Attempt, Outcome
from brokerlink.credentials.keys import LENGTH as _LENGTH
from brokerlink.credentials.keys import Hasher, text_field
from brokerlink.credentials.policy import (
    ADVICE,
    CREDENTIAL_REASONS,
    SERVER_REASON,
    SLOTS_REASON,
    GuardPolicy,
)
from brokerlink.credentials.recent import RecentRecords, Seen
from brokerlink.credentials.store import Entry, Write, json_object, lower_hex
from brokerlink.errors import KnownBadCredentials, TooManyRejectedAttempts

RECORD = "record"
COOLDOWN = "cooldown"
_RAW_DECODE = json.JSONDecoder().raw_decode
SERVERS = 1024
"""How many (platform, server) hashes ``Keys`` memoizes."""
PLATFORMS = ("mt4", "mt5")
"""The platforms an update's server hashes are worked out for before its record is read."""
T = TypeVar("T")


@dataclass(slots=True)
class Fetch:
    """Read ``keys``; with ``linked``, also the entries the first key's entry links to
    (``store.LINKS``: a record's cred and tz) in the same read, answered after them. With
    ``grouped``, the answer is ``(entries, members)``: the live entries filed in the group the
    first entry names, or None when the store cannot read them in the same read."""

    keys: tuple[bytes, ...]
    linked: bool = False
    grouped: bool = False


@dataclass(slots=True)
class Apply:
    writes: tuple[Write, ...]


@dataclass(slots=True)
class Count:
    """Count one rejection of an end user; the answer is True when the limit is now reached."""

    user: str


Op = Fetch | Apply | Count
Steps = Generator[Op, Any, T]


class Keys:
    """The keyed hashes of the guard, one method per kind (each builds its fields' encoding
    itself, see ``Hasher.tagged``)."""

    __slots__ = (
        "_account",
        "_cooldown",
        "_cred",
        "_ident",
        "_record",
        "_secret",
        "_servers",
        "_tz",
        "_user",
    )

    def __init__(self, hasher: Hasher) -> None:
        mac = hasher.tagged
        self._ident, self._secret, self._cred = mac("ident"), mac("secret"), mac("cred")
        self._tz, self._account, self._record = mac("tz"), mac("account"), mac("record")
        self._cooldown, self._user = mac("cooldown"), mac("user")
        self._servers: dict[tuple[str, str], bytes] = {}
        """(platform, server) -> tz: a back office deals with a handful of servers, and
        every check of a new server hashes it (an update before its record is read, for
        each platform). Server names are public; the memo stays in this process."""

    def ident(self, platform: str | None, login: str) -> bytes:
        return self._ident(text_field(platform or "") + text_field(login))

    def secret(self, ident: bytes, password: str) -> bytes:
        raw = password.encode()  # the fields' encoding spelt out: every update check pays it
        return self._secret(_LENGTH(len(ident)) + ident + _LENGTH(len(raw)) + raw)

    def cred(self, secret: bytes, server: str) -> bytes:
        raw = server.casefold().encode()
        return self._cred(_LENGTH(len(secret)) + secret + _LENGTH(len(raw)) + raw)

    def tz(self, platform: str, server: str) -> bytes:
        known = self._servers.get((platform, server))
        if known is None:
            if len(self._servers) >= SERVERS:
                self._servers.clear()
            kind, name = platform.encode(), server.casefold().encode()
            known = self._tz(_LENGTH(len(kind)) + kind + _LENGTH(len(name)) + name)
            self._servers[platform, server] = known
        return known

    def account(self, account_id: str) -> bytes:
        return self._account(text_field(account_id))

    def record(self, account_id: str) -> bytes:
        return self._record(text_field(account_id))

    def cooldown(self, end_user_id: str) -> bytes:
        return self._cooldown(text_field(end_user_id))

    def user(self, end_user_id: str) -> str:
        return self._user(text_field(end_user_id)).hex()


class Record(NamedTuple):
    """What the guard keeps per account id: hashes and non-secret settings, no clear text.
    (A tuple: one is made for every update checked, and tuples are made fastest.)"""

    ident: bytes
    secret: bytes | None = None
    cred: bytes | None = None
    tz: bytes | None = None
    platform: str | None = None
    account_type: str | None = None
    slots: int | None = None
    uses_profile: bool = False

    def encode(self) -> str:
        def hexed(value: bytes | None) -> str | None:
            return None if value is None else value.hex()

        doc = {
            "i": self.ident.hex(),
            "w": hexed(self.secret),
            "c": hexed(self.cred),
            "z": hexed(self.tz),
            "p": self.platform,
            "t": self.account_type,
            "s": self.slots,
            "g": self.uses_profile,
        }
        return json.dumps(doc, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> Record | None:
        """The record ``text`` holds, else None (never raises). Positional arguments and plain
        lookups: an unseen record is decoded on every check that reads it."""
        try:  # the compact JSON the guard writes, without json_object's checks for padding
            doc, end = _RAW_DECODE(text)
        except (ValueError, RecursionError):
            end = -1
        if end != len(text):
            doc = json_object(text)
        if type(doc) is not dict:
            return None
        get = doc.get
        try:
            named = doc["i"]  # read as the store reads it to name the record's group
            ident = lower_hex(named) if type(named) is str and named else None
            if ident is None:
                return None
            secret, cred, tz = get("w"), get("c"), get("z")
            platform, kind, slots = get("p"), get("t"), get("s")
            return cls(
                ident,
                None if secret is None else bytes.fromhex(secret),
                None if cred is None else bytes.fromhex(cred),
                None if tz is None else bytes.fromhex(tz),
                platform if type(platform) is str else None,
                kind if type(kind) is str else None,
                slots if type(slots) is int else None,
                get("g") is True,
            )
        except (KeyError, ValueError, TypeError):
            return None


@dataclass(slots=True)
class Prepared:
    """Everything the guard worked out for one call, kept for the final answer."""

    attempt: Attempt
    cred: bytes | None = None
    tz: bytes | None = None
    account_type: str | None = None
    slots: int | None = None
    account_key: bytes | None = None
    record: Record | None = None
    next_record: Record | None = None
    ident: bytes | None = None
    secret: bytes | None = None
    group: bytes | None = None
    """The ``ident`` ``cred`` was derived from: its marks are filed under it."""
    cooldown_key: bytes | None = None
    cooldown: Entry | None = None
    checked: bool = False
    found: list[tuple[bytes, Entry]] = field(default_factory=list)

    def wanted(self) -> tuple[bytes, ...]:
        """The keys this request's own rejection would be remembered under (cred, tz)."""
        if self.tz is None:
            return () if self.cred is None else (self.cred,)
        return (self.tz,) if self.cred is None else (self.cred, self.tz)

    def note(self, keys: Sequence[bytes | None], entries: Sequence[Entry | None]) -> None:
        """Keep the live entries found under ``keys`` (None keys were not asked for)."""
        for key, entry in zip(keys, entries, strict=False):
            if key is not None and entry is not None:
                self.found.append((key, entry))

    def mark_keys(self) -> list[bytes]:
        """The keys a rejection of this request may be remembered under (what success clears)."""
        keys = [self.cred, self.tz]
        if self.attempt.scope != "new":
            keys.append(self.account_key)
        return [key for key in keys if key is not None]


def _read(
    recent: RecentRecords | None, key: bytes, entry: Entry | None, seen: Seen | None
) -> Record | None:
    """The record in ``entry`` (None: there is none), remembered in ``recent``; decoded only
    when its text differs from ``seen``, what was seen last under ``key``."""
    text = entry.data if entry is not None and entry.reason == RECORD else ""
    if seen is not None and seen.text == text:
        return seen.record
    record = Record.decode(text) if text else None
    if recent is not None:
        recent.put(key, Seen(record, text))
    return record


def _new_account(keys: Keys, a: Attempt, p: Prepared) -> None:
    if a.login is None:
        return
    ident = keys.ident(a.platform, a.login)
    secret = None
    if a.password is not None:
        secret = keys.secret(ident, a.password)
        if a.server is not None:
            p.cred = keys.cred(secret, a.server)
    if a.platform and a.server and not a.uses_profile:
        p.tz = keys.tz(a.platform, a.server)
    p.slots = a.slots
    p.ident, p.secret = ident, secret  # the record is made only if the account gets created
    p.group = ident


def _updated_account(
    keys: Keys, a: Attempt, p: Prepared, old: Record | None, record_key: bytes
) -> None:
    """Set every key and the next record of an update from the account's ``old`` record (run
    again when a guessed record turns out stale, so it assigns each field). An account with no
    record stands for its unknown (platform, login) with its ``record_key`` as ``ident``: its
    marks are filed in the group a grouped read of that key ships."""
    assert a.account_id is not None
    platform = old.platform if old is not None else None
    uses_profile = old.uses_profile if old is not None else False
    ident = old.ident if old is not None else record_key
    secret: bytes | None
    if a.password is not None:
        secret = keys.secret(ident, a.password)
    else:
        secret = old.secret if old is not None else None
    p.cred = keys.cred(secret, a.server) if secret is not None and a.server is not None else None
    p.group = ident
    tz = keys.tz(platform, a.server) if platform and a.server and not uses_profile else None
    # Settings detection runs again only for a new server: keeping the server is never refused
    # (nor cleared) for E_SERVER_TIMEZONE.
    p.tz = None if old is not None and tz == old.tz else tz
    p.slots = a.slots if a.slots is not None else (old.slots if old is not None else None)
    account_type = old.account_type if old is not None else None
    p.next_record = Record(ident, secret, p.cred, tz, platform, account_type, p.slots, uses_profile)


def prepare(
    keys: Keys,
    attempt: Attempt,
    end_user_id: str | None,
    *,
    marks: bool,
    recent: RecentRecords | None = None,
) -> Steps[Prepared]:
    """Work out the keys of ``attempt``; with ``marks``, fetch what is remembered under them.

    One ``Fetch`` in the usual case: a new account's keys are known up front, deploy-like calls
    read the record's cred and tz along with it (``linked``), and an update guesses its keys
    from the record in ``recent`` or, for a record not seen here, reads the record's login group
    with it (``grouped``); a second one only when a guess is stale, the store has no groups,
    the group is too large to ship, or the record names a platform outside ``PLATFORMS``."""
    p = Prepared(attempt)
    extra: tuple[bytes, ...] = ()
    if end_user_id is not None:
        p.cooldown_key = keys.cooldown(end_user_id)
        extra = (p.cooldown_key,)
    if attempt.scope == "new":
        _new_account(keys, attempt, p)
        p.account_type = attempt.account_type
        wanted = p.wanted() if marks else ()
        if wanted or extra:
            entries: list[Entry | None] = yield Fetch(wanted + extra)
            p.note(wanted, entries)
            if extra:
                p.cooldown = entries[-1]
    elif attempt.scope == "update":
        yield from _prepare_update(keys, p, extra, marks, recent)
    else:
        yield from _prepare_account(keys, p, extra, marks, recent)
    p.checked = marks
    return p


def _prepare_account(
    keys: Keys, p: Prepared, extra: tuple[bytes, ...], marks: bool, recent: RecentRecords | None
) -> Steps[None]:
    """Deploy, redeploy and the replica calls: the record, the account mark and, linked from
    the record, its cred and tz marks, in one read."""
    a = p.attempt
    assert a.account_id is not None
    record_key = keys.record(a.account_id)
    p.account_key = keys.account(a.account_id)
    first = (record_key, *extra, p.account_key) if marks else (record_key, *extra)
    entries: list[Entry | None] = yield Fetch(first, linked=marks)
    if extra:
        p.cooldown = entries[1]
    seen = recent.get(record_key) if recent is not None else None
    p.record = record = _read(recent, record_key, entries[0], seen)
    if record is not None:
        p.cred, p.group = record.cred, record.ident
        p.tz = None if a.replica else record.tz
    # Slots are judged where a request sets them (replica create/update); a deploy rejected
    # for slots marks the account instead.
    p.slots = a.slots if a.replica else None
    p.account_type = record.account_type if record is not None else a.account_type
    if marks:
        p.note((p.account_key,), entries[len(first) - 1 : len(first)])
        if record is not None:  # the store followed this very record's "c" and "z"
            p.note((p.cred, p.tz), entries[len(first) :])


def _prepare_update(
    keys: Keys, p: Prepared, extra: tuple[bytes, ...], marks: bool, recent: RecentRecords | None
) -> Steps[None]:
    """updateAccount: its keys are HMACs of the record's hashes, so they can only be worked
    out here. A record seen before lets them be fetched with the record; they stand only if
    the record read back is that one. A record not seen here is read with its login's group of
    cred marks and with the keys the update would have for each platform, or with no record."""
    a = p.attempt
    assert a.account_id is not None
    record_key = keys.record(a.account_id)  # (its account key is only cleared: see learn)
    seen = recent.get(record_key) if recent is not None else None
    guess = seen if marks else None  # guessing pays only when the marks are read
    if guess is None and marks and a.server is not None:  # without a server: no cred, no tz
        yield from _prepare_unseen_update(keys, p, record_key, extra, recent)
        return
    guessed: tuple[bytes, ...] = ()
    if guess is not None:
        _updated_account(keys, a, p, guess.record, record_key)
        guessed = p.wanted()
    entries: list[Entry | None] = yield Fetch((record_key, *extra, *guessed))
    if extra:
        p.cooldown = entries[1]
    p.record = _read(recent, record_key, entries[0], seen)
    p.account_type = p.record.account_type if p.record is not None else a.account_type
    if guess is not None and (p.record is guess.record or p.record == guess.record):
        p.note(guessed, entries[1 + len(extra) :])
        return
    _updated_account(keys, a, p, p.record, record_key)  # the guess is stale (or none): redo
    wanted = p.wanted() if marks else ()
    if wanted:
        p.note(wanted, (yield Fetch(wanted)))


def _prepare_unseen_update(
    keys: Keys,
    p: Prepared,
    record_key: bytes,
    extra: tuple[bytes, ...],
    recent: RecentRecords | None,
) -> Steps[None]:
    """One read where the store files marks in groups (``GroupedFetch``): the record, the new
    server's hash for each of ``PLATFORMS``, and the cred marks of the record's login (or, with
    no record, of the record key: see ``_updated_account``); the cred this update makes is
    remembered only if it is among them. A second read for what that does not answer: a store
    without groups, a group too large to ship, a record it cannot read, or a platform outside
    ``PLATFORMS``."""
    a = p.attempt
    assert a.server is not None
    servers = [keys.tz(platform, a.server) for platform in PLATFORMS]
    entries, members = yield Fetch((record_key, *extra, *servers), grouped=True)
    if extra:
        p.cooldown = entries[1]
    p.record = _read(recent, record_key, entries[0], None)
    p.account_type = p.record.account_type if p.record is not None else a.account_type
    _updated_account(keys, a, p, p.record, record_key)
    missing: list[bytes] = []
    entry: Entry | None
    if p.cred is not None:
        named = p.record is not None or entries[0] is None  # the group p.cred is filed in
        if members is None or not named:
            missing.append(p.cred)
        elif (entry := members.get(p.cred)) is not None:
            p.found.append((p.cred, entry))
    if p.tz is not None:
        if p.tz not in servers:  # the record's platform is not one of PLATFORMS
            missing.append(p.tz)
        elif (entry := entries[1 + len(extra) + servers.index(p.tz)]) is not None:
            p.found.append((p.tz, entry))
    if missing:
        p.note(missing, (yield Fetch(tuple(missing))))


def _group(p: Prepared, key: bytes) -> bytes | None:
    return p.group if key == p.cred else None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _slots_data(entry: Entry) -> tuple[int | None, int | None, str | None]:
    """(recommended, rejected, account type) of a slots rejection."""
    try:
        doc = json.loads(entry.data) if entry.data else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    kind = doc.get("t")
    return _whole(doc.get("rec")), _whole(doc.get("rej")), kind if isinstance(kind, str) else None


def _slots_refused(entry: Entry, slots: int | None, account_type: str | None) -> bool:
    """Same account type, and fewer slots than recommended or no more than already rejected."""
    recommended, rejected, kind = _slots_data(entry)
    if slots is None or kind != (account_type or ""):
        return False
    return (recommended is not None and slots < recommended) or (
        rejected is not None and slots <= rejected
    )


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def refusal(
    p: Prepared,
    now: float,
    *,
    guard: bool,
    error_classes: Mapping[str, type[Exception]],
) -> Exception | None:
    """The local refusal ``p`` calls for, if any (remembered rejection first, then cool-down)."""
    a = p.attempt
    if guard:
        for key, entry in p.found:
            per_request = entry.reason == SLOTS_REASON and key != p.account_key
            if per_request and not _slots_refused(entry, p.slots, p.account_type):
                continue
            if entry.reason not in ADVICE:
                continue
            recommended = _slots_data(entry)[0] if entry.reason == SLOTS_REASON else None
            advice = ADVICE[entry.reason].format(recommended=recommended or "the recommended")
            if key == p.account_key:
                subject = f"MetaApi rejected account {a.account_id} with {entry.reason}"
                advice += "; then update the account (updateAccount) before deploying it again"
            else:
                subject = f"MetaApi already rejected this combination with {entry.reason}"
            first = _when(entry.first_seen)
            return KnownBadCredentials(
                f"{a.operation} refused locally, nothing sent: {subject} "
                f"(first seen {first:%Y-%m-%d %H:%M:%S} UTC). To do: {advice}. "
                "with_options(credential_guard=False) sends anyway.",
                reason=entry.reason,
                first_seen=first,
                operation=a.operation,
                expires_at=None if entry.expires_at is None else _when(entry.expires_at),
                recommended_resource_slots=recommended,
                rejected_as=error_classes.get(entry.reason),
            )
    cool = p.cooldown
    if cool is not None and cool.reason == COOLDOWN and cool.live(now):
        left = (cool.expires_at - now) if cool.expires_at is not None else 0.0
        return TooManyRejectedAttempts(
            f"{a.operation} refused locally, nothing sent: too many rejected attempts for this "
            f"end user; try again in {left:.0f} s.",
            retry_after=left,
            end_user_id=None,
            operation=a.operation,
        )
    return None


def _mark(p: Prepared, outcome: Outcome, policy: GuardPolicy, now: float) -> list[Write]:
    code = outcome.code
    assert code is not None
    a = p.attempt
    entry = Entry(code, now, now + policy.ttl(code))
    targets: list[bytes | None] = []
    if code in CREDENTIAL_REASONS:
        targets = [p.cred, p.account_key if a.scope == "account" else None]
    elif code == SERVER_REASON:
        account_wide = a.scope == "account" and not a.replica
        targets = [p.tz, p.account_key if account_wide else None]
    elif code == SLOTS_REASON:
        doc = {"rec": outcome.recommended_slots, "rej": p.slots, "t": p.account_type or ""}
        entry = Entry(code, now, now + policy.ttl(code), json.dumps(doc))
        account_wide = a.scope == "account" and not a.replica
        targets = [None if account_wide else p.cred, p.account_key if account_wide else None]
    return [Write(key, entry, _group(p, key)) for key in targets if key is not None]


def learn(
    keys: Keys,
    p: Prepared,
    outcome: Outcome,
    policy: GuardPolicy,
    end_user_id: str | None,
    now: float,
    recent: RecentRecords | None = None,
) -> Steps[None]:
    """Remember a rejection (and count it against the end user), or clear after a success."""
    a = p.attempt
    if outcome.success:
        if p.account_key is None and a.account_id is not None:
            p.account_key = keys.account(a.account_id)  # an update's check did not need it
        writes: list[Write] = []
        if not p.checked or p.found or a.scope == "update":
            writes += [Write(key, None, _group(p, key)) for key in p.mark_keys()]
        if p.next_record is None and p.ident is not None:
            p.next_record = Record(
                ident=p.ident,
                secret=p.secret,
                cred=p.cred,
                tz=p.tz,
                platform=a.platform,
                account_type=a.account_type,
                slots=a.slots,
                uses_profile=a.uses_profile,
            )
        account_id = outcome.created_id if a.scope == "new" else a.account_id
        written: tuple[bytes, Seen] | None = None
        if p.next_record is not None and account_id is not None:
            text = p.next_record.encode()
            written = keys.record(account_id), Seen(p.next_record, text)
            writes.append(Write(written[0], Entry(RECORD, now, now + policy.record_ttl, text)))
        if writes:
            yield Apply(tuple(writes))
        if recent is not None and written is not None:
            recent.put(*written)  # what the next update of the account will read
        return
    marks = _mark(p, outcome, policy, now)
    if marks:
        yield Apply(tuple(marks))
    rate = policy.rate_limit
    if end_user_id is None or rate is None:
        return
    reached = yield Count(keys.user(end_user_id))
    if reached:
        cool = Entry(COOLDOWN, now, now + rate.cooldown)
        yield Apply((Write(keys.cooldown(end_user_id), cool),))
