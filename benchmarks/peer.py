"""brokerlink next to its peer, the official ``metaapi-cloud-sdk`` 29.1.1, and raw httpx.

    nox -s bench_peer            (also run by ``nox -s bench``; installs the SDK in its own
                                  environment)
    python -m benchmarks.peer [rounds]   (in an environment with brokerlink[sandbox] and the SDK)

One sandbox process serves all three clients (every new ``transaction-id`` answered 202 once
with ``Retry-After: 1``, then 201). Each client runs in its own process
(``benchmarks.peer_clients``) and does the same exchanges: sequential getAccount, sequential
redeployAccount, 200 concurrent getAccount, 100 concurrent createAccount. Rounds interleave the
clients (their order reversed every round) after one warm-up round; the ratios are medians of
the per-round ratios, with their range, of wall time and of client CPU (the client process's
process time: the server is another process).
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
from typing import IO

import httpx

from benchmarks.peer_clients import CLIENTS, WORKLOADS
from benchmarks.sandbox_load import free_port

SANDBOX_OPTIONS = {"accepted_retries": 1, "retry_after_seconds": 1}
Sample = dict[str, float]  # {"wall": s, "cpu": s} of one workload run


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = (
        f"from brokerlink.sandbox import serve; serve('127.0.0.1', {port}, **{SANDBOX_OPTIONS!r})"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(url + "/_sandbox/health", timeout=1).raise_for_status()
            return server, url
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)


class Worker:
    """One client process, asked one workload at a time."""

    def __init__(self, client: str, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.peer_clients", client, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, workload: str, n: int) -> Sample:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps({"workload": workload, "round": n}) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the client process stopped during {workload!r}")
        sample: Sample = json.loads(line)
        return sample

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid * scale:.2f}{unit} ({low * scale:.2f}-{high * scale:.2f})"


def ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def report(samples: dict[str, dict[str, list[Sample]]]) -> None:
    for workload, (what, calls, per_call) in WORKLOADS.items():
        runs = samples[workload]
        scale, unit = (1e3 / calls, " ms/call") if per_call else (1.0, " s")
        print(f"peer   {calls} x {what}:")
        for client in CLIENTS:
            wall = [s["wall"] for s in runs[client]]
            cpu = [s["cpu"] for s in runs[client]]
            print(
                f"peer     {client:18} wall {spread(wall, scale, unit)}, "
                f"client CPU {spread(cpu, scale, unit)}"
            )
        for slow, fast in (("metaapi-cloud-sdk", "brokerlink"), ("brokerlink", "raw httpx")):
            ratios = {
                kind: [a[kind] / b[kind] for a, b in zip(runs[slow], runs[fast], strict=True)]
                for kind in ("wall", "cpu")
            }
            print(
                f"peer     {slow} / {fast}: wall {ratio(ratios['wall'])}, "
                f"client CPU {ratio(ratios['cpu'])}"
            )


def main(rounds: int = 5) -> None:
    if importlib.util.find_spec("metaapi_cloud_sdk") is None:
        raise SystemExit(
            "metaapi-cloud-sdk is not installed here: run `nox -s bench_peer`, which installs it"
        )
    server, url = start_sandbox()
    workers = {client: Worker(client, url) for client in CLIENTS}
    samples: dict[str, dict[str, list[Sample]]] = {
        workload: {client: [] for client in CLIENTS} for workload in WORKLOADS
    }
    order = list(CLIENTS)
    try:
        for n in range(rounds + 1):  # round 0 warms up imports, pools and the server
            order.reverse()
            for workload in WORKLOADS:
                for client in order:
                    sample = workers[client].run(workload, n)
                    if n:
                        samples[workload][client].append(sample)
    finally:
        for worker in workers.values():
            worker.stop()
        server.kill()
        server.wait()
    print(
        f"peer   brokerlink, metaapi-cloud-sdk 29.1.1 and raw httpx against one sandbox process "
        f"({rounds} interleaved rounds; medians, range in brackets)"
    )
    report(samples)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
