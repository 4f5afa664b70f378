"""Fixtures: one in-process sandbox per session (manual clock), reset before every test."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer

TENANT_HEADERS = {"x-api-tenantId": "T001117", "x-api-token": "bw-token"}
TLS = ssl.create_default_context()
"""Shared by every client: httpx would otherwise build a TLS context (~50 ms) per client."""


@pytest.fixture(scope="session")
def web() -> Iterator[httpx.Client]:
    """A plain HTTP client (no base URL, no auth headers)."""
    with httpx.Client(verify=TLS) as client:
        yield client


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The shared server; prefer ``sandbox``, which also resets its state."""
    with SandboxServer(clock=ManualClock()) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The running sandbox with fresh seed data and no fault rules."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def clock(sandbox: SandboxServer) -> ManualClock:
    assert isinstance(sandbox.clock, ManualClock)
    return sandbox.clock


@pytest.fixture
def metaapi(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A client of the MetaApi provisioning API, authenticated."""
    with httpx.Client(
        base_url=sandbox.base_url("metaapi"), headers={"auth-token": "t"}, verify=TLS
    ) as c:
        yield c


@pytest.fixture
def brokerwork(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A client of Broker Work with tenant headers."""
    with httpx.Client(
        base_url=sandbox.base_url("brokerwork"), headers=TENANT_HEADERS, verify=TLS
    ) as c:
        yield c


@pytest.fixture
def b2core(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A client of B2Core IB holding a fresh bearer token."""
    with httpx.Client(base_url=sandbox.base_url("b2core"), verify=TLS) as c:
        token = c.post(
            "/tokens", auth=("client", "secret"), json={"grant_type": "client_credentials"}
        ).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c
