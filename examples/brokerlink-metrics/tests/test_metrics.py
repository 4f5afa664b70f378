"""brokerlink-metrics, tested the way a plugin author would: installed, loaded through its entry
point, recording real calls against brokerlink's sandbox (no mocks, time under test control)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import socket
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

import brokerlink
from brokerlink import errors
from brokerlink.hooks import manager
from brokerlink.hooks.call import Resend
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time

try:
    import brokerlink_metrics
    from brokerlink_metrics import Metrics
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise
    pytest.skip(
        "brokerlink-metrics is not installed: pip install ./examples/brokerlink-metrics "
        "(nox -s tests does)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_plugins(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Entry points are read once per process: forget them around each test."""
    sandbox.reset()
    monkeypatch.delenv("BROKERLINK_PLUGINS", raising=False)
    manager.reset()
    yield
    manager.reset()


def sample(name: str, registry: CollectorRegistry = REGISTRY, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_the_entry_point_names_the_plugin_instance() -> None:
    (entry,) = [
        e for e in importlib.metadata.entry_points(group="brokerlink") if e.name == "metrics"
    ]
    assert entry.value == "brokerlink_metrics:plugin"
    assert entry.load() is brokerlink_metrics.plugin
    assert manager.plugin_manager().get_plugin("entrypoint:metrics") is brokerlink_metrics.plugin


@pytest.mark.parametrize(("setting", "loaded"), [("metrics", True), ("other", False), ("0", False)])
def test_brokerlink_plugins_allowlist(
    monkeypatch: pytest.MonkeyPatch, setting: str, loaded: bool
) -> None:
    monkeypatch.setenv("BROKERLINK_PLUGINS", setting)
    manager.reset()
    # a name no installed plugin has warns (BrokerLinkWarning), naming the installed ones
    unknown = setting == "other"
    with pytest.warns(errors.BrokerLinkWarning, match="metrics") if unknown else nullcontext():
        assert (manager.plugin_manager().get_plugin("entrypoint:metrics") is not None) is loaded


def test_records_real_calls_through_the_entry_point(sandbox: SandboxServer) -> None:
    labels = {"api": "metaapi", "operation": "listRegions"}
    missing = {"api": "metaapi", "operation": "getAccount"}
    before = {
        "calls": sample("brokerlink_calls_total", **labels),
        "ok": sample("brokerlink_responses_total", **labels, status="200", outcome="ok"),
        "latency": sample("brokerlink_send_seconds_count", **labels),
        "not_found": sample(
            "brokerlink_responses_total", **missing, status="404", outcome="NotFound"
        ),
    }
    with brokerlink.MetaApi(token="t", base_url=sandbox.base_url("metaapi")) as client:
        client.list_regions()
        client.list_regions()
        with pytest.raises(errors.NotFound):
            client.get_account("no-such-account")
    assert sample("brokerlink_calls_total", **labels) == before["calls"] + 2
    assert sample("brokerlink_responses_total", **labels, status="200", outcome="ok") == (
        before["ok"] + 2
    )
    assert sample("brokerlink_send_seconds_count", **labels) == before["latency"] + 2
    assert (
        sample("brokerlink_responses_total", **missing, status="404", outcome="NotFound")
        == before["not_found"] + 1
    )


class ResendOnce:
    """Another plugin taking a decision the metrics plugin must see: wait 2 s after a 429."""

    @brokerlink.hookimpl
    def brokerlink_after_response(self, call: Any, request: Any, response: Any) -> Resend | None:
        if response.status_code == 429 and call.attempt == 1:
            return Resend(seconds=2.0, reason="rate-limited", message="slow down")
        return None


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_private_registry_sees_sends_resends_and_waits(
    sandbox: SandboxServer, asynchronous: bool
) -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    sandbox.sandbox.faults.add(FaultRule("429", times=1, api="metaapi"))
    options: dict[str, Any] = {
        "token": "t",
        "base_url": sandbox.base_url("metaapi"),
        "plugins": [metrics, ResendOnce()],
    }

    async def run_async() -> list[str]:
        async with brokerlink.AsyncMetaApi(**options) as client:
            return await client.list_regions()

    with virtual_time() as clock:
        started = clock.now()
        if asynchronous:
            regions = asyncio.run(run_async())
        else:
            with brokerlink.MetaApi(**options) as client:
                regions = client.list_regions()
        waited = clock.now() - started

    labels = {"api": "metaapi", "operation": "listRegions"}
    assert "london" in regions
    assert waited == 2.0
    assert sample("brokerlink_calls_total", registry, **labels) == 1
    assert sample("brokerlink_sends_total", registry, **labels) == 2
    assert (
        sample("brokerlink_responses_total", registry, **labels, status="429", outcome="resend")
        == 1
    )
    assert sample("brokerlink_responses_total", registry, **labels, status="200", outcome="ok") == 1
    assert sample("brokerlink_waits_total", registry, **labels, reason="rate-limited") == 1
    assert sample("brokerlink_wait_seconds_total", registry, **labels, reason="rate-limited") == 2.0
    assert sample("brokerlink_send_seconds_count", registry, **labels) == 2


def test_errors_inside_http_200_and_transport_errors(sandbox: SandboxServer) -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    with (
        brokerlink.BrokerWork(
            tenant_id="T1",
            token="t",
            base_url=sandbox.base_url("brokerwork"),
            plugins=[metrics],
            max_retries=0,
        ) as client,
        pytest.raises(errors.RateLimited),
    ):
        client.get_account_info(server_id="991", account_id=["1"])
    labels = {"api": "brokerwork", "operation": "getAccountInfo"}
    assert (
        sample(
            "brokerlink_responses_total", registry, **labels, status="200", outcome="RateLimited"
        )
        == 1
    )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with (
        brokerlink.MetaApi(
            token="t",
            base_url=f"http://127.0.0.1:{closed}",
            plugins=[metrics],
            max_retries=0,
        ) as client,
        pytest.raises(errors.TransportError),
    ):
        client.list_regions()
    assert (
        sample(
            "brokerlink_transport_errors_total",
            registry,
            api="metaapi",
            operation="listRegions",
            error="ConnectError",
        )
        == 1
    )
