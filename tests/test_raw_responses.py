"""``client.with_raw_response.<operation>``: status, headers, request id and elapsed time of the
final answer, ``parse()`` to the typed result, failures still raised typed; each vendor, sync and
async, over a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.raw_response import RawResponse
from brokerlink.testing import VirtualClock, virtual_time
from tests.recording_server import RecordingServer
from tests.test_requests import TOKEN, make

MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
JSON = {"Content-Type": "application/json"}
ACCOUNT = {"_id": "acc-1", "name": "n", "login": "1", "server": "s", "platform": "mt5"}
ACCOUNT |= {"magic": 0, "state": "DEPLOYED", "connectionStatus": "CONNECTED", "type": "cloud-g2"}
BW_INFO = {"data": [{"login": "3004273", "balance": 10.5}], "mcode": "m0000000", "result": True}
B2_ACCOUNT = {"accountId": "5f0e7a", "number": "12346"}


def raw(api: str, server: RecordingServer, asynchronous: bool, call: Callable[[Any], Any]) -> Any:
    """``call(client.with_raw_response)`` on a fresh client (awaited when async)."""
    client = make(api, server.url, asynchronous)
    if not asynchronous:
        with client:
            return call(client.with_raw_response)

    async def run() -> Any:
        async with client:
            return await call(client.with_raw_response)

    return asyncio.run(run())


@MODES
def test_metaapi_raw_account(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, ACCOUNT, headers={**JSON, "X-Request-Id": "req-42", "X-Extra": "yes"})
    answer = raw("metaapi", server, asynchronous, lambda r: r.get_account("acc-1"))
    assert isinstance(answer, RawResponse)
    assert (answer.status_code, answer.request_id) == (200, "req-42")
    assert answer.headers["x-extra"] == "yes"
    assert isinstance(answer.elapsed, timedelta)
    account = answer.parse()
    assert (account.name, account.state) == ("n", "DEPLOYED")
    assert server.requests[-1].path == "/metaapi/users/current/accounts/acc-1"


@MODES
def test_brokerwork_raw_without_request_id(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, BW_INFO)
    answer = raw(
        "brokerwork",
        server,
        asynchronous,
        lambda r: r.get_account_info(server_id="1", account_id=["3004273"]),
    )
    assert (answer.status_code, answer.request_id) == (200, None)
    assert answer.headers["content-type"] == "application/json"
    assert [str(a.login) for a in answer.parse()] == ["3004273"]  # the plain method's list


@MODES
def test_b2core_raw_after_token_exchange(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, TOKEN)
    server.reply(200, B2_ACCOUNT, headers={**JSON, "Request-Id": "b2-9"})
    answer = raw("b2core", server, asynchronous, lambda r: r.get_account("5f0e7a"))
    assert (answer.status_code, answer.request_id) == (200, "b2-9")
    assert answer.parse().number == "12346"
    assert server.requests[-1].headers["authorization"] == "Bearer tok-placeholder"


FAILURES = [
    ("metaapi", {"id": 1, "error": "NotFoundError", "message": "gone"}, 404, errors.NotFound),
    ("brokerwork", {"mcode": "m0000001", "result": False}, 401, errors.AuthenticationError),
    ("b2core", {"message": "no such account"}, 404, errors.NotFound),
]
CALLS: dict[str, Callable[[Any], Any]] = {
    "metaapi": lambda r: r.get_account("acc-1"),
    "brokerwork": lambda r: r.get_account_info(server_id="1", account_id=["1"]),
    "b2core": lambda r: r.get_account("5f0e7a"),
}


@MODES
@pytest.mark.parametrize(("api", "body", "status", "raised"), FAILURES, ids=lambda v: str(v))
def test_a_failure_is_still_raised_typed(
    server: RecordingServer,
    asynchronous: bool,
    api: str,
    body: dict[str, Any],
    status: int,
    raised: type[errors.ApiError],
) -> None:
    if api == "b2core":
        server.reply(200, TOKEN)
    server.reply(status, body, headers={**JSON, "X-Request-Id": "req-7"})
    with pytest.raises(raised) as caught:
        raw(api, server, asynchronous, CALLS[api])
    assert (caught.value.status, caught.value.request_id) == (status, "req-7")


@MODES
def test_a_body_off_the_spec_fails_only_on_parse(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(200, {"_id": 5})
    answer = raw("metaapi", server, asynchronous, lambda r: r.get_account("acc-1"))
    assert answer.status_code == 200
    with pytest.raises(errors.UnexpectedResponse, match="does not match the spec"):
        answer.parse()


@MODES
def test_elapsed_covers_the_retries_on_brokerlinks_clock(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(503, {"message": "busy"}, headers={**JSON, "Retry-After": "7"})
    server.reply(200, ACCOUNT)
    with virtual_time(VirtualClock(start=1_800_000_000.0)):
        answer = raw("metaapi", server, asynchronous, lambda r: r.get_account("acc-1"))
    assert answer.elapsed == timedelta(seconds=7)
    assert len(server.requests) == 2


def test_the_plain_client_still_parses(server: RecordingServer) -> None:
    server.reply(200, ACCOUNT)
    server.reply(200, ACCOUNT)
    with make("metaapi", server.url, False) as client:
        assert client.with_raw_response.get_account("acc-1").status_code == 200
        assert client.get_account("acc-1").name == "n"  # the view's copy left it unchanged
