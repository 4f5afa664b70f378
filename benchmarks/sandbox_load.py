"""Bounded load benchmark of the sandbox (not a test; loopback only).

    python -m benchmarks.sandbox_load [seconds]   (also part of ``nox -s bench``)

Serves the sandbox with ``python -m brokerlink.sandbox`` on a free port of 127.0.0.1, then
measures requests/s of simple GETs: with httpx over one keep-alive connection, and with ``wrk``
(16 connections) when it is installed. Every loop is bounded in time; the server is stopped at
the end.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import httpx

PATHS = ("/metaapi/users/current/regions", "/metaapi/users/current/accounts")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(seconds: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "brokerlink.sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url + "/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with httpx.Client(base_url=url, headers={"auth-token": "t"}) as client:
            for path in PATHS:
                count, began = 0, time.perf_counter()
                while time.perf_counter() - began < seconds:
                    client.get(path).raise_for_status()
                    count += 1
                rate = count / (time.perf_counter() - began)
                print(f"httpx, 1 keep-alive connection, GET {path}: {rate:.0f} req/s")
        if shutil.which("wrk"):
            for path in PATHS:
                out = subprocess.run(
                    ["wrk", "-t1", "-c16", f"-d{int(seconds)}s", "-H", "auth-token: t", url + path],
                    capture_output=True,
                    text=True,
                    timeout=seconds + 30,
                ).stdout
                rate_line = next(line for line in out.splitlines() if "Requests/sec" in line)
                print(f"wrk, 16 connections, GET {path}: {rate_line.split()[-1]} req/s")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
