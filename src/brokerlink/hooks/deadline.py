"""The sync default transport: httpx's, over a network backend that holds each connect, read and
write to what is left of the exchange's deadline (``hooks.bounds`` sets it). Imported when a sync
client is built: it needs httpcore, which first access to a facade does not."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from brokerlink.hooks.bounds import exchange_deadline


def _left(timeout: float | None, kind: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of this exchange's deadline; ``kind`` once past it."""
    deadline = exchange_deadline.get(None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise kind("the exchange outlasted its timeout")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend (TCP only), each connect, read and write held to the exchange's
    deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over :class:`DeadlineBackend`: it keeps the deadline itself."""

    keeps_deadline = True


def sync_transport(proxy: str | None = None) -> httpx.HTTPTransport:
    """httpx's default sync transport (and its default limits) over :class:`DeadlineBackend`,
    through the HTTP ``proxy`` if given (credentials in its URL)."""
    transport = _DeadlineTransport()
    limits: dict[str, Any] = dict(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=DeadlineBackend(),
    )
    # httpx takes no network backend of its own: the pool is made here, as httpx would
    if proxy is None:
        transport._pool = httpcore.ConnectionPool(**limits)
    else:
        via = httpx.Proxy(proxy)
        transport._pool = httpcore.HTTPProxy(
            proxy_url=str(via.url), proxy_auth=via.raw_auth, **limits
        )
    return transport
