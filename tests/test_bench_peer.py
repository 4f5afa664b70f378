"""The peer benchmark's clients (benchmarks/peer_clients.py) run one round of every workload,
with fewer calls, against the sandbox as the bench configures it (each create answered 202
once). Only the clients that need no extra install run here: the official SDK is installed by
``nox -s bench_peer`` alone, never with the tests. Nothing is timed; waits are skipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.peer_clients import (
    ACCOUNT,
    WORKLOADS,
    make_peer,
    measure,
    workload,
)
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import instant_waits

CALLS = 8  # per workload instead of the bench's 30 to 200


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    # Retry-After: 0 so that the raw httpx client does not wait either (the bench says 1).
    with SandboxServer(accepted_retries=1, retry_after_seconds=0) as running:
        yield running


@pytest.mark.parametrize("client", ["brokerlink", "raw httpx"])
async def test_one_round_of_every_workload(
    server: SandboxServer, client: str, tmp_path: Path
) -> None:
    server.reset()
    store = server.sandbox.metaapi
    peer = await make_peer(client, server.url, str(tmp_path))
    try:
        with instant_waits() as waits:
            samples = [await measure(workload(peer, client, name, 1, CALLS)) for name in WORKLOADS]
    finally:
        await peer.close()
    assert all(set(s) == {"wall", "cpu"} and min(s.values()) >= 0 for s in samples)
    creates = CALLS
    # every create was answered 202 once, then 201 with a new DEPLOYED account
    assert len(store.transactions) == creates
    finals = [t.final for t in store.transactions.values()]
    assert all(t.remaining == 0 for t in store.transactions.values())
    assert all(f is not None and f[0] == 201 for f in finals)
    created = {f[1]["id"] for f in finals if f is not None}
    assert len(created) == creates
    assert all(store.accounts[i].doc["state"] == "DEPLOYED" for i in created)
    assert store.accounts[ACCOUNT].doc["state"] == "DEPLOYED"  # after its redeploys
    if client == "brokerlink":  # brokerlink's own poll waits, skipped here
        assert len(waits) == creates
