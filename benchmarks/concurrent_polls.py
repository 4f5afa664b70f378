"""Concurrency on the async default: 1,000 concurrent polled creates and 200 concurrent gets.

    python -m benchmarks.concurrent_polls [creates] [rounds]   (also part of ``nox -s bench``)

Creates: each answered 202 twice (``Retry-After: 1``) then 201, by ``benchmarks.fast_server`` in
its own process. The baseline is a hand-written raw aiohttp client doing the same exchanges
(same waits, same 100-connection pool); the target is the async facade as installed (no
``transport=``, the credential guard on SQLite in a temporary folder) within 1.25x of its wall
time. Gets: 200 concurrent ``list_regions`` against raw httpx (and raw aiohttp); the target is
the facade at least as fast as raw httpx. Rounds interleave the variants; the verdicts are
medians of paired ratios, with their range. ``httpcore_transport()`` (httpx's own pool, the
former default) is measured once for comparison.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx

from benchmarks.hook_overhead import start_server

POLL_TARGET, GET_TARGET = 1.25, 1.0
GETS = 200


def body(i: int) -> dict[str, object]:
    return {
        "login": str(50_000_000 + i),
        "password": "bench-password",
        "name": f"bench {i}",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
    }


async def raw_aiohttp_creates(url: str, creates: int, tag: str) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def one(i: int) -> None:
            headers = {"auth-token": "t", "transaction-id": f"{tag}-{i:020d}"}
            while True:
                async with session.post(
                    url + "/metaapi/users/current/accounts", json=body(i), headers=headers
                ) as answer:
                    data = json.loads(await answer.read())
                    if answer.status == 201:
                        assert data["id"] == "bench-account"
                        return
                    await asyncio.sleep(float(answer.headers["retry-after"]))

        await asyncio.gather(*(one(i) for i in range(creates)))


async def facade_creates(url: str, creates: int, cache: str, transport: str) -> None:
    import brokerlink
    from brokerlink.transports import httpcore_transport

    inner = httpcore_transport() if transport == "httpcore" else None
    async with brokerlink.AsyncMetaApi(
        base_url=url + "/metaapi", token="t", credential_cache=cache, transport=inner
    ) as client:
        created = await asyncio.gather(
            *(client.create_account(body=body(i)) for i in range(creates))
        )
    assert all(c.id == "bench-account" for c in created)


def timed(make: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    asyncio.run(make())  # type: ignore[arg-type]
    return time.perf_counter() - began


async def gets(url: str, rounds: int) -> dict[str, list[float]]:
    import brokerlink

    base = url + "/metaapi"
    facade = brokerlink.AsyncMetaApi(base_url=base, token="t")
    raw = httpx.AsyncClient(base_url=base, headers={"auth-token": "t"}, timeout=30.0)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

    async def raw_aiohttp() -> object:
        async with session.get(base + "/users/current/regions", headers={"auth-token": "t"}) as r:
            return json.loads(await r.read())

    async def raw_httpx() -> object:
        return (await raw.get("/users/current/regions")).json()

    variants = {"facade": facade.list_regions, "raw httpx": raw_httpx, "raw aiohttp": raw_aiohttp}
    walls: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants.items())
    for n in range(rounds + 1):
        order.reverse()
        for name, call in order:
            began = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(GETS)))
            if n:  # the first round warms up connections
                walls[name].append(time.perf_counter() - began)
    await facade.close()
    await raw.aclose()
    await session.close()
    return walls


def verdict(what: str, pairs: list[float], target: float) -> None:
    low, high = min(pairs), max(pairs)
    ratio = statistics.median(pairs)
    print(
        f"polls  {what}: ratio {ratio:.2f} (range {low:.2f}-{high:.2f}, {len(pairs)} paired "
        f"rounds; target <= {target}): {'ok' if ratio <= target else 'OVER'}"
    )


def main(creates: int = 1000, rounds: int = 3) -> None:
    os.environ["BROKERLINK_PLUGINS"] = "none"  # built-in plugins only
    server, url = start_server()
    walls: dict[str, list[float]] = {"raw aiohttp": [], "default": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(rounds):
                cache = f"sqlite:///{tmp}/guard-{n}.sqlite3"
                walls["raw aiohttp"].append(
                    timed(lambda n=n: raw_aiohttp_creates(url, creates, f"raw{n}"))
                )
                walls["default"].append(
                    timed(lambda c=cache: facade_creates(url, creates, c, "default"))
                )
            cache = f"sqlite:///{tmp}/httpcore.sqlite3"
            httpcore = timed(lambda: facade_creates(url, creates, cache, "httpcore"))
        get_walls = asyncio.run(gets(url, rounds * 10))
    finally:
        server.kill()
        server.wait()
    for name, seconds in walls.items():
        print(
            f"polls  {creates} creates (2 x 202, then 201), {name}: {min(seconds):.2f}-"
            f"{max(seconds):.2f} s"
        )
    print(f"polls  {creates} creates, httpcore_transport() (the former default): {httpcore:.2f} s")
    pairs = [d / r for d, r in zip(walls["default"], walls["raw aiohttp"], strict=True)]
    verdict(f"{creates} creates, default facade / raw aiohttp", pairs, POLL_TARGET)
    for name, seconds in get_walls.items():
        print(
            f"polls  {GETS} concurrent gets, {name}: median {statistics.median(seconds) * 1e3:.1f}"
            f" ms ({min(seconds) * 1e3:.1f}-{max(seconds) * 1e3:.1f})"
        )
    pairs = [f / r for f, r in zip(get_walls["facade"], get_walls["raw httpx"], strict=True)]
    verdict(f"{GETS} concurrent gets, default facade / raw httpx", pairs, GET_TARGET)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
