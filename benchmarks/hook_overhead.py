"""What the hook layer costs per call: facade (all built-in plugins) vs the same generated
operation (its request builder and parser) on a plain httpx client vs raw httpx, sync and async,
keep-alive, one run.

Two baselines for the generated call: ``generated``, on an httpx client as a user would write it
(a path relative to ``base_url``), and ``same work``, on an httpx client spared what the facade
spares its own (httpx parsing the path and the base URL on every request, the cookie jar reading
responses that set no cookie; async, the aiohttp transport reading a small body whole). The
verdict is the facade against ``generated`` (what a caller pays over plain httpx); against
``same work`` it is the hook layer's own cost, printed with it.

    python -m benchmarks.hook_overhead [calls-per-round]   (also part of ``nox -s bench``)

The server (``benchmarks.fast_server``) runs in its own process and answers in microseconds, so
client-side costs dominate: the most demanding setting for the ratio. Short rounds of the
variants run back to back, in alternating order, many times; each facade round is compared with
the generated round next to it, so the drift of a noisy machine (frequency, neighbours) cancels
out. The verdict is the median of those paired ratios of client CPU time, with its interquartile
range. All use the facade's default 30 s timeout. Target: the facade costs at most 5% more
than the plain generated call.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from benchmarks.sandbox_load import free_port

ROUNDS = 200
CALLS = 50  # per round
# The facade's default; the generated client has none by default, and armed timeouts cost timers.
TIMEOUT = httpx.Timeout(30.0)
TARGET = 1.05


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.fast_server", str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(url + "/regions", timeout=1)
            return server, url
        except httpx.TransportError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)


Sample = tuple[float, float]  # (wall seconds, client CPU seconds) per call


def generated_call(client: httpx.Client, operation: Any, url: httpx.URL | None = None) -> object:
    """The generated operation on a plain httpx client: its request, sent, its parser (at
    ``url``, parsed once, when given)."""
    kwargs = operation._get_kwargs()
    if url is not None:
        kwargs["url"] = url
    return operation._parse_response(client.request(**kwargs))


def spared(client: httpx.Client | httpx.AsyncClient) -> Any:
    """``client`` with the facade's cookie jar (see ``brokerlink._facade._Cookies``)."""
    from brokerlink._facade import _Cookies

    client._cookies = _Cookies()
    return client


def per_call(fn: Callable[[], object], calls: int) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


async def aper_call(fn: Callable[[], Awaitable[object]], calls: int) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await fn()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def report(flavour: str, samples: dict[str, list[Sample]]) -> float:
    """Print medians per variant and the paired verdict on client CPU time (the server is
    another process), which a busy machine disturbs far less than wall time."""
    wall = {name: statistics.median(s[0] for s in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(s[1] for s in runs) for name, runs in samples.items()}
    for name in samples:
        print(
            f"{flavour:5} {name:10} wall {wall[name] * 1e6:7.1f} us/call "
            f"(x{wall[name] / wall['generated']:.3f})  client CPU {cpu[name] * 1e6:7.1f} us/call "
            f"(x{cpu[name] / cpu['generated']:.3f})"
        )

    def paired(baseline: str) -> tuple[float, float, float]:
        pairs = [f[1] / g[1] for f, g in zip(samples["facade"], samples[baseline], strict=True)]
        low, _, high = statistics.quantiles(pairs, n=4)
        return statistics.median(pairs), low, high

    ratio, low, high = paired("generated")
    print(
        f"{flavour:5} facade over the same call on a plain httpx client: {(ratio - 1) * 100:+.1f}%"
        f" CPU (median of {len(samples['facade'])} paired rounds, middle half "
        f"{(low - 1) * 100:+.1f}% to {(high - 1) * 100:+.1f}%; target <= "
        f"{(TARGET - 1) * 100:.0f}%): {'ok' if ratio <= TARGET else 'OVER'}"
    )
    own, low, high = paired("same work")
    print(
        f"{flavour:5} the hook layer's own cost, over the same work: {(own - 1) * 100:+.1f}% CPU "
        f"(middle half {(low - 1) * 100:+.1f}% to {(high - 1) * 100:+.1f}%)"
    )
    return ratio


def run_sync(url: str, calls: int) -> float:
    import brokerlink
    from brokerlink.generated.metaapi.api.regions import list_regions

    base = url + "/metaapi"
    facade = brokerlink.MetaApi(base_url=base, token="bench-token")
    plain = httpx.Client(base_url=base, headers={"auth-token": "bench-token"}, timeout=TIMEOUT)
    same = spared(httpx.Client(headers={"auth-token": "bench-token"}, timeout=TIMEOUT))
    url = httpx.URL(base + "/users/current/regions")
    raw = httpx.Client(base_url=base, headers={"auth-token": "bench-token"}, timeout=TIMEOUT)
    variants: dict[str, Callable[[], object]] = {
        "facade": facade.list_regions,
        "generated": lambda: generated_call(plain, list_regions),
        "same work": lambda: generated_call(same, list_regions, url),
        "raw httpx": lambda: raw.get("/users/current/regions").json(),
    }
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    for fn in variants.values():
        per_call(fn, 200)  # warm up: connections, imports
    order = list(variants.items())
    for _ in range(ROUNDS):
        order.reverse()
        for name, fn in order:
            samples[name].append(per_call(fn, calls))
    facade.close()
    plain.close()
    same.close()
    raw.close()
    return report("sync", samples)


async def run_async(url: str, calls: int) -> float:
    import brokerlink
    from brokerlink.generated.metaapi.api.regions import list_regions
    from brokerlink.hooks.bounds import DEFAULT_MAX_RESPONSE_BYTES, MAX_BYTES
    from brokerlink.transports import aiohttp_transport

    base = url + "/metaapi"
    facade = brokerlink.AsyncMetaApi(base_url=base, token="bench-token")
    # like for like: the plain clients on the facades' async default transport (aiohttp)
    plain = httpx.AsyncClient(
        base_url=base,
        headers={"auth-token": "bench-token"},
        timeout=TIMEOUT,
        transport=aiohttp_transport(),
    )
    same = spared(
        httpx.AsyncClient(
            headers={"auth-token": "bench-token"}, timeout=TIMEOUT, transport=aiohttp_transport()
        )
    )
    raw = httpx.AsyncClient(
        base_url=base,
        headers={"auth-token": "bench-token"},
        timeout=TIMEOUT,
        transport=aiohttp_transport(),
    )
    url = httpx.URL(base + "/users/current/regions")

    async def raw_call() -> object:
        return (await raw.get("/users/current/regions")).json()

    async def generated() -> object:
        return list_regions._parse_response(await plain.request(**list_regions._get_kwargs()))

    async def same_work() -> object:
        kwargs = list_regions._get_kwargs()
        kwargs["url"] = url
        kwargs["extensions"] = {MAX_BYTES: DEFAULT_MAX_RESPONSE_BYTES}  # read whole, as for it
        return list_regions._parse_response(await same.request(**kwargs))

    variants: dict[str, Callable[[], Awaitable[object]]] = {
        "facade": facade.list_regions,
        "generated": generated,
        "same work": same_work,
        "raw httpx": raw_call,
    }
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    for fn in variants.values():
        await aper_call(fn, 200)
    order = list(variants.items())
    for _ in range(ROUNDS):
        order.reverse()
        for name, fn in order:
            samples[name].append(await aper_call(fn, calls))
    await facade.close()
    await plain.aclose()
    await same.aclose()
    await raw.aclose()
    return report("async", samples)


class Canned(httpx.BaseTransport):
    """Answers every request at once from memory: what is left is client code only."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=REGIONS)


REGIONS = b'["vint-hill","new-york","london","singapore"]'


def run_in_memory(calls: int) -> None:
    """The absolute cost in microseconds, free of sockets and of the server's noise."""
    import brokerlink
    from brokerlink.generated.metaapi.api.regions import list_regions

    base = "http://bench.invalid/metaapi"
    facade = brokerlink.MetaApi(base_url=base, token="bench-token", transport=Canned())
    same = spared(
        httpx.Client(headers={"auth-token": "bench-token"}, timeout=TIMEOUT, transport=Canned())
    )
    url = httpx.URL(base + "/users/current/regions")
    variants: dict[str, Callable[[], object]] = {
        "facade": facade.list_regions,
        "same work": lambda: generated_call(same, list_regions, url),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants.items())
    for _ in range(ROUNDS // 4):
        order.reverse()
        for name, fn in order:
            samples[name].append(per_call(fn, calls * 4)[1])
    facade.close()
    cpu = {name: statistics.median(runs) for name, runs in samples.items()}
    print(
        f"in-memory transport: facade {cpu['facade'] * 1e6:.1f} us/call, the same work "
        f"{cpu['same work'] * 1e6:.1f} us/call: the hook layer adds "
        f"{(cpu['facade'] - cpu['same work']) * 1e6:+.1f} us of client CPU per call"
    )


def main(calls: int = CALLS) -> None:
    # The built-in plugins only: plugins installed in this environment (entry points) are not
    # part of what brokerlink itself costs.
    os.environ["BROKERLINK_PLUGINS"] = "none"
    from brokerlink.hooks import manager

    manager.reset()
    server, url = start_server()
    try:
        run_sync(url, calls)
        asyncio.run(run_async(url, calls))
        run_in_memory(calls)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else CALLS)
