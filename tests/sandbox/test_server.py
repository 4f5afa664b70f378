"""The app factory, the in-process server, serve() and the /_sandbox control endpoints."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from brokerlink.sandbox import ManualClock, SystemClock, create_app
from brokerlink.sandbox.testing import SandboxServer


def test_server_starts_fast_and_stops_cleanly(web: httpx.Client) -> None:
    began = time.perf_counter()
    server = SandboxServer()
    with server:
        started = time.perf_counter() - began
        assert server.url.startswith("http://127.0.0.1:")
        assert server.base_url("b2core") == server.url + "/b2core"
        assert web.get(server.url + "/_sandbox/health").json()["status"] == "ok"
        port = server.port
    assert started < 1.0
    with pytest.raises(RuntimeError):
        _ = server.url
    with pytest.raises(httpx.ConnectError):
        web.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)


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


def test_unknown_path_is_404(web: httpx.Client, sandbox: SandboxServer) -> None:
    assert web.get(sandbox.url + "/nowhere").status_code == 404


def test_control_reset_restores_seed(
    web: httpx.Client, sandbox: SandboxServer, metaapi: httpx.Client
) -> None:
    account_id = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
    assert metaapi.delete(f"/users/current/accounts/{account_id}").status_code == 204
    assert metaapi.get(f"/users/current/accounts/{account_id}").status_code == 404
    assert web.post(sandbox.url + "/_sandbox/reset").status_code == 204
    assert metaapi.get(f"/users/current/accounts/{account_id}").status_code == 200


def test_control_clock_advances(
    web: httpx.Client, sandbox: SandboxServer, clock: ManualClock
) -> None:
    before = clock.now()
    answer = web.post(sandbox.url + "/_sandbox/clock", json={"advance": 90})
    assert answer.json()["now"] == before + 90
    assert web.post(sandbox.url + "/_sandbox/clock", json={"advance": "x"}).status_code == 400


def test_control_faults_round_trip(web: httpx.Client, sandbox: SandboxServer) -> None:
    rule = {"mode": "html-503", "times": 2, "api": "b2core", "delay": None}
    assert web.post(sandbox.url + "/_sandbox/faults", json=rule).status_code == 201
    assert web.get(sandbox.url + "/_sandbox/faults").json() == [rule]
    assert web.post(sandbox.url + "/_sandbox/faults", json={"mode": "nope"}).status_code == 400
    assert web.delete(sandbox.url + "/_sandbox/faults").status_code == 204
    assert web.get(sandbox.url + "/_sandbox/faults").json() == []


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


def test_wrong_method_is_405(web: httpx.Client, sandbox: SandboxServer) -> None:
    base = sandbox.base_url("metaapi")
    headers = {"auth-token": "t"}
    assert web.delete(base + "/users/current/regions", headers=headers).status_code == 405
    assert web.patch(base + "/users/current/accounts/x", headers=headers).status_code == 405
    assert web.get(base + "/users/current/accounts//deploy", headers=headers).status_code == 404


def test_serve_runs_the_command_line_entry_point(web: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "brokerlink.sandbox", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = web.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert answer.json()["status"] == "ok"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/b2core".encode() in output
