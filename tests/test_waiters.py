"""MetaApi waiters against the sandbox's timed transitions, on virtual time shared with its clock.

``virtual_time(clock)`` makes every wait of the waiter advance the sandbox's ManualClock, so a
30-second deployment is reached after exactly the waits the waiter planned, and nothing sleeps.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.cli.progress import WaitDisplay
from brokerlink.generated.metaapi.models import MetatraderAccount, MetatraderAccountReplica
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.seed import MT4_ACCOUNT_ID, MT5_ACCOUNT_ID, REPLICA_ID
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time

MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
START = 1_800_000_000.0


class Waits:
    """Records every ``brokerlink_before_wait`` call."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, float, str, str | None]] = []

    @brokerlink.hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.seen.append((call.operation_id, attempt, seconds, reason, message))


@pytest.fixture(scope="module")
def _timed() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock(), transition_seconds=30) as server:
        yield server


@pytest.fixture
def timed(_timed: SandboxServer) -> SandboxServer:
    _timed.reset()
    _timed.clock.set(START)  # type: ignore[attr-defined]
    return _timed


def run(
    server: SandboxServer, asynchronous: bool, *steps: Callable[[Any], Any], plugins: Any = ()
) -> Any:
    """Apply ``steps`` in order to one MetaApi client on virtual time; the last step's result."""
    options = dict(token="t", base_url=server.base_url("metaapi"), plugins=plugins)

    async def go() -> Any:
        async with brokerlink.AsyncMetaApi(**options) as client:
            for step in steps:
                result = await step(client)
            return result

    with virtual_time(server.clock):  # type: ignore[arg-type]
        if asynchronous:
            return asyncio.run(go())
        with brokerlink.MetaApi(**options) as client:
            for step in steps:
                result = step(client)
            return result


def elapsed(server: SandboxServer) -> float:
    return server.clock.now() - START


@MODES
def test_wait_deployed_polls_with_a_capped_doubling_interval(
    timed: SandboxServer, asynchronous: bool
) -> None:
    waits = Waits()
    account = run(
        timed,
        asynchronous,
        lambda c: c.deploy_account(MT5_ACCOUNT_ID),
        lambda c: c.wait_deployed(MT5_ACCOUNT_ID),
        plugins=[waits],
    )
    assert isinstance(account, MetatraderAccount)
    assert (account.state, account.connection_status) == ("DEPLOYED", "CONNECTED")
    assert [seconds for _, _, seconds, _, _ in waits.seen] == [1, 2, 4, 8, 10, 10]
    assert elapsed(timed) == 35
    assert waits.seen[0] == ("getAccount", 1, 1.0, "waiting", "state DEPLOYING, not yet DEPLOYED")
    assert [attempt for _, attempt, _, _, _ in waits.seen] == [1, 2, 3, 4, 5, 6]


@MODES
def test_a_state_already_reached_returns_at_once(timed: SandboxServer, asynchronous: bool) -> None:
    waits = Waits()
    account = run(timed, asynchronous, lambda c: c.wait_connected(MT4_ACCOUNT_ID), plugins=[waits])
    assert account.connection_status == "CONNECTED"
    assert (waits.seen, elapsed(timed)) == ([], 0)


@MODES
def test_timeout_raises_wait_timeout_with_the_facts(
    timed: SandboxServer, asynchronous: bool
) -> None:
    waits = Waits()
    with pytest.raises(errors.WaitTimeout) as caught:
        run(
            timed,
            asynchronous,
            lambda c: c.deploy_account(MT5_ACCOUNT_ID),
            lambda c: c.wait_connected(MT5_ACCOUNT_ID, timeout=20),
            plugins=[waits],
        )
    error = caught.value
    assert isinstance(error, errors.BrokerLinkError) and isinstance(error, TimeoutError)
    assert (error.resource_id, error.wanted, error.last_seen) == (
        MT5_ACCOUNT_ID,
        "CONNECTED",
        "DISCONNECTED",
    )
    assert error.elapsed == 20 == elapsed(timed)
    assert [seconds for _, _, seconds, _, _ in waits.seen] == [1, 2, 4, 8, 5]  # never past 20 s
    assert str(error) == (
        f"metaapi account {MT5_ACCOUNT_ID} not CONNECTED after 20.0 s "
        "(last seen connection_status: DISCONNECTED)"
    )


@MODES
def test_the_replica_variant_reads_the_replica(timed: SandboxServer, asynchronous: bool) -> None:
    waits = Waits()
    replica = run(
        timed,
        asynchronous,
        lambda c: c.undeploy_account(MT4_ACCOUNT_ID),  # the replica too
        lambda c: c.wait_undeployed(MT4_ACCOUNT_ID, replica_id=REPLICA_ID, timeout=60),
        plugins=[waits],
    )
    assert isinstance(replica, MetatraderAccountReplica)
    assert (replica.region, replica.state) == ("london", "UNDEPLOYED")  # the seeded replica
    assert {operation for operation, *_ in waits.seen} == {"getAccountReplica"}
    assert elapsed(timed) == 35


@MODES
def test_a_stuck_state_fails_at_once(timed: SandboxServer, asynchronous: bool) -> None:
    timed.sandbox.metaapi.accounts[MT5_ACCOUNT_ID].doc["state"] = "DEPLOY_FAILED"
    with pytest.raises(errors.WaitFailed) as caught:
        run(timed, asynchronous, lambda c: c.wait_connected(MT5_ACCOUNT_ID))
    assert (caught.value.wanted, caught.value.last_seen) == ("CONNECTED", "DEPLOY_FAILED")
    assert not isinstance(caught.value, TimeoutError)
    assert elapsed(timed) == 0
    assert "will not become CONNECTED without a new request" in str(caught.value)


@MODES
def test_an_unknown_account_raises_not_found(timed: SandboxServer, asynchronous: bool) -> None:
    with pytest.raises(errors.NotFound):
        run(timed, asynchronous, lambda c: c.wait_deployed("no-such-account"))


@pytest.mark.parametrize("timeout", [-1, "5", True, float("nan")])
def test_a_bad_timeout_is_refused_before_any_read(timed: SandboxServer, timeout: Any) -> None:
    with pytest.raises(errors.InvalidRequest, match="timeout must be a number"):
        run(timed, False, lambda c: c.wait_deployed(MT5_ACCOUNT_ID, timeout=timeout))


def test_the_cli_wait_display_shows_each_wait(timed: SandboxServer) -> None:
    stream = io.StringIO()
    with pytest.raises(errors.WaitTimeout):
        run(
            timed,
            False,
            lambda c: c.deploy_account(MT5_ACCOUNT_ID),
            lambda c: c.wait_deployed(MT5_ACCOUNT_ID, timeout=2.5),
            plugins=[WaitDisplay(stream)],
        )
    assert stream.getvalue().splitlines() == [
        "metaapi.getAccount: waiting: state DEPLOYING, not yet DEPLOYED; send 2 in 1.0 s",
        "metaapi.getAccount: waiting: state DEPLOYING, not yet DEPLOYED; send 3 in 1.5 s",
    ]
