"""MetaApi accounts: CRUD, listing filters, lifecycle states, feature switches, auth."""

from __future__ import annotations

import httpx
import pytest

from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.seed import (
    DRAFT_ACCOUNT_ID,
    MT4_ACCOUNT_ID,
    MT5_ACCOUNT_ID,
    MT5_PROFILE_ID,
    REPLICA_ID,
)
from brokerlink.sandbox.testing import SandboxServer

from .conftest import TLS

ACCOUNTS = "/users/current/accounts"
NEW_ACCOUNT = {
    "name": "New account",
    "server": "ICMarketsSC-Demo",
    "magic": 1000,
    "platform": "mt5",
    "login": "5550001",
    "password": "secret",
}


def create(client: httpx.Client, tid: str, **fields: object) -> httpx.Response:
    return client.post(ACCOUNTS, json={**NEW_ACCOUNT, **fields}, headers={"transaction-id": tid})


def test_list_accounts_returns_seed(metaapi: httpx.Client) -> None:
    answer = metaapi.get(ACCOUNTS)
    assert answer.status_code == 200
    ids = [a["_id"] for a in answer.json()]
    assert MT4_ACCOUNT_ID in ids and MT5_ACCOUNT_ID in ids and DRAFT_ACCOUNT_ID in ids
    assert all("password" not in a for a in answer.json())


def test_list_accounts_api_version_2(metaapi: httpx.Client) -> None:
    body = metaapi.get(ACCOUNTS, params={"limit": 2}, headers={"api-version": "2"}).json()
    assert body["count"] == 4
    assert len(body["items"]) == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "DEPLOYED"}, {MT4_ACCOUNT_ID}),
        ({"state": ["DRAFT", "UNDEPLOYED"], "version": 5}, {MT5_ACCOUNT_ID, DRAFT_ACCOUNT_ID}),
        ({"connectionStatus": "CONNECTED"}, {MT4_ACCOUNT_ID}),
        ({"query": "strategy"}, {MT5_ACCOUNT_ID}),
        ({"provisioningProfileId": MT5_PROFILE_ID}, {MT5_ACCOUNT_ID}),
        ({"region": "london"}, set()),
        ({"type": "cloud-g2", "state": "DRAFT"}, {DRAFT_ACCOUNT_ID}),
    ],
)
def test_list_accounts_filters(metaapi: httpx.Client, params: dict, expected: set) -> None:
    assert {a["_id"] for a in metaapi.get(ACCOUNTS, params=params).json()} == expected


def test_list_accounts_sort_and_paging(metaapi: httpx.Client) -> None:
    ascending = [a["_id"] for a in metaapi.get(ACCOUNTS, params={"sortOrder": "asc"}).json()]
    descending = [a["_id"] for a in metaapi.get(ACCOUNTS, params={"sortOrder": "desc"}).json()]
    assert ascending == descending[::-1]
    page = metaapi.get(ACCOUNTS, params={"sortOrder": "asc", "offset": 1, "limit": 2}).json()
    assert [a["_id"] for a in page] == ascending[1:3]


def test_get_account_includes_replicas(metaapi: httpx.Client) -> None:
    account = metaapi.get(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}").json()
    assert account["login"] == "1234567"
    assert [r["_id"] for r in account["accountReplicas"]] == [REPLICA_ID]


def test_get_unknown_account_is_404(metaapi: httpx.Client) -> None:
    answer = metaapi.get(f"{ACCOUNTS}/missing")
    assert answer.status_code == 404
    assert answer.json()["error"] == "NotFoundError"


def test_create_then_get(metaapi: httpx.Client) -> None:
    created = create(metaapi, "tid-create-1", tags=["x"], region="london", reliability="high")
    assert created.status_code == 201
    assert created.json()["state"] == "DEPLOYED"
    account = metaapi.get(f"{ACCOUNTS}/{created.json()['id']}").json()
    assert account["state"] == "DEPLOYED"
    assert account["connectionStatus"] == "CONNECTED"
    assert account["region"] == "london"
    assert account["version"] == 5
    assert account["tags"] == ["x"]
    assert "password" not in account


def test_create_without_credentials_is_draft(metaapi: httpx.Client) -> None:
    body = {k: v for k, v in NEW_ACCOUNT.items() if k not in ("login", "password")}
    answer = metaapi.post(ACCOUNTS, json=body, headers={"transaction-id": "tid-draft"})
    assert answer.json()["state"] == "DRAFT"


def test_create_with_profile_takes_its_version(metaapi: httpx.Client) -> None:
    body = {**NEW_ACCOUNT, "provisioningProfileId": MT5_PROFILE_ID}
    del body["platform"]
    answer = metaapi.post(ACCOUNTS, json=body, headers={"transaction-id": "tid-profile"})
    assert answer.status_code == 201
    assert metaapi.get(f"{ACCOUNTS}/{answer.json()['id']}").json()["version"] == 5


def test_update_account(metaapi: httpx.Client) -> None:
    body = {"name": "Renamed", "server": "ICMarketsSC-MT5", "magic": 9, "tags": ["a"]}
    assert metaapi.put(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}", json=body).status_code == 204
    account = metaapi.get(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}").json()
    assert (account["name"], account["magic"], account["tags"]) == ("Renamed", 9, ["a"])


def test_update_draft_with_credentials_leaves_draft_state(metaapi: httpx.Client) -> None:
    body = {"name": "Now set", "server": "ICMarketsSC-Demo", "login": "42", "password": "pw"}
    assert metaapi.put(f"{ACCOUNTS}/{DRAFT_ACCOUNT_ID}", json=body).status_code == 204
    assert metaapi.get(f"{ACCOUNTS}/{DRAFT_ACCOUNT_ID}").json()["state"] == "UNDEPLOYED"


def test_update_requires_name_and_server(metaapi: httpx.Client) -> None:
    answer = metaapi.put(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}", json={"magic": 1})
    assert answer.status_code == 400
    assert {d["parameter"] for d in answer.json()["details"]} == {"name", "server"}


def test_update_unknown_account_is_404(metaapi: httpx.Client) -> None:
    assert metaapi.put(f"{ACCOUNTS}/nope", json={"name": "a", "server": "b"}).status_code == 404


def test_delete_account(metaapi: httpx.Client) -> None:
    assert metaapi.delete(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}").status_code == 204
    assert metaapi.get(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}").status_code == 404
    assert metaapi.delete(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}").status_code == 404


def test_deploy_undeploy_redeploy_immediate(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}"
    assert metaapi.post(url + "/deploy").status_code == 204
    assert metaapi.get(url).json()["state"] == "DEPLOYED"
    assert metaapi.post(url + "/undeploy").status_code == 204
    assert metaapi.get(url).json()["state"] == "UNDEPLOYED"
    assert metaapi.post(url + "/redeploy").status_code == 204
    account = metaapi.get(url).json()
    assert (account["state"], account["connectionStatus"]) == ("DEPLOYED", "CONNECTED")


def test_lifecycle_on_unknown_account_is_404(metaapi: httpx.Client) -> None:
    for action in ("deploy", "undeploy", "redeploy"):
        assert metaapi.post(f"{ACCOUNTS}/nope/{action}").status_code == 404


def test_deploy_draft_is_rejected(metaapi: httpx.Client) -> None:
    assert metaapi.post(f"{ACCOUNTS}/{DRAFT_ACCOUNT_ID}/deploy").status_code == 400


def test_undeploy_applies_to_replicas_unless_told_not_to(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT4_ACCOUNT_ID}"
    metaapi.post(url + "/undeploy", params={"executeForAllReplicas": "false"})
    assert metaapi.get(f"{url}/replicas/{REPLICA_ID}").json()["state"] == "DEPLOYED"
    metaapi.post(url + "/undeploy")
    assert metaapi.get(f"{url}/replicas/{REPLICA_ID}").json()["state"] == "UNDEPLOYED"


def test_transitional_states_follow_the_clock() -> None:
    clock = ManualClock()
    with (
        SandboxServer(clock=clock, transition_seconds=30) as server,
        httpx.Client(
            base_url=server.base_url("metaapi"), headers={"auth-token": "t"}, verify=TLS
        ) as c,
    ):
        url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}"
        c.post(url + "/deploy")
        assert c.get(url).json()["state"] == "DEPLOYING"
        assert c.get(ACCOUNTS, params={"state": "DEPLOYING"}).json()[0]["_id"] == MT5_ACCOUNT_ID
        clock.advance(30)
        assert c.get(url).json()["state"] == "DEPLOYED"
        c.post(url + "/undeploy")
        assert c.get(url).json()["state"] == "UNDEPLOYING"
        clock.advance(31)
        assert c.get(url).json()["state"] == "UNDEPLOYED"
        c.delete(url)
        assert c.get(url).json()["state"] == "DELETING"
        clock.advance(31)
        assert c.get(url).status_code == 404


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("increase-reliability", "reliability", "high"),
        ("enable-risk-management-api", "riskManagementApiEnabled", True),
        ("enable-metastats-api", "metastatsApiEnabled", True),
    ],
)
def test_feature_switches(metaapi: httpx.Client, action: str, field: str, value: object) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}"
    assert metaapi.post(f"{url}/{action}").status_code == 204
    assert metaapi.get(url).json()[field] == value
    assert metaapi.post(f"{ACCOUNTS}/nope/{action}").status_code == 404


def test_enable_copy_factory_api(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}"
    body = {"copyFactoryRoles": ["PROVIDER"], "copyFactoryResourceSlots": 2}
    assert metaapi.post(url + "/enable-copy-factory-api", json=body).status_code == 204
    account = metaapi.get(url).json()
    assert (account["copyFactoryRoles"], account["copyFactoryResourceSlots"]) == (["PROVIDER"], 2)
    assert metaapi.post(url + "/enable-copy-factory-api", json={}).status_code == 400


def test_create_configuration_link(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{DRAFT_ACCOUNT_ID}/configuration-link"
    answer = metaapi.put(url, params={"ttlInDays": 3})
    assert answer.status_code == 200
    assert "ttlInDays=3" in answer.json()["configurationLink"]
    assert metaapi.put(f"{ACCOUNTS}/nope/configuration-link").status_code == 404


def test_auth_missing_token_is_401(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.get(sandbox.base_url("metaapi") + ACCOUNTS)
    assert answer.status_code == 401
    assert answer.json()["error"] == "UnauthorizedError"


def test_auth_forbidden_token_is_403(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.get(sandbox.base_url("metaapi") + ACCOUNTS, headers={"auth-token": "forbidden"})
    assert answer.status_code == 403


def test_auth_with_configured_tokens(web: httpx.Client) -> None:
    with SandboxServer(metaapi_tokens=["good"]) as server:
        url = server.base_url("metaapi") + ACCOUNTS
        assert web.get(url, headers={"auth-token": "good"}).status_code == 200
        assert web.get(url, headers={"auth-token": "bad"}).status_code == 401


def test_invalid_json_body_is_400(metaapi: httpx.Client) -> None:
    answer = metaapi.post(
        ACCOUNTS,
        content=b"{not json",
        headers={"transaction-id": "tid-bad-json", "content-type": "application/json"},
    )
    assert answer.status_code == 400


def test_account_features_at_once_and_their_validation(metaapi: httpx.Client) -> None:
    url = f"/users/current/accounts/{MT5_ACCOUNT_ID}"
    features = {"riskManagementApiEnabled": True, "reliabilityIncreased": True}
    assert metaapi.post(f"{url}/enable-account-features", json=features).status_code == 204
    account = metaapi.get(url).json()
    assert (account["riskManagementApiEnabled"], account["reliability"]) == (True, "high")
    for bad, field in (
        ({"copyFactoryApi": {"copyFactoryRoles": []}}, "copyFactoryApi.copyFactoryRoles"),
        ({"allocateDedicatedIp": "ipv6"}, "allocateDedicatedIp"),
    ):
        refused = metaapi.post(f"{url}/enable-account-features", json=bad)
        assert refused.json()["details"][0]["parameter"] == field
    assert metaapi.post("/users/current/accounts/nope/enable-account-features").status_code == 404
