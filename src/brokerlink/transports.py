"""HTTP transports for the facades' ``transport=`` argument.

The async facades default to :func:`aiohttp_transport`: httpx's own async pool (httpcore) scans
its whole queue of waiting requests each time a connection frees up, so with thousands of
concurrent calls on one event loop (mass account creation, each polled through 202s) the client
itself becomes the bottleneck, while aiohttp's connector does not
(``benchmarks/concurrent_polls.py``).
The sync facades use httpx's ``HTTPTransport``. :func:`httpcore_transport` is httpx's async pool,
for a caller who wants httpx's networking end to end (HTTP/2 for instance).
"""

from __future__ import annotations

import ssl

import httpx

__all__ = ["aiohttp_transport", "httpcore_transport"]


def aiohttp_transport(
    *,
    max_connections: int = 100,
    verify: ssl.SSLContext | bool = True,
    proxy: str | None = None,
) -> httpx.AsyncBaseTransport:
    """aiohttp's connection pool under httpx (the async facades' default).

    Everything above the transport (auth, errors, retries, polling, the credential guard) is the
    same on every transport; aiohttp's own exceptions reach the hook layer as httpx's. Unlike
    httpx's own transports, a request's timeout bounds the whole exchange (connect to last
    byte), and cookies are httpx's alone (aiohttp keeps none). On a plain ``httpx.AsyncClient``
    it streams bodies as httpx's transports do. ``proxy``: an HTTP proxy
    (``http://[user:password@]host:port``; https targets tunnel through it), not read from the
    environment.
    """
    from brokerlink._aiohttp import AiohttpHTTPTransport

    return AiohttpHTTPTransport(max_connections=max_connections, verify=verify, proxy=proxy)


def httpcore_transport(
    *, max_connections: int = 100, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncBaseTransport:
    """httpx's own async pool, keeping every connection it opens (httpx keeps 20 by default:
    a burst above 20 would close and reconnect the surplus on every release)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=None)
    return httpx.AsyncHTTPTransport(verify=verify, limits=limits)
