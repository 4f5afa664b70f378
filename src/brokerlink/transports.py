"""Optional HTTP transports for the facades' ``transport=`` argument.

httpx's default async pool (httpcore) scans its whole queue of waiting requests each time a
connection frees up, so with thousands of concurrent calls on one event loop (mass account
creation, each polled through 202s) the client itself becomes the bottleneck: measured in
``benchmarks/concurrent_polls.py``. aiohttp's connector does not; ``brokerlink[aiohttp]``
plugs it in under the same hook layer through ``httpx-aiohttp``.
"""

from __future__ import annotations

import httpx

from brokerlink.errors import InvalidRequest

__all__ = ["aiohttp_transport"]


def aiohttp_transport(*, max_connections: int = 100) -> httpx.AsyncBaseTransport:
    """An aiohttp-backed transport for the async facades (``pip install 'brokerlink[aiohttp]'``).

    Use it as ``AsyncMetaApi(token=..., transport=aiohttp_transport())``; everything above the
    transport (auth, errors, retries, polling, the credential guard) is unchanged.
    """
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        raise InvalidRequest(
            "aiohttp_transport() needs the optional dependency: pip install 'brokerlink[aiohttp]'"
        ) from None
    return AiohttpTransport(limits=httpx.Limits(max_connections=max_connections))
