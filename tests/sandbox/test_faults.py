"""Fault modes: per request (header or query), per server (options) and at run time."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from brokerlink.sandbox.testing import SandboxServer

REGIONS = "/users/current/regions"
ACCOUNTS = "/users/current/accounts"


def fault(client: httpx.Client, mode: str, path: str = REGIONS, **headers: str) -> httpx.Response:
    return client.get(path, headers={"x-sandbox-fault": mode, **headers})


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_html_5xx(metaapi: httpx.Client, status: int) -> None:
    answer = fault(metaapi, f"html-{status}")
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.lstrip().startswith("<html>")
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    reason[504] = "Gateway Timeout"
    assert f"<title>{status} {reason[status]}</title>" in answer.text
    assert f"<h1>{status} {reason[status]}</h1>" in answer.text


def test_html_5xx_unnamed_status(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "html-599")
    assert answer.status_code == 599
    assert "<title>599 Server Error</title>" in answer.text


def test_malformed_json(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "malformed-json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_empty_body(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "empty-body")
    assert (answer.status_code, answer.content) == (200, b"")


def test_truncated_json_is_half_of_the_real_answer(metaapi: httpx.Client) -> None:
    real = metaapi.get(ACCOUNTS).content
    answer = fault(metaapi, "truncated-json", ACCOUNTS)
    assert answer.status_code == 200
    assert answer.content == real[: len(real) // 2]
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_truncated_body_of_204(metaapi: httpx.Client) -> None:
    answer = metaapi.post(
        f"{ACCOUNTS}/1eda642a-a9a3-457c-99af-3bc5e8d5c4c9/increase-reliability",
        headers={"x-sandbox-fault": "truncated-json"},
    )
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_reset_closes_mid_body(metaapi: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        fault(metaapi, "reset", ACCOUNTS)
    assert metaapi.get(REGIONS).status_code == 200  # the client reconnects


def test_slow_waits_the_requested_delay(metaapi: httpx.Client) -> None:
    began = time.perf_counter()
    answer = fault(metaapi, "slow", **{"x-sandbox-delay": "0.2"})
    elapsed = time.perf_counter() - began
    assert answer.status_code == 200 and answer.json()[0] == "vint-hill"
    assert 0.2 <= elapsed < 2.0
    with pytest.raises(httpx.ReadTimeout):
        metaapi.get(REGIONS, params={"sandbox_fault": "slow", "sandbox_delay": "0.3"}, timeout=0.1)


def test_accepted_without_retry_after(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "accepted-no-retry-after")
    assert answer.status_code == 202
    assert "Retry-After" not in answer.headers
    body = answer.json()
    assert body["error"] == "AcceptedError" and body["metadata"]["recommendedRetryTime"]


def test_accepted_with_garbage_retry_after(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "accepted-garbage-retry-after")
    assert (answer.status_code, answer.headers["Retry-After"]) == (202, "soon")


def test_429_in_each_api_style(
    metaapi: httpx.Client, brokerwork: httpx.Client, b2core: httpx.Client
) -> None:
    limited = fault(metaapi, "429")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    body = limited.json()
    assert body["error"] == "TooManyRequestsError"
    assert body["metadata"]["recommendedRetryTime"].endswith("Z")
    envelope = brokerwork.get("/v1/api/system/levels", headers={"x-sandbox-fault": "429"})
    assert envelope.status_code == 200
    assert envelope.json()["mcode"] == "BW_REQUEST_TOO_MUCH"
    plain = b2core.get("/accounts", headers={"x-sandbox-fault": "429"})
    assert plain.status_code == 429 and plain.headers["Retry-After"] == "1"


def test_fault_by_query_parameter(metaapi: httpx.Client) -> None:
    assert metaapi.get(REGIONS, params={"sandbox_fault": "html-502"}).status_code == 502


def test_unknown_fault_mode_is_400(metaapi: httpx.Client) -> None:
    answer = fault(metaapi, "meteor-strike")
    assert answer.status_code == 400
    assert "meteor-strike" in answer.text


def test_server_fault_for_the_first_n_requests(web: httpx.Client) -> None:
    with SandboxServer(fault="html-503", fault_times=2, fault_api="metaapi") as server:
        url = server.base_url("metaapi") + REGIONS
        b2core = server.base_url("b2core") + "/tokens"
        headers = {"auth-token": "t"}
        assert web.post(b2core, auth=("a", "b"), json={"grant_type": "client_credentials"})
        statuses = [web.get(url, headers=headers).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]


def test_server_fault_forever_and_control_is_exempt(web: httpx.Client) -> None:
    with SandboxServer(fault="malformed-json") as server:
        for api in ("metaapi", "brokerwork", "b2core"):
            assert web.get(server.base_url(api) + "/anything").content.startswith(b'{"result')
        assert web.get(server.url + "/_sandbox/health").json()["status"] == "ok"


def test_runtime_fault_rule(
    web: httpx.Client, sandbox: SandboxServer, metaapi: httpx.Client
) -> None:
    rule = {"mode": "429", "times": 1, "api": "metaapi"}
    web.post(sandbox.url + "/_sandbox/faults", json=rule)
    assert metaapi.get(REGIONS).status_code == 429
    assert metaapi.get(REGIONS).status_code == 200


def test_runtime_slow_rule_uses_its_delay(
    web: httpx.Client, sandbox: SandboxServer, metaapi: httpx.Client
) -> None:
    web.post(sandbox.url + "/_sandbox/faults", json={"mode": "slow", "times": 1, "delay": 0.05})
    began = time.perf_counter()
    assert metaapi.get(REGIONS).status_code == 200
    assert time.perf_counter() - began >= 0.05
