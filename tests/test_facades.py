"""Facade plumbing: one pool per client, custom transports, closing, options, and the Broker Work
``data`` that is documented as an object but sent as an array."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import brokerlink
from brokerlink.generated.brokerwork.models import AccountInfo
from tests.recording_server import RecordingServer


class CountingTransport(httpx.HTTPTransport):
    """A real transport that counts what it sends (a user's custom networking stand-in)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return super().handle_request(request)


def test_custom_transport_is_used(server: RecordingServer) -> None:
    transport = CountingTransport()
    server.reply(200, ["london"])
    with brokerlink.MetaApi(token="t", base_url=server.url, transport=transport) as meta:
        assert meta.list_regions() == ["london"]
    assert transport.sent == 1


def test_calls_share_one_pooled_connection(server: RecordingServer) -> None:
    for _ in range(3):
        server.reply(200, ["london"])
    with brokerlink.MetaApi(token="t", base_url=server.url) as meta:
        for _ in range(3):
            meta.list_regions()
    assert len({r.peer for r in server.requests}) == 1


def test_async_calls_share_one_pooled_connection(server: RecordingServer) -> None:
    async def run() -> None:
        async with brokerlink.AsyncMetaApi(token="t", base_url=server.url) as meta:
            for _ in range(3):
                await meta.list_regions()

    for _ in range(3):
        server.reply(200, ["london"])
    asyncio.run(run())
    assert len({r.peer for r in server.requests}) == 1


def test_closed_client_refuses_calls(server: RecordingServer) -> None:
    meta = brokerlink.MetaApi(token="t", base_url=server.url)
    with meta:
        pass
    with pytest.raises(RuntimeError):
        meta.list_regions()
    assert server.requests == []


def test_with_options_shares_the_pool_and_survives_its_own_close(server: RecordingServer) -> None:
    for _ in range(2):
        server.reply(200, ["london"])
    with brokerlink.MetaApi(token="t", base_url=server.url) as meta:
        meta.list_regions()
        quick = meta.with_options(timeout=1.0, max_retries=0, end_user_id="user-7")
        assert quick.options.max_retries == 0 and quick.options.end_user_id == "user-7"
        assert meta.options.max_retries is None
        quick.close()
        quick_peer_check = quick  # closing the copy must not close the shared pool
        meta.list_regions()
        assert quick_peer_check is not meta
    assert len({r.peer for r in server.requests}) == 1
    with pytest.raises(TypeError, match="unexpected keyword argument 'retries'"):
        brokerlink.MetaApi(token="t").with_options(retries=3)  # type: ignore[call-arg]


def test_missing_or_empty_credentials_fail_fast() -> None:
    with pytest.raises(brokerlink.errors.ConfigurationError, match="tenant_id is required"):
        brokerlink.BrokerWork(base_url="https://x.example", token="t")
    with pytest.raises(brokerlink.errors.InvalidRequest, match="tenant_id"):
        brokerlink.BrokerWork(base_url="https://x.example", tenant_id="", token="t")


@pytest.mark.parametrize(
    "data",
    [
        [{"login": "3004272", "leverage": 20}],
        {"login": 3004272, "leverage": "20"},
    ],
    ids=["array-as-sent", "object-as-documented"],
)
def test_brokerwork_account_info_data_both_ways(server: RecordingServer, data: object) -> None:
    server.reply(200, {"data": data, "mcode": "m0000000", "result": True})
    with brokerlink.BrokerWork(base_url=server.url, tenant_id="T1", token="t") as bw:
        answer = bw.get_account_info(server_id="1", account_id=["3004272"])
    rows = answer  # one shape either way: a list
    assert isinstance(rows[0], AccountInfo)
    assert str(rows[0].login) == "3004272"
    assert str(rows[0].leverage) == "20"
