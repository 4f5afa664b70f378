"""1,000 concurrent async creates, each answered 202 twice (``Retry-After: 1``) then 201.

    python -m benchmarks.concurrent_polls [creates]   (also part of ``nox -s bench``)

The ideal wall time is the two advised waits plus the server's own time for the same exchanges
without waits (measured first, in the same run, with raw httpx at the same concurrency). The
target is within 1.5x of that ideal, on one event loop and no threads; peak memory is reported.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import threading
import time

import httpx

from benchmarks.hook_overhead import start_server

WAITS = 2 * 1.0  # two 202 answers advising one second each
TARGET = 1.5


def body(i: int) -> dict[str, object]:
    return {
        "login": str(50_000_000 + i),
        "password": "bench-password",
        "name": f"bench {i}",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
    }


async def server_time(url: str, creates: int) -> float:
    """The same 3 x ``creates`` exchanges without waiting: what the server and sockets cost."""
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=url + "/metaapi", limits=limits, timeout=60) as raw:

        async def one(i: int) -> None:
            headers = {"auth-token": "t", "transaction-id": f"baseline-{i:026d}"}
            for _ in range(3):
                answer = await raw.post("/users/current/accounts", json=body(i), headers=headers)
                answer.read()

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(creates)))
        return time.perf_counter() - began


async def facade_time(url: str, creates: int) -> tuple[float, int]:
    import brokerlink

    threads = threading.active_count()
    async with brokerlink.AsyncMetaApi(base_url=url + "/metaapi", token="t") as client:
        began = time.perf_counter()
        created = await asyncio.gather(
            *(client.create_account(body=body(i)) for i in range(creates))
        )
        elapsed = time.perf_counter() - began
    assert len(created) == creates and all(c.id == "bench-account" for c in created)
    return elapsed, threading.active_count() - threads


def main(creates: int = 1000) -> None:
    server, url = start_server()
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        baseline = asyncio.run(server_time(url, creates))
        elapsed, extra_threads = asyncio.run(facade_time(url, creates))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        server.kill()
        server.wait()
    ideal = WAITS + baseline
    ratio = elapsed / ideal
    print(f"polls  server's own time for {3 * creates} exchanges: {baseline:.2f} s")
    print(
        f"polls  {creates} concurrent creates (2 x 202 then 201): {elapsed:.2f} s, "
        f"ideal {ideal:.2f} s, ratio {ratio:.2f} (target <= {TARGET}): "
        f"{'ok' if ratio <= TARGET else 'OVER'}; threads added {extra_threads}"
    )
    print(f"polls  peak RSS {peak / 1024:.0f} MiB (before the run {before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
