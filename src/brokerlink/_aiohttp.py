"""The async default transport: aiohttp's connection pool under httpx.

Imported only when an async client is built. Written here rather than taken from
``httpx-aiohttp``, whose adapter cost as much CPU per exchange as aiohttp itself (it re-encodes
httpx's headers through their mapping view, arms a read timer per chunk, and maps errors loosely:
a hang-up became a ``ConnectTimeout``): see ``benchmarks/concurrent_polls.py``. Here:

- aiohttp's exceptions become the httpx exception httpcore would raise for the same fault, so the
  hook layer classifies and retries them as on any transport;
- the request's timeout bounds the whole exchange (aiohttp's ``total``, body included), so the
  hook layer arms no timer of its own (``keeps_deadline``);
- aiohttp resends nothing and keeps no cookies: resends are the hook layer's, cookies httpx's.
"""

from __future__ import annotations

import functools
import math
import ssl
from base64 import b64encode
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

from brokerlink.errors import InvalidRequest
from brokerlink.hooks.bounds import MAX_BYTES, exchange_seconds

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
_FAULTS = (aiohttp.ClientError, TimeoutError)
EAGER = 1024 * 1024
"""For the hook layer (which reads every body whole: ``MAX_BYTES`` set), a body with a declared
length up to this and the cap is read in one go, without a chain of stream iterators."""


def _httpx_error(exc: BaseException) -> httpx.TransportError:
    kind = next(k for a, k in _KINDS if isinstance(exc, a))
    return kind(f"{type(exc).__name__}: {exc}")


@functools.lru_cache(maxsize=64)
def _timeout(total: float | None, connect: float | None) -> aiohttp.ClientTimeout:
    """aiohttp's timeout for an exchange bound (one object per distinct bound, not per call),
    kept to the instant: aiohttp would round a bound of 5 s or more up to a whole second."""
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, ceil_threshold=math.inf)


def _proxy(url: str) -> tuple[URL, dict[str, str] | None]:
    """An HTTP(S) proxy's URL without its user info, and the header carrying that, if any. A
    refused URL is not shown: it may hold the password."""
    try:
        parsed = httpx.Proxy(url)
    except (ValueError, TypeError, httpx.InvalidURL):
        parsed = None
    if parsed is None or parsed.url.scheme not in ("http", "https") or not parsed.url.host:
        raise InvalidRequest("proxy: give http://[user:password@]host:port (or https://)")
    auth = parsed.raw_auth
    basic = (
        None
        if auth is None
        else {"Proxy-Authorization": "Basic " + b64encode(b":".join(auth)).decode()}
    )
    return URL(str(parsed.url), encoded=True), basic


class _Body(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads it: chunks as they arrive, httpx's errors."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except _FAULTS as exc:
            raise _httpx_error(exc) from exc

    async def aclose(self) -> None:
        self._response.release()  # back to the pool when read to the end, else closed


class AiohttpHTTPTransport(httpx.AsyncBaseTransport):
    """httpx's async transport interface over one ``aiohttp.ClientSession`` (made on first use,
    inside the event loop). TLS as httpx does it (its CA bundle, loaded on the first https
    request), or the context or ``False`` given as ``verify``."""

    keeps_deadline = True
    """The request's timeout bounds connect to last byte here (see ``hooks.bounds``)."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        verify: ssl.SSLContext | bool = True,
        proxy: str | None = None,
    ) -> None:
        self._limit = max_connections
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._context: ssl.SSLContext | None = None
        self._proxy: URL | None = None
        self._proxy_headers: dict[str, str] | None = None
        if proxy is not None:
            self._proxy, self._proxy_headers = _proxy(proxy)

    def _tls(self) -> ssl.SSLContext | bool:
        verify = self._verify
        if isinstance(verify, ssl.SSLContext) or verify is False:
            return verify
        if self._context is None:
            self._context = httpx.create_ssl_context()
        return self._context

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._limit)
        session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
        )
        session._retry_connection = False  # aiohttp would resend a GET or PUT cut off once
        self._session = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        phases = request.extensions.get("timeout") or {}
        try:
            data: Any = request.content or None
        except httpx.RequestNotRead:  # a streamed body: aiohttp frames it itself
            data = request.stream
            request.headers.pop("transfer-encoding", None)
        headers = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        )
        secure = request.url.scheme == "https"  # through a proxy: in a CONNECT tunnel
        if self._proxy_headers is not None and not secure:  # to the proxy, with the request
            headers.update(self._proxy_headers)
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),  # httpx has already encoded it
                headers=headers,
                data=data,
                allow_redirects=False,
                compress=None,
                timeout=_timeout(exchange_seconds(request), phases.get("connect")),
                ssl=self._tls() if secure else True,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
                server_hostname=request.extensions.get("sni_hostname"),
            )
        except _FAULTS as exc:
            raise _httpx_error(exc) from exc
        version = response.version
        extensions = {
            "http_version": b"HTTP/%d.%d" % (version.major, version.minor) if version else b"",
            "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
        }
        length = response.content_length
        body: dict[str, Any] = {"stream": _Body(response)}
        if (
            length is not None
            and length <= min(EAGER, request.extensions.get(MAX_BYTES, -1))
            and "content-encoding" not in response.headers
        ):
            try:
                body = {"content": await response.read()}
            except BaseException as exc:
                response.release()
                if isinstance(exc, _FAULTS):
                    raise _httpx_error(exc) from exc
                raise
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            request=request,
            extensions=extensions,
            **body,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
