"""The app factory, the in-process server, serve() and the /_sandbox control endpoints."""

from __future__ import annotations

import time

import httpx
import pytest

from brokerlink.sandbox import ManualClock, SystemClock, create_app
from brokerlink.sandbox.testing import SandboxServer


def test_server_starts_fast_and_stops_cleanly() -> None:
    began = time.perf_counter()
    server = SandboxServer()
    with server:
        started = time.perf_counter() - began
        assert server.url.startswith("http://127.0.0.1:")
        assert server.base_url("b2core") == server.url + "/b2core"
        assert httpx.get(server.url + "/_sandbox/health").json()["status"] == "ok"
        port = server.port
    assert started < 1.0
    with pytest.raises(RuntimeError):
        _ = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)


def test_base_url_rejects_unknown_api(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="unknown api"):
        sandbox.base_url("stripe")


def test_create_app_rejects_unknown_options() -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        create_app(no_such_option=1)


def test_create_app_exposes_state_and_default_clock() -> None:
    app = create_app(seed=False)
    sandbox = app.state.sandbox
    assert isinstance(sandbox.clock, SystemClock)
    assert sandbox.metaapi.accounts == {}
    assert sandbox.metaapi.regions  # reference data survives seed=False


def test_unknown_path_is_404(sandbox: SandboxServer) -> None:
    assert httpx.get(sandbox.url + "/nowhere").status_code == 404


def test_control_reset_restores_seed(sandbox: SandboxServer, metaapi: httpx.Client) -> None:
    account_id = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
    assert metaapi.delete(f"/users/current/accounts/{account_id}").status_code == 204
    assert metaapi.get(f"/users/current/accounts/{account_id}").status_code == 404
    assert httpx.post(sandbox.url + "/_sandbox/reset").status_code == 204
    assert metaapi.get(f"/users/current/accounts/{account_id}").status_code == 200


def test_control_clock_advances(sandbox: SandboxServer, clock: ManualClock) -> None:
    before = clock.now()
    answer = httpx.post(sandbox.url + "/_sandbox/clock", json={"advance": 90})
    assert answer.json()["now"] == before + 90
    assert httpx.post(sandbox.url + "/_sandbox/clock", json={"advance": "x"}).status_code == 400


def test_control_faults_round_trip(sandbox: SandboxServer) -> None:
    rule = {"mode": "html-503", "times": 2, "api": "b2core", "delay": None}
    assert httpx.post(sandbox.url + "/_sandbox/faults", json=rule).status_code == 201
    assert httpx.get(sandbox.url + "/_sandbox/faults").json() == [rule]
    assert httpx.post(sandbox.url + "/_sandbox/faults", json={"mode": "nope"}).status_code == 400
    assert httpx.delete(sandbox.url + "/_sandbox/faults").status_code == 204
    assert httpx.get(sandbox.url + "/_sandbox/faults").json() == []


def test_system_clock_advance() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.advance(100)
    assert clock.now() - before >= 100


def test_manual_clock_set() -> None:
    clock = ManualClock(10)
    clock.set(50)
    clock.advance(5)
    assert clock.now() == 55
