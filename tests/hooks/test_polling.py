"""202 polling: every wait source, bounds, deadline and resume, errors between polls, cancelling.

Time is controlled: ``virtual_time`` shares the sandbox's ManualClock, so a wait advances both
client and server and an HTTP-date ``Retry-After`` means what it says. Nothing sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import brokerlink
from brokerlink import errors
from brokerlink.plugins import polling
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import VirtualClock, instant_waits, virtual_time
from brokerlink.transports import aiohttp_transport, httpcore_transport
from tests.hooks.conftest import CREDENTIALS, MODES, client, run
from tests.recording_server import RecordingServer

START = 1_800_000_000.0
CREATED = {"id": "acc-1", "state": "DEPLOYED"}


def new_account(password: str = "s3cret-pw", **extra: Any) -> dict[str, Any]:
    return {
        "login": "50194988",
        "password": password,
        "name": "polling test",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
        **extra,
    }


def accepted(
    server: RecordingServer,
    *,
    retry_after: str | None = None,
    recommended: Any = None,
    message: str = "Automatic broker settings detection is in progress",
) -> None:
    body: dict[str, Any] = {"id": 1, "error": "AcceptedError", "message": message}
    if recommended is not None:
        body["metadata"] = {"recommendedRetryTime": recommended}
    headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    server.reply(202, body, headers=headers)


def create(base_url: str, asynchronous: bool, **kwargs: Any) -> Any:
    options = kwargs.pop("options", {})
    body = kwargs.pop("body", new_account())
    return run(
        "metaapi",
        base_url,
        asynchronous,
        lambda c: c.create_account(body=body, **kwargs),
        **options,
    )


def polled(server: RecordingServer, asynchronous: bool, **kwargs: Any) -> list[float]:
    """Create through the recording server's queued answers; the waits taken."""
    with virtual_time(VirtualClock(start=START)) as clock:
        assert create(f"{server.url}/metaapi", asynchronous, **kwargs).id == "acc-1"
    return clock.waits  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def clocked(sandbox: SandboxServer) -> SandboxServer:
    sandbox.clock.set(START)  # type: ignore[attr-defined]
    return sandbox


@MODES
@pytest.mark.parametrize("style", ["seconds", "http-date", "none", "garbage"])
def test_documented_sequence_two_202_then_201(
    clocked: SandboxServer, asynchronous: bool, style: str
) -> None:
    """Header in both forms, body-only time, garbage header: all wait what the server meant."""
    options = clocked.sandbox.options
    options.accepted_retries, options.retry_after_seconds = 2, 3
    options.retry_after_format = style  # type: ignore[assignment]
    before = len(clocked.sandbox.metaapi.accounts)
    with virtual_time(clocked.clock) as clock:
        created = create(clocked.base_url("metaapi"), asynchronous)
    assert clock.now() == START + 6
    assert created.id and len(clocked.sandbox.metaapi.accounts) == before + 1


@MODES
def test_same_transaction_id_on_every_poll(server: RecordingServer, asynchronous: bool) -> None:
    accepted(server, retry_after="1")
    accepted(server, retry_after="1")
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [1.0, 1.0]
    ids = {r.headers["transaction-id"] for r in server.requests}
    assert len(server.requests) == 3 and len(ids) == 1
    (tid,) = ids
    assert len(tid) == 32 and int(tid, 16) >= 0


@MODES
def test_caller_transaction_id_is_kept(server: RecordingServer, asynchronous: bool) -> None:
    accepted(server, retry_after="1")
    server.reply(201, CREATED)
    polled(server, asynchronous, transaction_id="my-own-id")
    assert [r.headers["transaction-id"] for r in server.requests] == ["my-own-id"] * 2


@MODES
def test_body_time_when_header_missing(server: RecordingServer, asynchronous: bool) -> None:
    due = datetime.fromtimestamp(START + 4, UTC).isoformat().replace("+00:00", "Z")
    accepted(server, recommended=due)
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [4.0]


@MODES
def test_header_wins_over_body(server: RecordingServer, asynchronous: bool) -> None:
    due = datetime.fromtimestamp(START + 40, UTC).isoformat()
    accepted(server, retry_after="2", recommended=due)
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [2.0]


@MODES
def test_http_date_header(server: RecordingServer, asynchronous: bool) -> None:
    accepted(
        server, retry_after=format_datetime(datetime.fromtimestamp(START + 9, UTC), usegmt=True)
    )
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [9.0]


@MODES
@pytest.mark.parametrize("garbage", ["soon", "12 parsecs", ""])
@pytest.mark.parametrize("body_time", [None, "tomorrow-ish", 17, {"at": 1}])
def test_configured_default_when_nothing_usable(
    server: RecordingServer, asynchronous: bool, garbage: str, body_time: Any
) -> None:
    accepted(server, retry_after=garbage, recommended=body_time)
    accepted(server, retry_after=garbage, recommended=body_time)
    server.reply(201, CREATED)
    waits = polled(server, asynchronous, options={"max_retries": 0})
    assert waits == [polling.DEFAULT_POLL_INTERVAL] * 2


@MODES
def test_poll_interval_option(server: RecordingServer, asynchronous: bool) -> None:
    accepted(server)
    server.reply(201, CREATED)
    with virtual_time(VirtualClock(start=START)) as clock:
        run(
            "metaapi",
            f"{server.url}/metaapi",
            asynchronous,
            lambda c: c.with_options(poll_interval=2.5).create_account(body=new_account()),
        )
    assert clock.waits == [2.5]  # type: ignore[attr-defined]


@MODES
@pytest.mark.parametrize(
    "value",
    ["0", "-30", format_datetime(datetime.fromtimestamp(START - 3600, UTC), usegmt=True)],
)
def test_zero_or_past_means_a_short_wait_not_success(
    server: RecordingServer, asynchronous: bool, value: str
) -> None:
    accepted(server, retry_after=value)
    accepted(server, retry_after=value)
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [polling.MIN_WAIT] * 2
    assert len(server.requests) == 3


@MODES
@pytest.mark.parametrize("value", ["86400", "1e12", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_absurd_waits_are_capped(server: RecordingServer, asynchronous: bool, value: str) -> None:
    accepted(server, retry_after=value)
    server.reply(201, CREATED)
    assert polled(server, asynchronous) == [polling.MAX_WAIT]


@MODES
def test_deadline_raises_poll_timeout_then_resume(
    clocked: SandboxServer, asynchronous: bool
) -> None:
    options = clocked.sandbox.options
    options.accepted_retries, options.retry_after_seconds = 5, 2
    before = len(clocked.sandbox.metaapi.accounts)
    base = clocked.base_url("metaapi")
    with virtual_time(clocked.clock), pytest.raises(errors.PollTimeout) as caught:
        create(base, asynchronous, options={"poll_timeout": 5})
    timeout = caught.value
    assert timeout.transaction_id and len(timeout.transaction_id) == 32
    assert timeout.elapsed >= 5 and timeout.attempts == 4  # polls at t=0, 2, 4, 5
    assert timeout.last_message and "detection" in timeout.last_message
    assert timeout.transaction_id in str(timeout)
    assert "s3cret-pw" not in str(timeout) + repr(timeout)
    assert isinstance(timeout, TimeoutError)
    assert len(clocked.sandbox.metaapi.accounts) == before
    # Resume: the same transaction continues server-side; one account in the end, not two.
    with virtual_time(clocked.clock) as clock:
        created = create(base, asynchronous, transaction_id=timeout.transaction_id)
    assert clock.now() == START + 5 + 2
    assert len(clocked.sandbox.metaapi.accounts) == before + 1
    assert created.id in clocked.sandbox.metaapi.accounts


@MODES
def test_poll_timeout_via_with_options(server: RecordingServer, asynchronous: bool) -> None:
    for _ in range(3):
        accepted(server, retry_after="10")
    with virtual_time(VirtualClock(start=START)) as clock, pytest.raises(errors.PollTimeout):
        run(
            "metaapi",
            f"{server.url}/metaapi",
            asynchronous,
            lambda c: c.with_options(poll_timeout=15).create_account(body=new_account()),
        )
    assert clock.waits == [10.0, 5.0]  # type: ignore[attr-defined]


@MODES
def test_server_error_between_polls_keeps_the_transaction(
    server: RecordingServer, asynchronous: bool
) -> None:
    accepted(server, retry_after="1")
    server.reply(503, body=b"<html>upstream down</html>", headers={"Content-Type": "text/html"})
    accepted(server, retry_after="1")
    server.reply(201, CREATED)
    waits = polled(server, asynchronous)
    assert len(waits) == 3 and waits[0] == waits[2] == 1.0
    assert len({r.headers["transaction-id"] for r in server.requests}) == 1


@MODES
def test_connection_reset_between_polls(clocked: SandboxServer, asynchronous: bool) -> None:
    from tests.hooks.conftest import fault

    options = clocked.sandbox.options
    options.accepted_retries = 1
    before = len(clocked.sandbox.metaapi.accounts)
    fault(clocked, "reset", times=1, api="metaapi")
    with virtual_time(clocked.clock):
        create(clocked.base_url("metaapi"), asynchronous)
    assert len(clocked.sandbox.metaapi.accounts) == before + 1


@MODES
def test_e_auth_after_two_202(clocked: SandboxServer, asynchronous: bool) -> None:
    clocked.sandbox.options.accepted_retries = 2
    with virtual_time(clocked.clock) as clock, pytest.raises(errors.InvalidBrokerCredentials):
        create(clocked.base_url("metaapi"), asynchronous, body=new_account(password="E_AUTH"))
    assert clock.now() == START + 2


@MODES
def test_202_on_an_operation_that_never_polls(server: RecordingServer, asynchronous: bool) -> None:
    accepted(server, retry_after="1")
    with instant_waits() as waits, pytest.raises(errors.UnexpectedResponse) as caught:
        run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
    assert waits == [] and caught.value.status == 202


class Progress:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, float, str, str | None]] = []

    @brokerlink.hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.events.append((call.operation_id, attempt, seconds, reason, message))


@MODES
def test_progress_hook_and_one_info_line_per_wait(
    server: RecordingServer, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    accepted(server, retry_after="3", message="detecting broker settings")
    accepted(server, retry_after="2", message="validating the connection")
    server.reply(201, CREATED)
    progress = Progress()
    caplog.set_level(logging.INFO, logger="brokerlink")
    with virtual_time(VirtualClock(start=START)):
        create(f"{server.url}/metaapi", asynchronous, options={"plugins": [progress]})
    assert progress.events == [
        ("createAccount", 1, 3.0, "accepted", "detecting broker settings"),
        ("createAccount", 2, 2.0, "accepted", "validating the connection"),
    ]
    lines = [r for r in caplog.records if r.name == "brokerlink.wait"]
    assert [r.levelno for r in lines] == [logging.INFO] * 2
    assert "validating the connection" in lines[1].getMessage()


@MODES
def test_demo_accounts_and_replicas_poll_too(clocked: SandboxServer, asynchronous: bool) -> None:
    clocked.sandbox.options.accepted_retries = 1
    primary = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
    with virtual_time(clocked.clock) as clock:
        replica = run(
            "metaapi",
            clocked.base_url("metaapi"),
            asynchronous,
            lambda c: c.create_account_replica(primary, body={"region": "singapore", "magic": 0}),
        )
    assert replica.id and clock.now() == START + 1


@pytest.mark.parametrize("pool", [aiohttp_transport, httpcore_transport])
async def test_cancelling_during_a_wait_propagates_and_leaks_nothing(
    server: RecordingServer, pool: Callable[..., httpx.AsyncBaseTransport]
) -> None:
    """On a pool of one connection: a call after the cancelled one gets it (none leaked)."""
    accepted(server, retry_after="30")
    waiting = asyncio.Event()

    class Signal:
        @brokerlink.hookimpl
        def brokerlink_before_wait(self, **_: Any) -> None:
            waiting.set()

    one = pool(max_connections=1)
    facade = client("metaapi", f"{server.url}/metaapi", True, plugins=[Signal()], transport=one)
    async with facade:
        task = asyncio.create_task(facade.create_account(body=new_account()))
        await asyncio.wait_for(waiting.wait(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        server.reply(200, ["vint-hill"])
        assert await asyncio.wait_for(facade.list_regions(), timeout=5) == ["vint-hill"]
    assert len(server.requests) == 2


async def test_many_concurrent_polls_one_loop_no_threads(clocked: SandboxServer) -> None:
    clocked.sandbox.options.accepted_retries = 2
    before = len(clocked.sandbox.metaapi.accounts)
    threads = set(threading.enumerate())  # an earlier test's idle worker may end meanwhile
    facade = brokerlink.AsyncMetaApi(base_url=clocked.base_url("metaapi"), **CREDENTIALS["metaapi"])
    with instant_waits():
        async with facade:
            created = await asyncio.gather(
                *(
                    facade.create_account(body=new_account(login=str(50_000_000 + i)))
                    for i in range(100)
                )
            )
    assert set(threading.enumerate()) <= threads  # none started
    assert len({c.id for c in created}) == 100
    assert len(clocked.sandbox.metaapi.accounts) == before + 100


@MODES
def test_e_auth_after_202s_is_remembered_by_the_guard(
    clocked: SandboxServer, asynchronous: bool
) -> None:
    clocked.sandbox.options.accepted_retries = 2
    rejected = new_account(password="E_AUTH")
    seen: list[str] = []

    class Answers:
        @brokerlink.hookimpl(tryfirst=True)
        def brokerlink_after_response(self, call: Any, request: Any, response: Any) -> None:
            seen.append(f"{call.operation_id} {response.status_code}")

    def twice(c: Any) -> Any:
        async def both() -> list[Any]:
            outcomes: list[Any] = []
            for _ in range(2):
                try:
                    outcomes.append(await c.create_account(body=rejected))
                except errors.BrokerLinkError as exc:
                    outcomes.append(exc)
            return outcomes

        if asynchronous:
            return both()
        outcomes: list[Any] = []
        for _ in range(2):
            try:
                outcomes.append(c.create_account(body=rejected))
            except errors.BrokerLinkError as exc:
                outcomes.append(exc)
        return outcomes

    with virtual_time(clocked.clock):
        first, second = run(
            "metaapi",
            clocked.base_url("metaapi"),
            asynchronous,
            twice,
            credential_cache="memory://",
            plugins=[Answers()],
        )
    assert isinstance(first, errors.InvalidBrokerCredentials)
    assert isinstance(second, errors.KnownBadCredentials) and second.reason == "E_AUTH"
    # two 202s and the final 400 went over the wire; the second call never did
    assert seen == ["createAccount 202", "createAccount 202", "createAccount 400"]


@MODES
def test_a_202_between_failures_starts_a_new_retry_streak(
    server: RecordingServer, asynchronous: bool
) -> None:
    html = {"Content-Type": "text/html"}
    for _ in range(2):
        server.reply(503, body=b"<html>busy</html>", headers=html)
        accepted(server, retry_after="1")
    server.reply(201, CREATED)
    # max_retries=1 allows one failure in a row; two failures separated by a 202 both pass
    waits = polled(server, asynchronous, options={"max_retries": 1})
    assert len(waits) == 4 and len(server.requests) == 5
