"""The guard's decisions as generators of store operations (sans-IO), driven sync or async alike.

``prepare`` works out a request's keyed hashes and fetches what is remembered under them,
``refusal`` decides from that alone, ``learn`` turns the final answer into writes. Updates and
account calls read the account's record (hashes only) first: their keys derive from it."""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from brokerlink.credentials.keys import Keys
from brokerlink.credentials.policy import GuardPolicy, Reason
from brokerlink.credentials.store import Entry, Write
from brokerlink.errors import KnownBadCredentials, TooManyRejectedAttempts

RECORD = "record"
COOLDOWN = "cooldown"
T = TypeVar("T")
Scope = Literal["new", "update", "account"]
"""``new``: a create (the whole combination); ``update``: the new server, password and slots;
``account``: deploy, redeploy and replicas (an account id: the rest comes from its record)."""


@dataclass(slots=True)
class Attempt:
    """The guard-relevant facts of one request; the secrets never appear in its repr."""

    operation: str
    scope: Scope
    replica: bool = False
    account_id: str | None = None
    platform: str | None = None
    server: str | None = field(default=None, repr=False)
    login: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    account_type: str | None = None
    slots: int | None = None
    uses_profile: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final answer to a guarded request, as far as the guard cares: a success (with the id
    of a created account) or a rejection with a vendor code of the guard's reasons table."""

    success: bool
    code: str | None = None
    recommended_slots: int | None = None
    created_id: str | None = None


@dataclass(slots=True)
class Fetch:
    """Read ``keys``; the answer is one entry or None per key."""

    keys: tuple[bytes, ...]


@dataclass(slots=True)
class Apply:
    writes: tuple[Write, ...]


@dataclass(slots=True)
class Count:
    """Count one rejection of an end user; the answer is True when the limit is now reached."""

    user: str


Op = Fetch | Apply | Count
Steps = Generator[Op, Any, T]


def _hex(value: Any) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


@dataclass(frozen=True, slots=True)
class Record:
    """What the guard keeps per account id: hashes and non-secret settings, no clear text."""

    ident: bytes
    secret: bytes | None = None
    cred: bytes | None = None
    tz: bytes | None = None
    platform: str | None = None
    account_type: str | None = None
    slots: int | None = None
    uses_profile: bool = False

    def encode(self) -> str:
        hashes = [h and h.hex() for h in (self.ident, self.secret, self.cred, self.tz)]
        values = [*hashes, self.platform, self.account_type, self.slots, self.uses_profile]
        return json.dumps(dict(zip("iwczptsg", values, strict=True)), separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> Record | None:
        """The record ``text`` holds, else None (never raises)."""
        try:
            doc = json.loads(text)
            ident, secret, cred, tz = bytes.fromhex(doc["i"]), *map(_hex, map(doc.get, "wcz"))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None
        platform, kind = (v if isinstance(v, str) else None for v in map(doc.get, "pt"))
        slots = doc["s"] if type(doc.get("s")) is int else None
        return cls(ident, secret, cred, tz, platform, kind, slots, doc.get("g") is True)


@dataclass(slots=True)
class Prepared:
    """Everything the guard worked out for one call, kept for the final answer."""

    attempt: Attempt
    cred: bytes | None = None
    tz: bytes | None = None
    account_type: str | None = None
    slots: int | None = None
    account_key: bytes | None = None
    next_record: Record | None = None
    cooldown: Entry | None = None
    end_user_id: str | None = field(default=None, repr=False)
    checked: bool = False  # whether the known-bad marks were read (the check was on)
    found: list[tuple[bytes, Entry]] = field(default_factory=list)

    def wanted(self) -> tuple[bytes, ...]:
        """The keys this request's own rejection would be remembered under (cred, tz)."""
        return tuple(key for key in (self.cred, self.tz) if key is not None)

    def note(self, keys: Sequence[bytes], entries: Sequence[Entry | None]) -> None:
        """Keep the live entries found under ``keys``."""
        self.found += [(k, e) for k, e in zip(keys, entries, strict=False) if e is not None]


def _updated_account(keys: Keys, a: Attempt, p: Prepared, old: Record) -> None:
    """The keys and the next record of an update, from the account's record (``Record(record
    key)`` for an account without one: its platform and login are unknown)."""
    secret = old.secret if a.password is None else keys.secret(old.ident, a.password)
    p.cred = keys.cred(secret, a.server) if secret is not None and a.server is not None else None
    platform, server = old.platform, a.server
    tz = keys.tz(platform, server) if platform and server and not old.uses_profile else None
    p.tz = None if tz == old.tz else tz  # detection runs again only for a new server
    p.slots = old.slots if a.slots is None else a.slots
    p.account_type = old.account_type or a.account_type
    fields = (tz, platform, p.account_type, p.slots, old.uses_profile)
    p.next_record = Record(old.ident, secret, p.cred, *fields)


def prepare(
    keys: Keys, attempt: Attempt, end_user_id: str | None, *, marks: bool
) -> Steps[Prepared]:
    """Work out the keys of ``attempt``; with ``marks``, fetch what is remembered under them.

    createAccount: one read (cred, tz, cool-down). updateAccount: the record (and cool-down),
    then the cred and tz worked out from it. Account calls: the record and the account mark
    (and cool-down), then the record's cred and tz."""
    p = Prepared(attempt, end_user_id=end_user_id, checked=marks)
    a = attempt
    extra = () if end_user_id is None else (keys.cooldown(end_user_id),)
    if a.scope == "new":
        p.account_type, p.slots = a.account_type, a.slots
        if a.login is not None:  # a create is an update of a record made of the request
            i = keys.ident(a.platform, a.login)
            seed = Record(i, None, None, None, a.platform, a.account_type, a.slots, a.uses_profile)
            _updated_account(keys, a, p, seed)
        wanted = p.wanted() if marks else ()
        if wanted or extra:
            entries = yield Fetch(wanted + extra)
            p.note(wanted, entries)
            p.cooldown = entries[-1] if extra else None
    else:
        assert a.account_id is not None
        record_key = keys.record(a.account_id)
        if a.scope == "account":
            p.account_key = keys.account(a.account_id)
        mark = (p.account_key,) if marks and p.account_key is not None else ()
        entries = yield Fetch((record_key, *extra, *mark))
        p.cooldown = entries[1] if extra else None
        held = entries[0]
        record = Record.decode(held.data) if held is not None and held.reason == RECORD else None
        if a.scope == "update":
            _updated_account(keys, a, p, record or Record(record_key))
        else:  # slots are judged where a request sets them (replicas); a deploy's mark the account
            r = record
            p.cred, p.tz = (r.cred, None if a.replica else r.tz) if r is not None else (None, None)
            p.slots = a.slots if a.replica else None
            p.account_type = r.account_type if r is not None else a.account_type
            p.note(mark, entries[len(entries) - len(mark) :])
        wanted = p.wanted() if marks else ()
        if wanted:
            p.note(wanted, (yield Fetch(wanted)))
    return p


def _slots_refused(entry: Entry, slots: int | None, account_type: str | None) -> bool:
    """Same account type, and fewer slots than recommended or no more than already rejected."""
    rec, rej, kind = _slots_data(entry)
    if slots is None or kind != (account_type or ""):
        return False
    return (rec is not None and slots < rec) or (rej is not None and slots <= rej)


def _slots_data(entry: Entry) -> tuple[int | None, int | None, str | None]:
    """(recommended, rejected, account type) of a slots rejection."""
    try:
        doc = json.loads(entry.data)
        rec, rej, kind = doc.get("rec"), doc.get("rej"), doc.get("t")
    except (ValueError, AttributeError):
        return None, None, None
    rec, rej = (n if type(n) is int else None for n in (rec, rej))
    return rec, rej, kind if isinstance(kind, str) else None


def refusal(
    p: Prepared,
    now: float,
    reasons: Mapping[str, Reason],
    vendor: tuple[str, str],
    error_classes: Mapping[str, type[Exception]],
) -> Exception | None:
    """The local refusal ``p`` calls for, if any (remembered rejection first, then cool-down).
    ``vendor``: its name, and what clears an account mark (how to update the account)."""
    a = p.attempt
    for key, entry in p.found if p.checked else ():
        reason = reasons.get(entry.reason)
        if reason is None:
            continue
        slots = reason.kind == "slots"
        if slots and key != p.account_key and not _slots_refused(entry, p.slots, p.account_type):
            continue
        recommended = _slots_data(entry)[0] if slots else None
        advice = reason.advice.format(recommended=recommended or "the recommended")
        if key == p.account_key:
            subject = f"{vendor[0]} rejected account {a.account_id} with {entry.reason}"
            advice += f"; then {vendor[1]} before deploying it again"
        else:
            subject = f"{vendor[0]} already rejected this combination with {entry.reason}"
        first = datetime.fromtimestamp(entry.first_seen, UTC)
        until = None if entry.expires_at is None else datetime.fromtimestamp(entry.expires_at, UTC)
        return KnownBadCredentials(
            f"{a.operation} refused locally, nothing sent: {subject} "
            f"(first seen {first:%Y-%m-%d %H:%M:%S} UTC). To do: {advice}. "
            "with_options(credential_guard=False) sends anyway.",
            reason=entry.reason,
            first_seen=first,
            operation=a.operation,
            expires_at=until,
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
            end_user_id=p.end_user_id,
            operation=a.operation,
        )
    return None


def _marks(p: Prepared, outcome: Outcome, reason: Reason, now: float) -> list[Write]:
    a = p.attempt
    entry = Entry(str(outcome.code), now, now + reason.ttl)
    account_wide = a.scope == "account" and not a.replica
    if reason.kind == "credentials":
        targets = [p.cred, p.account_key if a.scope == "account" else None]
    elif reason.kind == "server":
        targets = [p.tz, p.account_key if account_wide else None]
    else:
        doc = {"rec": outcome.recommended_slots, "rej": p.slots, "t": p.account_type or ""}
        entry = Entry(entry.reason, now, entry.expires_at, json.dumps(doc))
        targets = [None if account_wide else p.cred, p.account_key if account_wide else None]
    return [Write(key, entry) for key in targets if key is not None]


def learn(
    keys: Keys,
    p: Prepared,
    outcome: Outcome,
    reasons: Mapping[str, Reason],
    policy: GuardPolicy,
    end_user_id: str | None,
    now: float,
) -> Steps[None]:
    """Remember a rejection (and count it against the end user), or clear after a success."""
    a = p.attempt
    if outcome.success:
        if p.account_key is None and a.account_id is not None:
            p.account_key = keys.account(a.account_id)  # an update's check did not need it
        writes: list[Write] = []
        if not p.checked or p.found or a.scope == "update":
            account = p.account_key if a.scope != "new" else None  # what success proves wrong
            writes += [Write(key) for key in (p.cred, p.tz, account) if key is not None]
        account_id = outcome.created_id if a.scope == "new" else a.account_id
        if p.next_record is not None and account_id is not None:
            held = Entry(RECORD, now, now + policy.record_ttl, p.next_record.encode())
            writes.append(Write(keys.record(account_id), held))
        if writes:
            yield Apply(tuple(writes))
        return
    reason = reasons.get(str(outcome.code))
    marks = [] if reason is None else _marks(p, outcome, reason, now)
    if marks:
        yield Apply(tuple(marks))
    rate = policy.rate_limit
    if reason is None or end_user_id is None or rate is None:
        return
    if (yield Count(keys.user(end_user_id))):
        cool = Entry(COOLDOWN, now, now + rate.cooldown)
        yield Apply((Write(keys.cooldown(end_user_id), cool),))
