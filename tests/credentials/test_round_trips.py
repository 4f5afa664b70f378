"""One store read per guarded check: counted by a real Redis server itself, and by a wrapper
counting the reads asked of each backend; a store without ``fetch_linked`` decides the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from typing import Any

import pytest

from brokerlink.credentials import CredentialStore, Entry, RedisStore, Write
from brokerlink.credentials.facts import Attempt, Outcome
from brokerlink.credentials.store import GROUP_LIMIT
from brokerlink.errors import KnownBadCredentials
from brokerlink.testing import VirtualClock
from tests.credentials.conftest import SHARED_KEY, StoreFactory
from tests.credentials.drive import (
    ACCOUNT_CALLS,
    OTHER_SERVER,
    SERVER,
    Counted,
    CountedLinked,
    Driver,
    RedisRequests,
    create,
    on_account,
    update,
)


@pytest.fixture
async def redis_store(
    redis_url: str, redis_prefix: str, aclose_stores: list[CredentialStore]
) -> RedisStore:
    store = RedisStore(redis_url, prefix=redis_prefix, key=SHARED_KEY)
    aclose_stores.append(store)
    return store


@pytest.fixture(params=[CountedLinked, Counted], ids=["linked", "third-party"])
def counted(
    request: pytest.FixtureRequest, new_store: StoreFactory, aclose_stores: list[CredentialStore]
) -> Counted:
    """A store of each backend with the backend's own one-read capabilities, or without them
    (as a third party's store), counting the reads asked of it."""
    store: Counted = request.param(new_store())
    aclose_stores.append(store)
    return store


@pytest.fixture
def requests(redis_url: str) -> AsyncIterator[RedisRequests]:
    counter = RedisRequests(redis_url)
    yield counter
    counter.close()


def checking(driver: Driver, attempt: Attempt, **options: Any) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        with suppress(KnownBadCredentials):
            await driver.check(attempt, **options)

    return run


async def test_every_guarded_check_is_one_round_trip_on_redis(
    redis_store: RedisStore, requests: RedisRequests, asynchronous: bool, clock: VirtualClock
) -> None:
    driver = Driver(redis_store, asynchronous)
    await driver.created("acc-1")
    await driver.answered(create(login="2"), Outcome(False, "E_AUTH"))
    assert await requests(checking(driver, create(login="2"))) == 1  # refused: one MGET
    assert await requests(checking(driver, create(login="3"))) == 1
    # The record this guard wrote lets an update fetch its keys with it.
    assert await requests(checking(driver, update("acc-1", password="pw-2"))) == 1
    assert await requests(checking(driver, update("acc-1", server="Other"))) == 1
    for operation in ACCOUNT_CALLS:  # the record and its cred/tz marks: one EVALSHA
        assert await requests(checking(driver, on_account(operation, "acc-1"))) == 1
        assert await requests(checking(driver, on_account(operation, "no-record"))) == 1
    with_user = {"end_user_id": "alice"}  # the cool-down key rides along
    assert await requests(checking(driver, create(login="3"), **with_user)) == 1
    assert await requests(checking(driver, update("acc-1", password="p"), **with_user)) == 1
    assert await requests(checking(driver, on_account("deployAccount", "acc-1"), **with_user)) == 1
    # Answers are one write each (the Lua write script).
    assert await requests(lambda: driver.created("acc-2", create(login="4"))) == 2


async def test_an_update_of_a_record_not_seen_here_is_one_round_trip(
    redis_store: RedisStore, requests: RedisRequests, asynchronous: bool, clock: VirtualClock
) -> None:
    """Another process's guard (nothing cached) reads the record, the blind keys and the
    login's group of cred marks in one EVALSHA, and still refuses exactly what it should."""
    writer = Driver(redis_store, asynchronous)
    await writer.created("acc-1")
    await writer.answered(create(password="pw-2"), Outcome(False, "E_AUTH"))  # same login
    await writer.answered(
        create(login="9", server=OTHER_SERVER), Outcome(False, "E_SERVER_TIMEZONE")
    )
    await writer.answered(update("ext-1", password="bad"), Outcome(False, "E_AUTH"))  # no record

    def fresh() -> Driver:
        return Driver(redis_store, asynchronous)

    async def unseen(attempt: Attempt, **options: Any) -> tuple[str | None, int]:
        """The refusal reason of ``attempt`` by fresh guards, and their round trips."""

        async def run() -> None:
            with suppress(KnownBadCredentials):
                await fresh().check(attempt, **options)

        return await fresh().refused(attempt, **options), await requests(run)

    assert await unseen(update("acc-1", password="pw-2")) == ("E_AUTH", 1)
    assert await unseen(update("acc-1", password="pw-3")) == (None, 1)
    assert await unseen(update("acc-1", password="PW-2")) == (None, 1)
    assert await unseen(update("acc-1", server=SERVER.upper(), password="pw-2")) == ("E_AUTH", 1)
    assert await unseen(update("acc-1", server=OTHER_SERVER)) == ("E_SERVER_TIMEZONE", 1)
    assert await unseen(update("acc-1", server=OTHER_SERVER), end_user_id="u") == (
        "E_SERVER_TIMEZONE",
        1,
    )
    assert await unseen(update("acc-1")) == (None, 1)  # keeps its server and password
    assert await unseen(update("ext-1", password="bad")) == ("E_AUTH", 1)
    assert await unseen(update("ext-1", password="good")) == (None, 1)
    assert await unseen(update("no-record", password="bad")) == (None, 1)


async def test_an_update_on_a_platform_not_foreseen_reads_twice(
    redis_store: RedisStore, requests: RedisRequests, asynchronous: bool, clock: VirtualClock
) -> None:
    """Server hashes are worked out blind for mt4 and mt5 only: another platform's record
    costs a second read, and the same decision."""
    writer = Driver(redis_store, asynchronous)
    odd = create()
    odd.platform = "mt9"
    await writer.created("acc-9", odd)
    rejected = create(login="9", server=OTHER_SERVER)
    rejected.platform = "mt9"
    await writer.answered(rejected, Outcome(False, "E_SERVER_TIMEZONE"))

    async def run() -> None:
        with suppress(KnownBadCredentials):
            await Driver(redis_store, asynchronous).check(update("acc-9", server=OTHER_SERVER))

    assert (
        await Driver(redis_store, asynchronous).refused(update("acc-9", server=OTHER_SERVER))
        == "E_SERVER_TIMEZONE"
    )
    assert await requests(run) == 2


async def test_redeploy_marks_refuse_in_one_round_trip(
    redis_store: RedisStore, requests: RedisRequests, asynchronous: bool, clock: VirtualClock
) -> None:
    driver = Driver(redis_store, asynchronous)
    await driver.created("acc-1")
    redeploy = on_account("redeployAccount", "acc-1")
    await driver.answered(redeploy, Outcome(False, "E_AUTH"))
    other = Driver(redis_store, asynchronous)  # another process: nothing cached
    assert await other.refused(on_account("deployAccount", "acc-1")) == "E_AUTH"
    assert await other.refused(create()) == "E_AUTH"  # the credentials are marked too
    assert await requests(checking(other, on_account("deployAccount", "acc-1"))) == 1


async def decisions(driver: Driver) -> list[str | None]:
    """What the account calls on acc-1 are refused for: first after its credentials were
    rejected elsewhere, then, with a new password, after its server failed detection."""
    await driver.created("acc-1")
    await driver.answered(create(), Outcome(False, "E_AUTH"))  # the same credentials, later
    found = [await driver.refused(on_account(op, "acc-1")) for op in ACCOUNT_CALLS]
    await driver.answered(create(login="9", password="x"), Outcome(False, "E_SERVER_TIMEZONE"))
    await driver.answered(update("acc-1", password="pw-2"), Outcome(True))
    found += [await driver.refused(on_account(op, "acc-1")) for op in ACCOUNT_CALLS]
    return found


EXPECTED = ["E_AUTH"] * 6 + ["E_SERVER_TIMEZONE"] * 2 + [None] * 4  # replicas skip the server


async def test_the_marks_linked_from_a_record_refuse_account_calls(
    counted: Counted, asynchronous: bool, clock: VirtualClock
) -> None:
    store = counted
    assert await decisions(Driver(store, asynchronous)) == EXPECTED


UNSEEN = [
    (update("acc-1", password="pw-2"), "E_AUTH"),
    (update("acc-1", password="pw-3"), None),
    (update("acc-1", server=SERVER.lower(), password="pw-2"), "E_AUTH"),
    (update("acc-1", server=OTHER_SERVER), "E_SERVER_TIMEZONE"),
    (update("acc-1", server=OTHER_SERVER, password="pw-2"), "E_SERVER_TIMEZONE"),
    (update("acc-1"), None),
    (update("ext-1", password="bad"), "E_AUTH"),
    (update("ext-1", server=OTHER_SERVER, password="bad"), None),
    (update("no-record", password="bad"), None),
]


async def test_updates_of_records_not_seen_decide_alike_on_every_store(
    counted: Counted, asynchronous: bool, clock: VirtualClock
) -> None:
    """A fresh guard per check (another process): with groups or with a second read, the same
    refusals; a success clears the mark from the group as well."""
    store = counted
    writer = Driver(store, asynchronous)
    await writer.created("acc-1")
    await writer.answered(create(password="pw-2"), Outcome(False, "E_AUTH"))
    await writer.answered(
        create(login="9", server=OTHER_SERVER), Outcome(False, "E_SERVER_TIMEZONE")
    )
    await writer.answered(update("ext-1", password="bad"), Outcome(False, "E_AUTH"))
    found = [await Driver(store, asynchronous).refused(attempt) for attempt, _ in UNSEEN]
    assert found == [reason for _, reason in UNSEEN]
    # The broker accepted pw-2 after all (sent with the guard off): every guard forgets it.
    after = Driver(store, asynchronous)
    await after.learn(update("acc-1", password="pw-2"), None, Outcome(True))
    assert await Driver(store, asynchronous).refused(update("acc-1", password="pw-2")) is None
    assert await Driver(store, asynchronous).refused(create(password="pw-2")) is None


async def test_each_check_reads_every_backend_once(
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    store, plain = CountedLinked(new_store()), Counted(new_store(name="plain"))
    aclose_stores += [store, plain]
    driver, third_party = Driver(store, asynchronous), Driver(plain, asynchronous)
    for each in (driver, third_party):
        await each.created("acc-1")

    async def reads(driver: Driver, attempt: Attempt, **options: Any) -> int:
        counted = driver.guard.store
        assert isinstance(counted, Counted)
        before = counted.reads
        await checking(driver, attempt, **options)()
        return counted.reads - before

    assert await reads(driver, create(login="2")) == 1
    assert await reads(driver, update("acc-1", password="pw-2"), end_user_id="u") == 1
    assert await reads(Driver(store, asynchronous), update("acc-1", password="pw-2")) == 1
    assert await reads(Driver(plain, asynchronous), update("acc-1", password="pw-2")) == 2
    assert await reads(Driver(store, asynchronous), update("ext-1", password="pw-2")) == 1
    for operation in ACCOUNT_CALLS:
        assert await reads(driver, on_account(operation, "acc-1"), end_user_id="u") == 1
        assert await reads(third_party, on_account(operation, "acc-1")) == 2
        assert await reads(third_party, on_account(operation, "no-record")) == 1
    # Without the known-bad check (credential_guard=False) only the cool-down is looked up.
    off = {"credential_guard": False, "end_user_id": "u"}
    assert await reads(third_party, on_account("deployAccount", "acc-1"), **off) == 1


UPDATES = [
    update("acc-1", password="pw-2"),
    update("acc-1"),
    update("acc-1", server=OTHER_SERVER.upper(), password="pw-3"),
    Attempt("updateAccount", "update", account_id="acc-1", password="pw-4"),  # no server
    Attempt("updateAccount", "update", account_id="acc-1", slots=2),
    update("ext-1", password="bad"),
    Attempt("updateAccount", "update", account_id="ext-1", password="bad"),
    update("ext-1"),
]


@pytest.mark.parametrize("attempt", UPDATES, ids=range(len(UPDATES)))
async def test_one_read_works_out_what_two_reads_do(
    attempt: Attempt,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    """The keys, group and next record of an update read in one go (blind keys and group)
    are those of reading the record first: what a store without groups does."""
    inner = new_store()
    grouped, plain = CountedLinked(inner), Counted(inner)
    aclose_stores.append(grouped)
    await Driver(grouped, asynchronous).created("acc-1")
    one = await Driver(grouped, asynchronous).check(attempt)
    two = await Driver(plain, asynchronous).check(attempt)
    assert one is not None and two is not None
    assert grouped.reads == 2  # created's own check, then this one
    got = [(p.cred, p.tz, p.group, p.slots, p.next_record, p.record) for p in (one, two)]
    assert got[0] == got[1]
    assert one.next_record is not None and (one.next_record.secret is None) == (
        attempt.password is None and attempt.account_id == "ext-1"
    )


async def test_a_login_with_too_many_marks_reads_its_one_key(
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    """Past ``GROUP_LIMIT`` rejected passwords of one login, the group is not shipped: the
    update's own cred is read in a second read, and the decision is the same."""
    store = CountedLinked(new_store())
    aclose_stores.append(store)
    writer = Driver(store, asynchronous)
    await writer.created("acc-1")
    for n in range(GROUP_LIMIT + 1):
        await writer.learn(create(password=f"bad-{n}"), None, Outcome(False, "E_AUTH"))
    fresh = Driver(store, asynchronous)
    before = store.reads
    assert await fresh.refused(update("acc-1", password="bad-7")) == "E_AUTH"
    assert store.reads - before == 2
    assert await Driver(store, asynchronous).refused(update("acc-1", password="good")) is None


async def test_a_redeploy_rejection_refuses_an_unseen_update_keeping_the_password(
    counted: Counted, asynchronous: bool, clock: VirtualClock
) -> None:
    """E_AUTH on a redeploy marks the record's credentials in their login's group: another
    process's update that keeps password and server is refused, one with a new password not."""
    store = counted
    writer = Driver(store, asynchronous)
    await writer.created("acc-1")
    await writer.answered(on_account("redeployAccount", "acc-1"), Outcome(False, "E_AUTH"))
    before = store.reads
    assert await Driver(store, asynchronous).refused(update("acc-1")) == "E_AUTH"
    assert store.reads - before == (1 if isinstance(store, CountedLinked) else 2)
    assert await Driver(store, asynchronous).refused(update("acc-1", password="new")) is None


@pytest.mark.parametrize("text", ['{"i":"zz"}', '{"i":"%s"}' % ("AB" * 32), "not json"])
async def test_a_record_the_guard_cannot_read_is_read_around(
    text: str,
    new_store: StoreFactory,
    asynchronous: bool,
    clock: VirtualClock,
    aclose_stores: list[CredentialStore],
) -> None:
    """A record no guard wrote (garbage under the account's record key) does not name the
    group the guard files the account's marks in: the update's own cred is read in a second
    read rather than taken for unmarked."""
    store = CountedLinked(new_store())
    aclose_stores.append(store)
    writer = Driver(store, asynchronous)
    await writer.answered(update("ext-1", password="bad"), Outcome(False, "E_AUTH"))
    keys = writer.guard._keys
    assert keys is not None
    now = clock.now()
    await writer.apply([Write(keys.record("ext-1"), Entry("record", now, now + 60, text))])
    before = store.reads
    assert await Driver(store, asynchronous).refused(update("ext-1", password="bad")) == "E_AUTH"
    assert store.reads - before == 2
