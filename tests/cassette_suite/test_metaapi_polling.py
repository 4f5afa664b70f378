"""202 sequences and retries, exchange by exchange: every poll and every resend is in the
cassette, and the replay goes through brokerlink's polling and retry plugins again.

The sandbox answers N times 202 for a ``transaction-id`` starting ``accepted<N>`` (``date``,
``none``, ``garbage``: the style of ``Retry-After``), then the final answer. Waits are on the
shared clock (the sandbox's when recording, a virtual one on replay), so ``clock.waits`` is the
same schedule both times and nothing waits for real.
"""

from __future__ import annotations

from typing import Any

import pytest

from brokerlink import errors
from tests.cassette_suite.clients import Clients
from tests.cassette_suite.metaapi_data import DEMO, NEW_ACCOUNT, new_account
from tests.cassette_suite.target import SharedClock

API = "metaapi"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network, pytest.mark.sandbox_only]


@pytest.mark.parametrize("style", ["seconds", "date", "none", "garbage"])
async def test_create_account_polls_until_created(
    metaapi: Any, clock: SharedClock, style: str
) -> None:
    """Retry-After as delta-seconds, as an HTTP-date, absent (the body's recommendedRetryTime
    decides) or garbage ("soon": the body decides): every style means one second here."""
    tid = "accepted2-" if style == "seconds" else f"accepted2{style}-"
    created = await metaapi.create_account(body=NEW_ACCOUNT, transaction_id=tid + "create")
    assert created.id
    assert clock.waits == [1.0, 1.0]
    assert (await metaapi.get_account(created.id)).name == NEW_ACCOUNT["name"]


async def test_same_transaction_id_never_creates_twice(metaapi: Any, clock: SharedClock) -> None:
    first = await metaapi.create_account(body=NEW_ACCOUNT, transaction_id="accepted1-once")
    again = await metaapi.create_account(body=NEW_ACCOUNT, transaction_id="accepted1-once")
    assert again.id == first.id
    assert clock.waits == [1.0]  # the repeat is answered at once with the same account
    accounts = await metaapi.list_accounts()
    assert [a.id for a in accounts].count(first.id) == 1


async def test_poll_timeout_then_resume(clients: Clients, clock: SharedClock) -> None:
    impatient = clients.make(API, poll_timeout=2.5)
    with pytest.raises(errors.PollTimeout) as timeout:
        await impatient.create_account(body=NEW_ACCOUNT, transaction_id="accepted5-resume")
    assert timeout.value.transaction_id == "accepted5-resume"
    assert timeout.value.operation == "createAccount"
    patient = clients.make(API)
    created = await patient.create_account(
        body=NEW_ACCOUNT, transaction_id=timeout.value.transaction_id
    )
    assert created.id
    # 2.5 s budget: waits of 1, 1 and the 0.5 left, a fourth 202 ends it; the resumed call
    # gets the fifth 202 and then the account
    assert clock.waits == [1.0, 1.0, 0.5, 1.0]


async def test_replica_creation_polls(metaapi: Any, clock: SharedClock) -> None:
    account_id = await new_account(metaapi)
    replica = await metaapi.create_account_replica(
        account_id, body={"magic": 3, "region": "london"}, transaction_id="accepted3date-replica"
    )
    assert replica.id
    assert clock.waits == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("platform", ["mt4", "mt5"])
async def test_demo_account_polls(metaapi: Any, clock: SharedClock, platform: str) -> None:
    profiles = await metaapi.list_provisioning_profiles()
    create = getattr(metaapi, f"create_{platform}_demo_account")
    demo = await create(profiles[0].id, body=DEMO, transaction_id=f"accepted2-{platform}")
    assert demo.login and demo.password
    assert clock.waits == [1.0, 1.0]


@pytest.mark.parametrize("mode", ["accepted-no-retry-after", "accepted-garbage-retry-after"])
async def test_202_without_usable_retry_after(
    metaapi: Any, clock: SharedClock, fault: Any, mode: str
) -> None:
    fault(mode, api=API, times=2)
    created = await metaapi.create_account(body=NEW_ACCOUNT)
    assert created.id
    assert clock.waits == [1.0, 1.0]  # from metadata.recommendedRetryTime


# --- retries ------------------------------------------------------------------------------------
async def test_rate_limit_is_waited_out(metaapi: Any, clock: SharedClock, fault: Any) -> None:
    fault("429", api=API)
    assert await metaapi.list_regions()
    assert clock.waits == [1.0]  # the advised Retry-After


async def test_server_error_on_a_read_is_retried(
    metaapi: Any, clock: SharedClock, fault: Any
) -> None:
    fault("html-503", api=API, times=2)
    assert await metaapi.list_regions()
    assert len(clock.waits) == 2
    assert 0.25 <= clock.waits[0] <= 0.5 and 0.5 <= clock.waits[1] <= 1.0  # jittered backoff


async def test_retries_run_out(metaapi: Any, clock: SharedClock, fault: Any) -> None:
    fault("html-502", api=API, times=4)
    with pytest.raises(errors.ServerError) as error:
        await metaapi.list_regions()
    assert error.value.status == 502
    assert len(clock.waits) == 3  # the default three retries, then the failure stands


async def test_create_with_transaction_id_is_retried(
    metaapi: Any, clock: SharedClock, fault: Any
) -> None:
    """A transaction-id makes a create safe to resend: the server dedupes it."""
    fault("html-500", api=API)
    created = await metaapi.create_account(body=NEW_ACCOUNT, transaction_id="retried-create")
    assert created.id and len(clock.waits) == 1
