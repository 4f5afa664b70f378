"""An update guesses its keys from the record its guard saw last: never a wrong refusal nor a
missed one when another guard (another process, on the same store) changed the record since."""

from __future__ import annotations

from typing import Any

from brokerlink.credentials import CredentialStore
from brokerlink.credentials.facts import Outcome
from brokerlink.credentials.plan import Record
from brokerlink.credentials.recent import RecentRecords, Seen
from brokerlink.testing import VirtualClock
from tests.credentials.conftest import StoreFactory
from tests.credentials.drive import (
    OTHER_SERVER,
    SERVER,
    CountedLinked,
    Driver,
    create,
    on_account,
    update,
)


def two_guards(
    backend: str, new_store: StoreFactory, asynchronous: bool, closing: list[CredentialStore]
) -> tuple[Driver, Driver, CountedLinked]:
    """Guards A and B on one store's data, as two processes would be (memory: one store);
    A's reads are counted."""
    first = new_store()
    second = first if backend == "memory" else new_store()
    counted = CountedLinked(first)
    closing += [counted, second]
    return Driver(counted, asynchronous), Driver(second, asynchronous), counted


async def reads_of(counted: CountedLinked, driver: Driver, attempt: Any) -> tuple[str | None, int]:
    """(refusal reason or None, store reads) of one check."""
    before = counted.reads
    reason = await driver.refused(attempt)
    return reason, counted.reads - before


async def test_a_stale_guess_never_misses_a_refusal(
    backend: str,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    a, b, counted = two_guards(backend, new_store, asynchronous, aclose_stores)
    await a.created("acc-1")  # A remembers the record with password pw-1
    await b.answered(update("acc-1", password="pw-2"), Outcome(True))
    moved = update("acc-1", server=OTHER_SERVER)  # no password: the record's is used
    await b.answered(moved, Outcome(False, "E_AUTH"))  # marks (pw-2, other server)
    # A's guess (pw-1, other server) is not marked; the record read back shows it is stale.
    assert await reads_of(counted, a, moved) == ("E_AUTH", 2)
    assert await reads_of(counted, a, moved) == ("E_AUTH", 1)  # A now knows the new record


async def test_a_stale_guess_never_refuses_wrongly(
    backend: str,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    a, b, counted = two_guards(backend, new_store, asynchronous, aclose_stores)
    await a.created("acc-1")
    moved = update("acc-1", server=OTHER_SERVER)
    await a.answered(moved, Outcome(False, "E_AUTH"))  # marks (pw-1, other server)
    assert await reads_of(counted, a, moved) == ("E_AUTH", 1)
    await b.answered(update("acc-1", password="pw-2"), Outcome(True))
    # A's guess (pw-1) is marked, but the account has pw-2 now: sent, not refused.
    assert await reads_of(counted, a, moved) == (None, 2)
    assert await reads_of(counted, a, moved) == (None, 1)


async def test_a_fresh_guess_is_used_and_kept_up_to_date(
    backend: str,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    a, _, counted = two_guards(backend, new_store, asynchronous, aclose_stores)
    await a.created("acc-1")
    bad = update("acc-1", password="pw-bad")
    await a.answered(bad, Outcome(False, "E_AUTH"))
    assert await reads_of(counted, a, bad) == ("E_AUTH", 1)
    good = update("acc-1", password="pw-2")
    assert await reads_of(counted, a, good) == (None, 1)
    await a.answered(good, Outcome(True))  # A writes the new record and remembers it
    moved = update("acc-1", server=OTHER_SERVER)
    await a.answered(moved, Outcome(False, "E_AUTH"))
    assert await reads_of(counted, a, moved) == ("E_AUTH", 1)
    assert await reads_of(counted, a, update("acc-1", server=SERVER)) == (None, 1)


async def test_accounts_without_a_record_are_remembered_as_such(
    backend: str,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    a, b, counted = two_guards(backend, new_store, asynchronous, aclose_stores)
    foreign = update("made-elsewhere", password="pw-x")
    await a.answered(foreign, Outcome(False, "E_AUTH"))
    assert await reads_of(counted, a, foreign) == ("E_AUTH", 1)
    await b.answered(update("made-elsewhere", password="pw-y"), Outcome(True))  # a record now
    assert await reads_of(counted, a, foreign) == ("E_AUTH", 2)
    assert await reads_of(counted, a, update("made-elsewhere", password="pw-y")) == (None, 1)


PASSWORD, LOGIN = "Zebra!pw-93871", "5550123487"
SECRET_SERVER, ACCOUNT = "Secret-Broker-Live7", "acc-secret-4711"


async def test_the_recent_records_hold_no_clear_text(
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    store = new_store()
    aclose_stores.append(store)
    driver = Driver(store, asynchronous)
    await driver.created(ACCOUNT, create(login=LOGIN, password=PASSWORD, server=SECRET_SERVER))
    await driver.answered(update(ACCOUNT, SECRET_SERVER, PASSWORD + "2"), Outcome(True))
    await driver.check(on_account("deployAccount", "acc-other"))
    held = driver.guard.recent.items()
    assert len(held) == 2
    for key, (record, text) in held:
        assert len(key) == 32  # the record's keyed hash, not the account id
        assert record is None or Record.decode(text) == record
    text = repr(held).encode() + b"".join(key for key, _ in held)
    for secret in (PASSWORD, LOGIN, SECRET_SERVER, SECRET_SERVER.casefold(), ACCOUNT):
        assert secret.encode() not in text, secret
    assert "mt5" in repr(held)  # the platform is kept, to hash the server of an update


def test_recent_records_are_bounded_least_recent_first_out() -> None:
    recent = RecentRecords(size=3)
    keys = [bytes([n]) * 32 for n in range(4)]
    seen = [Seen(Record(ident=key), Record(ident=key).encode()) for key in keys]
    for key, each in zip(keys[:3], seen, strict=False):
        recent.put(key, each)
    assert recent.get(keys[0]) == seen[0]  # now the most recent
    recent.put(keys[3], Seen(None, ""))
    assert len(recent) == 3
    assert recent.get(keys[1]) is None  # the least recent went
    assert recent.get(keys[3]) == Seen(None, "")  # known: no record
    assert [key for key, _ in recent.items()] == [keys[2], keys[0], keys[3]]
    assert repr(recent) == "RecentRecords(3/3)"
