"""The retries plugin through real sockets (the sandbox or the recording server), sync and async."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.plugins import retries
from brokerlink.plugins.polling import MIN_WAIT
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import VirtualClock, instant_waits, virtual_time
from tests.hooks.conftest import MODES, fault, run
from tests.recording_server import RecordingServer

REGIONS = ["vint-hill", "new-york"]
PROFILE = {"name": "p", "version": 5, "brokerTimezone": "EET", "brokerDSTSwitchTimezone": "EET"}


def regions(sandbox: SandboxServer, asynchronous: bool, **options: Any) -> Any:
    return run(
        "metaapi", sandbox.base_url("metaapi"), asynchronous, lambda c: c.list_regions(), **options
    )


@MODES
@pytest.mark.parametrize("mode", ["html-500", "html-502", "html-503", "html-504"])
def test_5xx_then_success(sandbox: SandboxServer, asynchronous: bool, mode: str) -> None:
    fault(sandbox, mode, times=2, api="metaapi")
    with instant_waits() as waits:
        assert regions(sandbox, asynchronous)
    assert len(waits) == 2
    # equal-jitter backoff: retry n waits within [c/2, c], c = 0.5 * 2**(n-1)
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


@MODES
def test_gives_up_after_max_retries(sandbox: SandboxServer, asynchronous: bool) -> None:
    fault(sandbox, "html-503", times=10, api="metaapi")
    with instant_waits() as waits, pytest.raises(errors.ServiceUnavailable) as caught:
        regions(sandbox, asynchronous)
    assert len(waits) == retries.DEFAULT_MAX_RETRIES
    assert caught.value.status == 503 and b"<html>" in caught.value.body


@MODES
@pytest.mark.parametrize("limit", [0, 1, 5])
def test_max_retries_on_constructor(sandbox: SandboxServer, asynchronous: bool, limit: int) -> None:
    fault(sandbox, "html-502", times=10, api="metaapi")
    with instant_waits() as waits, pytest.raises(errors.ServerError):
        regions(sandbox, asynchronous, max_retries=limit)
    assert len(waits) == limit


@MODES
def test_max_retries_via_with_options(sandbox: SandboxServer, asynchronous: bool) -> None:
    fault(sandbox, "html-502", times=10, api="metaapi")

    def action(c: Any) -> Any:
        return c.with_options(max_retries=1).list_regions()

    with instant_waits() as waits, pytest.raises(errors.ServerError):
        run("metaapi", sandbox.base_url("metaapi"), asynchronous, action)
    assert len(waits) == 1


@MODES
def test_429_waits_what_metaapi_advises(sandbox: SandboxServer, asynchronous: bool) -> None:
    sandbox.sandbox.options.rate_limit_retry_seconds = 7
    fault(sandbox, "429", times=1, api="metaapi")
    with virtual_time(VirtualClock(start=sandbox.clock.now())) as clock:
        assert regions(sandbox, asynchronous)
    assert clock.waits == [7.0]  # type: ignore[attr-defined]


@MODES
def test_deadline_stops_a_long_advised_wait(sandbox: SandboxServer, asynchronous: bool) -> None:
    # With a 60 s deadline a 90 s advice is not worth waiting for: the 429 is raised at once.
    sandbox.sandbox.options.rate_limit_retry_seconds = 90
    fault(sandbox, "429", times=1, api="metaapi")

    def action(c: Any) -> Any:
        return c.with_options(retry_deadline=60).list_regions()

    with instant_waits() as waits, pytest.raises(errors.RateLimited) as caught:
        run("metaapi", sandbox.base_url("metaapi"), asynchronous, action)
    assert waits == []
    assert caught.value.retry_after == 90.0


@MODES
def test_non_idempotent_post_is_not_resent(sandbox: SandboxServer, asynchronous: bool) -> None:
    fault(sandbox, "html-503", times=1, api="metaapi")
    body = {
        "name": "profile",
        "version": 5,
        "brokerTimezone": "EET",
        "brokerDSTSwitchTimezone": "EET",
    }
    with instant_waits() as waits, pytest.raises(errors.ServiceUnavailable):
        run(
            "metaapi",
            sandbox.base_url("metaapi"),
            asynchronous,
            lambda c: c.create_provisioning_profile(body=body),
        )
    assert waits == []


@MODES
def test_transaction_id_makes_a_post_resendable(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(502, body=b"<html>bad gateway</html>", headers={"Content-Type": "text/html"})
    server.reply(201, {"id": "acc-1", "state": "DEPLOYED"})
    body = {
        "login": "1234",
        "password": "pw-secret",
        "name": "a",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
    }
    with instant_waits() as waits:
        created = run(
            "metaapi",
            f"{server.url}/metaapi",
            asynchronous,
            lambda c: c.create_account(body=body),
        )
    assert created.id == "acc-1" and len(waits) == 1
    first, second = server.requests
    assert first.headers["transaction-id"] == second.headers["transaction-id"]
    assert len(first.headers["transaction-id"]) == 32


@MODES
def test_http_date_retry_after_on_virtual_clock(
    server: RecordingServer, asynchronous: bool
) -> None:
    start = 1_800_000_000.0
    due = format_datetime(datetime.fromtimestamp(start + 12, UTC), usegmt=True)
    server.reply(503, {"message": "maintenance"}, headers={"Retry-After": due})
    server.reply(200, REGIONS)
    with virtual_time(VirtualClock(start=start)) as clock:
        assert (
            run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
            == REGIONS
        )
    assert clock.waits == [12.0]  # type: ignore[attr-defined]


@MODES
@pytest.mark.parametrize("value", ["soon", "", "NaN", "Thu, 99 Foo 2023 25:61:00 GMT"])
def test_garbage_retry_after_falls_back_to_backoff(
    server: RecordingServer, asynchronous: bool, value: str
) -> None:
    server.reply(503, {"message": "busy"}, headers={"Retry-After": value})
    server.reply(200, REGIONS)
    with instant_waits() as waits:
        run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
    assert len(waits) == 1 and 0.25 <= waits[0] <= 0.5


@MODES
def test_zero_or_past_retry_after_waits_the_short_minimum_of_a_202(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(503, {"message": "busy"}, headers={"Retry-After": "0"})
    server.reply(503, {"message": "busy"}, headers={"Retry-After": "-5"})
    server.reply(200, REGIONS)
    with instant_waits() as waits:
        run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
    assert waits == [MIN_WAIT, MIN_WAIT]


@MODES
@pytest.mark.parametrize("value", ["1e400", "999999999"])
def test_absurd_retry_after_is_not_waited_for(
    server: RecordingServer, asynchronous: bool, value: str
) -> None:
    server.reply(503, {"message": "busy"}, headers={"Retry-After": value})
    with instant_waits() as waits, pytest.raises(errors.ServiceUnavailable):
        run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
    assert waits == []


@MODES
def test_broker_work_rate_limit_in_an_http_200(sandbox: SandboxServer, asynchronous: bool) -> None:
    fault(sandbox, "429", times=2, api="brokerwork")
    with instant_waits() as waits:
        levels = run(
            "brokerwork", sandbox.base_url("brokerwork"), asynchronous, lambda c: c.list_levels()
        )
    assert levels and len(waits) == 2


@MODES
def test_broker_work_mcode_minus_one_is_retried(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(200, {"result": False, "mcode": "-1", "data": None})
    server.reply(200, {"result": True, "mcode": "0", "data": []})
    with instant_waits() as waits:
        run("brokerwork", f"{server.url}/bw", asynchronous, lambda c: c.list_levels())
    assert len(waits) == 1


@MODES
def test_b2core_502_then_success(sandbox: SandboxServer, asynchronous: bool) -> None:
    # The first faulted request is the token exchange (idempotent by spec): it is retried too.
    fault(sandbox, "html-502", times=2, api="b2core")
    with instant_waits() as waits:
        accounts = run(
            "b2core", sandbox.base_url("b2core"), asynchronous, lambda c: c.list_accounts()
        )
    assert accounts and len(waits) == 2


@MODES
def test_reset_connection_retried_for_get(sandbox: SandboxServer, asynchronous: bool) -> None:
    fault(sandbox, "reset", times=1, api="metaapi")
    with instant_waits() as waits:
        assert regions(sandbox, asynchronous)
    assert len(waits) == 1


@MODES
def test_reset_connection_not_retried_for_plain_post(
    sandbox: SandboxServer, asynchronous: bool
) -> None:
    fault(sandbox, "reset", times=1, api="metaapi")
    body = PROFILE
    with instant_waits() as waits, pytest.raises(errors.TransportError):
        run(
            "metaapi",
            sandbox.base_url("metaapi"),
            asynchronous,
            lambda c: c.create_provisioning_profile(body=body),
        )
    assert waits == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@MODES
def test_connect_error_is_resent_even_for_a_post(asynchronous: bool) -> None:
    # Nothing reached the server, so even a non-idempotent call may try again.
    url = f"http://127.0.0.1:{_closed_port()}/metaapi"
    body = PROFILE
    with instant_waits() as waits, pytest.raises(errors.TransportError) as caught:
        run("metaapi", url, asynchronous, lambda c: c.create_provisioning_profile(body=body))
    assert len(waits) == retries.DEFAULT_MAX_RETRIES
    assert "ConnectError" in str(caught.value)
    assert type(caught.value) is errors.TransportError


@MODES
def test_read_timeout_retried_for_get(sandbox: SandboxServer, asynchronous: bool) -> None:
    sandbox.sandbox.options.slow_delay = 0.3
    fault(sandbox, "slow", times=1, api="metaapi")
    with instant_waits() as waits:
        assert regions(sandbox, asynchronous, timeout=0.05)
    assert len(waits) == 1


def test_backoff_is_capped_and_jittered() -> None:
    draws = [retries.backoff(n) for n in range(1, 40) for _ in range(20)]
    assert max(draws) <= retries.MAX_DELAY
    assert min(draws) >= retries.BASE_DELAY / 2
    late = [retries.backoff(30) for _ in range(50)]
    assert len(set(late)) > 1 and all(retries.MAX_DELAY / 2 <= w <= retries.MAX_DELAY for w in late)
