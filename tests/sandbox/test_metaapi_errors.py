"""MetaApi error codes triggered by magic credentials, on create, update, deploy and replicas."""

from __future__ import annotations

import httpx
import pytest

from brokerlink.sandbox.metaapi_errors import CONNECTION_ERRORS
from brokerlink.sandbox.seed import MT4_PROFILE_ID, MT5_ACCOUNT_ID, STALE_ACCOUNT_ID

ACCOUNTS = "/users/current/accounts"
BODY = {
    "name": "Magic",
    "server": "ICMarketsSC-Demo",
    "magic": 1,
    "platform": "mt5",
    "login": "123",
    "password": "pw",
}
STRING_CODES = [
    "E_AUTH",
    "E_SERVER_TIMEZONE",
    "E_NO_SYMBOLS",
    "ERR_OTP_REQUIRED",
    "E_PASSWORD_CHANGE_REQUIRED",
    "E_TRADING_ACCOUNT_DISABLED",
]


def create(client: httpx.Client, tid: str, **fields: object) -> httpx.Response:
    return client.post(ACCOUNTS, json={**BODY, **fields}, headers={"transaction-id": tid})


def test_every_documented_code_is_simulated() -> None:
    assert set(CONNECTION_ERRORS) == {*STRING_CODES, "E_SRV_NOT_FOUND", "E_RESOURCE_SLOTS"}


@pytest.mark.parametrize("code", STRING_CODES)
def test_password_code_on_create(metaapi: httpx.Client, code: str) -> None:
    answer = create(metaapi, f"tid-{code}", password=code)
    assert answer.status_code == 400
    body = answer.json()
    assert (body["error"], body["details"]) == ("ValidationError", code)
    assert body["id"] == 3 and body["message"]


def test_login_or_server_can_carry_the_code(metaapi: httpx.Client) -> None:
    assert create(metaapi, "tid-l", login="E_NO_SYMBOLS").json()["details"] == "E_NO_SYMBOLS"
    assert create(metaapi, "tid-s", server="E_AUTH").json()["details"] == "E_AUTH"


def test_server_not_found_suggests_servers(metaapi: httpx.Client) -> None:
    details = create(metaapi, "tid-srv", server="E_SRV_NOT_FOUND").json()["details"]
    assert details["code"] == "E_SRV_NOT_FOUND"
    assert details["serversByBrokers"] == {
        "Raw Trading Ltd": ["ICMarketsSC-Demo", "ICMarketsSC-MT5"]
    }


def test_resource_slots_error_then_success(metaapi: httpx.Client) -> None:
    failed = create(metaapi, "tid-slots-1", password="E_RESOURCE_SLOTS")
    assert failed.status_code == 400
    details = failed.json()["details"]
    assert details == {"code": "E_RESOURCE_SLOTS", "recommendedResourceSlots": 2}
    retried = create(metaapi, "tid-slots-2", password="E_RESOURCE_SLOTS", resourceSlots=2)
    assert retried.status_code == 201


def test_field_errors_list(metaapi: httpx.Client) -> None:
    answer = metaapi.post(
        ACCOUNTS,
        json={"magic": "x", "region": "mars", "reliability": "max"},
        headers={"transaction-id": "tid-fields"},
    )
    assert answer.status_code == 400
    details = answer.json()["details"]
    assert {d["parameter"] for d in details} == {
        "name",
        "server",
        "magic",
        "platform",
        "region",
        "reliability",
    }
    assert all(set(d) == {"parameter", "value", "message"} for d in details)


def test_oversized_metadata_is_a_field_error(metaapi: httpx.Client) -> None:
    answer = create(metaapi, "tid-meta", metadata={"k": "v" * 1100})
    assert answer.json()["details"][0]["parameter"] == "metadata"


def test_unknown_profile_is_a_field_error(metaapi: httpx.Client) -> None:
    answer = create(metaapi, "tid-prof", provisioningProfileId="nope")
    assert answer.json()["details"][0]["parameter"] == "provisioningProfileId"


def test_update_with_magic_password_fails(metaapi: httpx.Client) -> None:
    body = {"name": "x", "server": "y", "password": "E_PASSWORD_CHANGE_REQUIRED"}
    answer = metaapi.put(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}", json=body)
    assert answer.status_code == 400
    assert answer.json()["details"] == "E_PASSWORD_CHANGE_REQUIRED"


def test_seeded_stale_account_fails_on_deploy_and_redeploy(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{STALE_ACCOUNT_ID}"
    for action in ("deploy", "redeploy"):
        answer = metaapi.post(f"{url}/{action}")
        assert answer.status_code == 400
        assert answer.json()["details"] == "E_AUTH"
    assert metaapi.post(f"{url}/undeploy").status_code == 204
    assert metaapi.get(url).json()["state"] == "UNDEPLOYED"


def test_deferred_code_from_create(metaapi: httpx.Client) -> None:
    created = create(metaapi, "tid-deferred", password="deploy:E_TRADING_ACCOUNT_DISABLED")
    assert created.status_code == 201
    assert created.json()["state"] == "UNDEPLOYED"
    url = f"{ACCOUNTS}/{created.json()['id']}"
    answer = metaapi.post(f"{url}/redeploy")
    assert answer.json()["details"] == "E_TRADING_ACCOUNT_DISABLED"
    replica = metaapi.post(
        f"{url}/replicas", json={"magic": 1, "region": "london"}, headers={"transaction-id": "r1"}
    )
    assert replica.status_code == 400
    assert replica.json()["details"] == "E_TRADING_ACCOUNT_DISABLED"


def test_deferred_code_from_update_and_fixed_by_update(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}"
    body = {"name": "x", "server": "y", "password": "deploy:E_AUTH"}
    assert metaapi.put(url, json=body).status_code == 204
    assert metaapi.post(f"{url}/deploy").json()["details"] == "E_AUTH"
    assert metaapi.put(url, json={**body, "password": "fixed"}).status_code == 204
    assert metaapi.post(f"{url}/deploy").status_code == 204


def test_demo_account_codes(metaapi: httpx.Client) -> None:
    url = f"/users/current/provisioning-profiles/{MT4_PROFILE_ID}/mt4-demo-accounts"
    body = {"balance": 1, "email": "a@b.c", "leverage": 1, "serverName": "E_SRV_NOT_FOUND"}
    answer = metaapi.post(url, json=body, headers={"transaction-id": "demo-err"})
    assert answer.json()["details"]["code"] == "E_SRV_NOT_FOUND"
    bad = metaapi.post(url, json={"balance": "x"}, headers={"transaction-id": "demo-bad"})
    assert {d["parameter"] for d in bad.json()["details"]} == {
        "balance",
        "leverage",
        "email",
        "serverName",
    }
