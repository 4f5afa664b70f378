"""1,000 concurrent async creates, each answered 202 twice (``Retry-After: 1``) then 201.

    python -m benchmarks.concurrent_polls [creates]   (also part of ``nox -s bench``)

The ideal wall time is the two advised waits plus the server's own time for the same exchanges
without waits (measured first, in the same run, by a raw-socket client at the same
concurrency). The target is within 1.5x of that ideal, on one event loop and no threads; peak
memory is reported. Both async transports are measured: ``brokerlink[aiohttp]``
(``brokerlink.aiohttp_transport()``, recommended for this load) and httpx's default httpcore
pool, whose request queue costs grow with the number of waiting requests. The credential guard
checks and learns from every create, on a SQLite file (the default store) in a temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
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
    """The same 3 x ``creates`` exchanges without waits, from a minimal raw-socket client at the
    same concurrency: what the server and the sockets cost, nearly nothing of a client."""
    port = int(url.rsplit(":", 1)[1])

    async def one(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        payload = json.dumps(body(i)).encode()
        head = (
            "POST /metaapi/users/current/accounts HTTP/1.1\r\nhost: bench\r\nauth-token: t\r\n"
            f"transaction-id: baseline-{i:023d}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n\r\n"
        ).encode()
        for _ in range(3):
            writer.write(head + payload)
            answer = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in answer.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(creates)))
    return time.perf_counter() - began


async def facade_time(url: str, creates: int, transport: str, cache: str) -> tuple[float, int]:
    import brokerlink

    inner: httpx.AsyncBaseTransport | None = None
    if transport == "aiohttp":
        from brokerlink.transports import aiohttp_transport

        inner = aiohttp_transport()
    threads = threading.active_count()
    async with brokerlink.AsyncMetaApi(
        base_url=url + "/metaapi", token="t", transport=inner, credential_cache=cache
    ) as client:
        began = time.perf_counter()
        created = await asyncio.gather(
            *(client.create_account(body=body(i)) for i in range(creates))
        )
        elapsed = time.perf_counter() - began
    assert len(created) == creates and all(c.id == "bench-account" for c in created)
    return elapsed, threading.active_count() - threads


def main(creates: int = 1000) -> None:
    os.environ["BROKERLINK_PLUGINS"] = "none"  # built-in plugins only
    server, url = start_server()
    results: dict[str, tuple[float, int]] = {}
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        baseline = asyncio.run(server_time(url, creates))
        with tempfile.TemporaryDirectory() as tmp:
            # The guard as configured by default (SQLite), in a file of its own, not the user's.
            for transport in ("aiohttp", "httpcore"):
                cache = f"sqlite:///{tmp}/{transport}.sqlite3"
                results[transport] = asyncio.run(facade_time(url, creates, transport, cache))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        server.kill()
        server.wait()
    ideal = WAITS + baseline
    print(f"polls  server's own time for {3 * creates} exchanges: {baseline:.2f} s")
    for transport, (elapsed, extra_threads) in results.items():
        ratio = elapsed / ideal
        print(
            f"polls  {creates} concurrent creates (2 x 202 then 201), {transport} transport: "
            f"{elapsed:.2f} s, ideal {ideal:.2f} s, ratio {ratio:.2f} (target <= {TARGET}): "
            f"{'ok' if ratio <= TARGET else 'OVER'}; threads added {extra_threads} "
            "(asyncio's default executor, serving the SQLite credential store; none with "
            "memory:// or Redis)"
        )
    print(f"polls  peak RSS {peak / 1024:.0f} MiB (before the runs {before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
