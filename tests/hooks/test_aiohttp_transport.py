"""The optional aiohttp transport under the same hook layer: polling, retries, errors, closing."""

from __future__ import annotations

import asyncio
import socket

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import instant_waits, virtual_time
from brokerlink.transports import aiohttp_transport
from tests.hooks.conftest import CREDENTIALS, fault

ACCOUNT = {
    "login": "50194988",
    "password": "aiohttp-secret",
    "name": "aiohttp",
    "server": "ICMarketsSC-Demo",
    "platform": "mt5",
    "magic": 0,
}


def metaapi(base_url: str) -> brokerlink.AsyncMetaApi:
    return brokerlink.AsyncMetaApi(
        base_url=base_url, transport=aiohttp_transport(), **CREDENTIALS["metaapi"]
    )


async def test_polls_through_202s(sandbox: SandboxServer) -> None:
    sandbox.sandbox.options.accepted_retries = 2
    before = len(sandbox.sandbox.metaapi.accounts)
    with virtual_time(sandbox.clock) as clock:
        start = clock.now()
        async with metaapi(sandbox.base_url("metaapi")) as client:
            created = await client.create_account(body=ACCOUNT)
    assert created.id and clock.now() == start + 2
    assert len(sandbox.sandbox.metaapi.accounts) == before + 1


async def test_retries_and_typed_errors(sandbox: SandboxServer) -> None:
    fault(sandbox, "html-503", times=1, api="metaapi")
    with instant_waits() as waits:
        async with metaapi(sandbox.base_url("metaapi")) as client:
            assert await client.list_regions()
            with pytest.raises(errors.NotFound):
                await client.get_account("no-such-account")
    assert len(waits) == 1


async def test_refused_connection_is_a_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/metaapi"
    with instant_waits():
        async with metaapi(url) as client:
            with pytest.raises(errors.TransportError):
                await client.list_regions()


async def test_many_concurrent_creates(sandbox: SandboxServer) -> None:
    sandbox.sandbox.options.accepted_retries = 1
    with instant_waits():
        async with metaapi(sandbox.base_url("metaapi")) as client:
            created = await asyncio.gather(
                *(
                    client.create_account(body={**ACCOUNT, "login": str(60_000_000 + i)})
                    for i in range(100)
                )
            )
    assert len({c.id for c in created}) == 100
