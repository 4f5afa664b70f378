"""Fixtures for the hook-layer tests: a shared sandbox (manual clock) and facade factories."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import brokerlink
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.testing import SandboxServer

CREDENTIALS: dict[str, dict[str, str]] = {
    "metaapi": {"token": "meta-secret-token"},
    "brokerwork": {"tenant_id": "T001117", "token": "bw-secret-token"},
    "b2core": {"client_id": "ib-app", "client_secret": "b2-secret-value"},
}
FACADES = {"metaapi": "MetaApi", "brokerwork": "BrokerWork", "b2core": "B2Core"}
MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


@pytest.fixture(scope="session")
def _sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock()) as server:
        yield server


@pytest.fixture
def sandbox(_sandbox: SandboxServer) -> SandboxServer:
    """The running sandbox with fresh seed data, no faults and no 202 plan."""
    _sandbox.reset()
    _sandbox.sandbox.faults.clear()
    _sandbox.sandbox.options.accepted_retries = 0
    _sandbox.sandbox.options.retry_after_seconds = 1
    _sandbox.sandbox.options.retry_after_format = "seconds"
    return _sandbox


def fault(sandbox: SandboxServer, mode: str, times: int, api: str | None = None) -> None:
    sandbox.sandbox.faults.add(FaultRule(mode=mode, times=times, api=api))


def client(api: str, base_url: str, asynchronous: bool, **options: Any) -> Any:
    name = ("Async" if asynchronous else "") + FACADES[api]
    return getattr(brokerlink, name)(base_url=base_url, **CREDENTIALS[api], **options)


def run(
    api: str,
    base_url: str,
    asynchronous: bool,
    action: Callable[[Any], Any],
    **options: Any,
) -> Any:
    """Make a client, apply ``action`` (its result awaited for async clients), close it."""
    facade = client(api, base_url, asynchronous, **options)
    if not asynchronous:
        with facade:
            return action(facade)

    async def go() -> Any:
        async with facade:
            return await action(facade)

    return asyncio.run(go())
