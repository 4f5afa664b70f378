"""The async default transport: aiohttp's connection pool under httpx, through ``httpx-aiohttp``.

Imported only when an async client is built. aiohttp raises its own exceptions, and
``httpx-aiohttp`` maps some loosely (a server that hangs up becomes a ``ConnectTimeout``) and lets
others through (a malformed status line); here each becomes the httpx exception httpcore would
raise for the same fault, so the hook layer classifies and retries it as on any transport.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import cast

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# Most specific first: the first match names the fault.
_KINDS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.ReadError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
        cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
        kind = next((k for a, k in _KINDS if isinstance(cause, a)), None)
        if kind is None:
            raise
        raise kind(f"{type(cause).__name__}: {cause}") from cause


class _Body(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with _httpx_errors():
            await self._inner.aclose()


class AiohttpHTTPTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` raising only httpx's exceptions, body reads included,
    and sending each request once: resends are the hook layer's, counted and bounded."""

    def get_client(self) -> aiohttp.ClientSession:
        session: aiohttp.ClientSession = super().get_client()
        session._retry_connection = False  # aiohttp would resend a GET or PUT cut off once
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _httpx_errors():
            response: httpx.Response = await super().handle_async_request(request)
        response.stream = _Body(cast(httpx.AsyncByteStream, response.stream))
        return response
