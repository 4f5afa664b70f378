"""The async transports under the same hook layer: the default (aiohttp) and httpx's own pool
chosen with ``transport=``: polling, retries, typed errors, closing."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

import brokerlink
from brokerlink import errors
from brokerlink._aiohttp import AiohttpHTTPTransport
from brokerlink.hooks.bounds import MAX_BYTES
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import instant_waits, virtual_time
from brokerlink.transports import aiohttp_transport, httpcore_transport
from tests.boundary.hostile import Action, Close, HostileServer, Huge, Reply, Tunnel, tls_server
from tests.hooks.conftest import CREDENTIALS, fault

ACCOUNT = {
    "login": "50194988",
    "password": "aiohttp-secret",
    "name": "aiohttp",
    "server": "ICMarketsSC-Demo",
    "platform": "mt5",
    "magic": 0,
}
DEFAULT: Callable[[], httpx.AsyncBaseTransport | None] = lambda: None  # noqa: E731
TRANSPORTS = pytest.mark.parametrize(
    "transport", [DEFAULT, httpcore_transport], ids=["default", "httpcore"]
)


def metaapi(
    base_url: str, transport: Callable[[], object], max_retries: int | None = None
) -> brokerlink.AsyncMetaApi:
    return brokerlink.AsyncMetaApi(
        base_url=base_url, transport=transport(), max_retries=max_retries, **CREDENTIALS["metaapi"]
    )


def test_the_async_default_is_aiohttp_and_the_sync_default_httpx() -> None:
    async_client = brokerlink.AsyncB2Core(base_url="http://b2.invalid", **CREDENTIALS["b2core"])
    assert isinstance(async_client._inner, AiohttpHTTPTransport)
    assert type(async_client._inner) is type(aiohttp_transport())
    with brokerlink.BrokerWork(base_url="http://bw.invalid", **CREDENTIALS["brokerwork"]) as sync:
        assert isinstance(sync._inner, httpx.HTTPTransport)
    chosen = httpcore_transport()
    assert brokerlink.AsyncMetaApi(token="t", transport=chosen)._inner is chosen


@TRANSPORTS
async def test_polls_through_202s(sandbox: SandboxServer, transport: Callable[[], object]) -> None:
    sandbox.sandbox.options.accepted_retries = 2
    before = len(sandbox.sandbox.metaapi.accounts)
    with virtual_time(sandbox.clock) as clock:
        start = clock.now()
        async with metaapi(sandbox.base_url("metaapi"), transport) as client:
            created = await client.create_account(body=ACCOUNT)
    assert created.id and clock.now() == start + 2
    assert len(sandbox.sandbox.metaapi.accounts) == before + 1


@TRANSPORTS
async def test_retries_and_typed_errors(
    sandbox: SandboxServer, transport: Callable[[], object]
) -> None:
    fault(sandbox, "html-503", times=1, api="metaapi")
    with instant_waits() as waits:
        async with metaapi(sandbox.base_url("metaapi"), transport) as client:
            assert await client.list_regions()
            with pytest.raises(errors.NotFound):
                await client.get_account("no-such-account")
    assert len(waits) == 1


@TRANSPORTS
async def test_refused_connection_is_a_transport_error(transport: Callable[[], object]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/metaapi"
    with instant_waits():
        async with metaapi(url, transport) as client:
            with pytest.raises(errors.TransportError) as caught:
                await client.list_regions()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@TRANSPORTS
async def test_many_concurrent_creates(
    sandbox: SandboxServer, transport: Callable[[], object]
) -> None:
    sandbox.sandbox.options.accepted_retries = 1
    with instant_waits():
        async with metaapi(sandbox.base_url("metaapi"), transport) as client:
            created = await asyncio.gather(
                *(
                    client.create_account(body={**ACCOUNT, "login": str(60_000_000 + i)})
                    for i in range(100)
                )
            )
    assert len({c.id for c in created}) == 100


@dataclass
class Garbage(Action):
    """A status line that is not HTTP (aiohttp's parser raises its own exception for it)."""

    def run(self, conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 twohundred OK\r\n\r\n")
        return False


@dataclass
class ShortBody(Action):
    """Fewer body bytes than Content-Length says, then a hang-up."""

    def run(self, conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + b'{"cut": ')
        return False


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("action", "cause"),
    [
        (Garbage(), httpx.RemoteProtocolError),
        (Close(), httpx.RemoteProtocolError),
        (ShortBody(), httpx.RemoteProtocolError),
    ],
    ids=["garbage-status", "hang-up", "short-body"],
)
async def test_aiohttp_faults_arrive_as_httpx_errors_sent_once(
    hostile: HostileServer, action: Action, cause: type[Exception]
) -> None:
    """Never an aiohttp exception, nor a timeout for a hang-up; aiohttp resends nothing."""
    hostile.reset()
    hostile.on("/metaapi/", action)
    with instant_waits():
        async with metaapi(f"{hostile.url}/metaapi", DEFAULT, max_retries=0) as c:
            with pytest.raises(errors.TransportError) as caught:
                await c.list_regions()
    assert not isinstance(caught.value, errors.ApiTimeout)
    assert type(caught.value.__cause__) is cause
    assert hostile.count("/metaapi/") == 1


@TRANSPORTS
async def test_a_cookie_the_server_sets_is_kept_by_httpx_alone(
    hostile: HostileServer, transport: Callable[[], object]
) -> None:
    """httpx's jar sends it back; aiohttp keeps none of its own (it would send cookies httpx
    no longer holds)."""
    hostile.reset()
    regions = b'["london"]'
    sets = {"Content-Type": "application/json", "Set-Cookie": "session=abc; Path=/"}
    hostile.on("/metaapi/", Reply(200, regions, sets), Reply(200, regions))
    async with metaapi(f"{hostile.url}/metaapi", transport) as client:
        assert await client.list_regions() == await client.list_regions() == ["london"]
        inner = client._inner
        if isinstance(inner, AiohttpHTTPTransport):
            assert inner._session is not None and len(inner._session.cookie_jar) == 0
    first, second = hostile.requests
    assert "cookie" not in first.headers and second.headers["cookie"] == "session=abc"


@pytest.mark.parametrize(
    ("size", "chunked", "whole"),
    [(200, False, True), (3 << 20, False, False), (200, True, False), (4000, False, False)],
    ids=["small", "large", "chunked", "over-the-cap"],
)
async def test_the_aiohttp_transport_reads_what_the_hook_layer_reads_whole_at_once(
    hostile: HostileServer, size: int, chunked: bool, whole: bool
) -> None:
    """A body of declared length within the hook layer's cap (and 1 MiB) is read in one go;
    any other body, and every body of a plain httpx client, streams as httpx's would."""
    hostile.reset()
    hostile.on("/big", Huge(size, chunked))
    url = f"{hostile.url}/big"
    capped = {"timeout": {"read": 5.0}, MAX_BYTES: 3000}
    transport = aiohttp_transport()
    async with httpx.AsyncClient(transport=transport) as client:
        streamed = await client.send(client.build_request("GET", url), stream=True)
        pieces = [piece async for piece in streamed.aiter_raw()]
        await streamed.aclose()
        request = httpx.Request("GET", url, extensions=capped)
        response = await transport.handle_async_request(request)
        await response.aread()
    assert sum(map(len, pieces)) == size
    assert len(response.content) == size and response.json()["_id"] == "x" * (size - 11)
    assert isinstance(response.stream, httpx.ByteStream) is whole


@dataclass
class Held(Action):
    """Reads the request, then answers nothing until released (or its time is up)."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def run(self, conn: socket.socket) -> bool:
        self.arrived.set()
        self.released.wait(5)
        return False


@pytest.mark.parametrize("pool", [aiohttp_transport, httpcore_transport])
async def test_cancelling_mid_exchange_propagates_and_frees_the_connection(
    hostile: HostileServer, pool: Callable[..., httpx.AsyncBaseTransport]
) -> None:
    """Cancelled while the server holds the answer: on a pool of one connection, the next call
    still gets through."""
    hostile.reset()
    held = Held()
    hostile.on("/metaapi/", held, Reply(200, b'["london"]'))
    async with metaapi(f"{hostile.url}/metaapi", lambda: pool(max_connections=1)) as client:
        task = asyncio.create_task(client.list_regions())
        assert await asyncio.to_thread(held.arrived.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        held.released.set()
        assert await asyncio.wait_for(client.list_regions(), timeout=5) == ["london"]
    assert hostile.count("/metaapi/") == 2


@pytest.fixture
def tls() -> Iterator[tuple[HostileServer, ssl.SSLContext]]:
    server, trusting = tls_server()
    server.on("/metaapi/", Reply(200, b'["london"]'))
    yield server, trusting
    server.stop()


@pytest.mark.parametrize("verify", ["trusting", False], ids=["ca-trusted", "unverified"])
async def test_the_aiohttp_transport_speaks_tls(
    tls: tuple[HostileServer, ssl.SSLContext], verify: str | bool
) -> None:
    server, trusting = tls
    chosen = trusting if verify == "trusting" else False
    transport = lambda: aiohttp_transport(verify=chosen)  # noqa: E731
    async with metaapi(f"{server.url}/metaapi", transport) as client:
        assert await client.list_regions() == ["london"]


async def test_an_unknown_certificate_is_a_typed_connect_error(
    tls: tuple[HostileServer, ssl.SSLContext],
) -> None:
    """The default verifies against httpx's CA bundle, which does not know this server's CA."""
    server, _ = tls
    with instant_waits():
        async with metaapi(f"{server.url}/metaapi", DEFAULT, max_retries=0) as client:
            with pytest.raises(errors.TransportError) as caught:
                await client.list_regions()
    assert type(caught.value.__cause__) is httpx.ConnectError
    assert "certificate" in str(caught.value).lower()


async def test_the_aiohttp_transport_goes_through_a_proxy(hostile: HostileServer) -> None:
    """The API's host is never resolved: the proxy gets the request in absolute form, with the
    credentials of the proxy URL as ``Proxy-Authorization``."""
    hostile.reset()
    hostile.on("/metaapi/", Reply(200, b'["london"]'))
    proxy = f"http://user:proxy-secret@127.0.0.1:{hostile.port}"
    transport = aiohttp_transport(proxy=proxy)
    assert "proxy-secret" not in repr(transport)
    async with metaapi("http://api.invalid/metaapi", lambda: transport) as client:
        assert await client.list_regions() == ["london"]
    (seen,) = hostile.requests
    assert seen.target == "http://api.invalid/metaapi/users/current/regions"
    assert seen.headers["proxy-authorization"] == "Basic dXNlcjpwcm94eS1zZWNyZXQ="


@pytest.mark.parametrize("proxy", ["socks5://u:pw-secret@h:1080", "pw-secret", "http://"])
def test_a_proxy_url_that_cannot_serve_is_refused_without_showing_it(proxy: str) -> None:
    with pytest.raises(errors.InvalidRequest, match="proxy") as caught:
        aiohttp_transport(proxy=proxy)
    assert "pw-secret" not in str(caught.value)


async def test_https_goes_through_the_proxy_in_a_tunnel(
    hostile: HostileServer, tls: tuple[HostileServer, ssl.SSLContext]
) -> None:
    """CONNECT with the proxy's credentials, then TLS with the API's host end to end."""
    server, trusting = tls
    hostile.reset()
    hostile.on(f"127.0.0.1:{server.port}", Tunnel(server.port))
    proxy = f"http://user:proxy-secret@127.0.0.1:{hostile.port}"
    transport = lambda: aiohttp_transport(verify=trusting, proxy=proxy)  # noqa: E731
    async with metaapi(f"{server.url}/metaapi", transport) as client:
        assert await client.list_regions() == ["london"]
    (connect,) = hostile.requests
    assert connect.method == "CONNECT" and connect.target == f"127.0.0.1:{server.port}"
    assert connect.headers["proxy-authorization"] == "Basic dXNlcjpwcm94eS1zZWNyZXQ="
    assert "proxy-authorization" not in server.requests[0].headers  # for the proxy alone
