"""MetaApi 202 Accepted sequences, Retry-After styles and transaction-id memory."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest

from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.clock import parse_iso
from brokerlink.sandbox.seed import MT4_PROFILE_ID, MT5_ACCOUNT_ID
from brokerlink.sandbox.testing import SandboxServer

from .conftest import TLS

ACCOUNTS = "/users/current/accounts"
BODY = {
    "name": "Polled",
    "server": "ICMarketsSC-Demo",
    "magic": 7,
    "platform": "mt4",
    "login": "700",
    "password": "pw",
}


def post(
    client: httpx.Client, tid: str, body: dict | None = None, **headers: str
) -> httpx.Response:
    return client.post(ACCOUNTS, json=body or BODY, headers={"transaction-id": tid, **headers})


def test_accepted_n_times_then_created(metaapi: httpx.Client, clock: ManualClock) -> None:
    tid = "accepted3-0123456789abcdef0123456"
    for _ in range(3):
        answer = post(metaapi, tid)
        assert answer.status_code == 202
        assert answer.headers["Retry-After"] == "1"
        body = answer.json()
        assert body["error"] == "AcceptedError"
        assert parse_iso(body["metadata"]["recommendedRetryTime"]) == clock.now() + 1
    created = post(metaapi, tid)
    assert created.status_code == 201
    accounts = [a for a in metaapi.get(ACCOUNTS).json() if a["name"] == "Polled"]
    assert [a["_id"] for a in accounts] == [created.json()["id"]]


def test_no_account_exists_while_accepted(metaapi: httpx.Client) -> None:
    post(metaapi, "accepted1-x")
    assert not [a for a in metaapi.get(ACCOUNTS).json() if a["name"] == "Polled"]


def test_same_transaction_id_replays_the_result(metaapi: httpx.Client) -> None:
    first = post(metaapi, "tid-replay")
    again = post(metaapi, "tid-replay", {**BODY, "name": "Different"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len([a for a in metaapi.get(ACCOUNTS).json() if a["name"] == "Polled"]) == 1
    assert not [a for a in metaapi.get(ACCOUNTS).json() if a["name"] == "Different"]


def test_errors_are_replayed_too(metaapi: httpx.Client) -> None:
    body = {**BODY, "password": "E_AUTH"}
    assert post(metaapi, "accepted1-err", body).status_code == 202
    for _ in range(2):
        answer = post(metaapi, "accepted1-err", {**BODY})
        assert answer.status_code == 400
        assert answer.json()["details"] == "E_AUTH"


def test_retry_after_http_date(metaapi: httpx.Client, clock: ManualClock) -> None:
    answer = post(metaapi, "accepted1date-abc")
    assert answer.status_code == 202
    when = parsedate_to_datetime(answer.headers["Retry-After"]).timestamp()
    assert when == int(clock.now() + 1)


@pytest.mark.parametrize(("style", "header"), [("none", None), ("garbage", "soon")])
def test_retry_after_broken_styles(metaapi: httpx.Client, style: str, header: str | None) -> None:
    answer = post(metaapi, f"accepted1{style}-abc")
    assert answer.status_code == 202
    assert answer.headers.get("Retry-After") == header
    assert "recommendedRetryTime" in answer.json()["metadata"]


def test_accepted_count_from_header(metaapi: httpx.Client) -> None:
    headers = {"x-sandbox-accepted": "2", "x-sandbox-retry-after": "http-date"}
    first = post(metaapi, "tid-header-count", **headers)
    assert first.status_code == 202
    assert first.headers["Retry-After"].endswith("GMT")
    assert post(metaapi, "tid-header-count").status_code == 202
    assert post(metaapi, "tid-header-count").status_code == 201


def test_accepted_retries_option_applies_to_every_transaction() -> None:
    options = {
        "accepted_retries": 1,
        "retry_after_seconds": 5,
        "retry_after_format": "http-date",
        "clock": ManualClock(),
    }
    with (
        SandboxServer(**options) as server,
        httpx.Client(
            base_url=server.base_url("metaapi"), headers={"auth-token": "t"}, verify=TLS
        ) as c,
    ):
        answer = post(c, "plain-tid")
        assert answer.status_code == 202
        assert "retry in 5 seconds" in answer.json()["message"]
        assert answer.headers["Retry-After"].endswith("GMT")
        assert post(c, "plain-tid").status_code == 201


def test_missing_transaction_id_is_400(metaapi: httpx.Client) -> None:
    answer = metaapi.post(ACCOUNTS, json=BODY)
    assert answer.status_code == 400
    assert answer.json()["details"][0]["parameter"] == "transaction-id"


def test_replica_creation_is_a_transaction(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}/replicas"
    headers = {"transaction-id": "accepted2-replica"}
    body = {"magic": 1, "region": "london"}
    assert metaapi.post(url, json=body, headers=headers).status_code == 202
    assert metaapi.post(url, json=body, headers=headers).status_code == 202
    created = metaapi.post(url, json=body, headers=headers)
    assert created.status_code == 201
    assert metaapi.post(url, json=body, headers=headers).json() == created.json()
    assert len(metaapi.get(url).json()) == 1


@pytest.mark.parametrize("platform", ["mt4", "mt5"])
def test_demo_account_creation_is_a_transaction(metaapi: httpx.Client, platform: str) -> None:
    url = f"/users/current/provisioning-profiles/{MT4_PROFILE_ID}/{platform}-demo-accounts"
    body = {"balance": 1000, "email": "demo@example.com", "leverage": 100, "serverName": "X-Demo"}
    headers = {"transaction-id": f"accepted1-demo-{platform}"}
    assert metaapi.post(url, json=body, headers=headers).status_code == 202
    created = metaapi.post(url, json=body, headers=headers)
    assert created.status_code == 201
    assert created.json()["serverName"] == "X-Demo"
    assert created.json()["login"].startswith(platform[-1])
    assert metaapi.post(url, json=body, headers=headers).json() == created.json()
