"""MetaApi replicas, provisioning profiles (with multipart uploads) and regions."""

from __future__ import annotations

import httpx

from brokerlink.sandbox.seed import (
    DRAFT_ACCOUNT_ID,
    MT4_ACCOUNT_ID,
    MT4_PROFILE_ID,
    MT5_ACCOUNT_ID,
    MT5_PROFILE_ID,
    REPLICA_ID,
)

ACCOUNTS = "/users/current/accounts"
PROFILES = "/users/current/provisioning-profiles"


def new_replica(client: httpx.Client, account_id: str, region: str, tid: str) -> httpx.Response:
    return client.post(
        f"{ACCOUNTS}/{account_id}/replicas",
        json={"magic": 5, "region": region, "tags": ["r"]},
        headers={"transaction-id": tid},
    )


def test_list_and_get_replicas(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT4_ACCOUNT_ID}/replicas"
    assert [r["_id"] for r in metaapi.get(url).json()] == [REPLICA_ID]
    replica = metaapi.get(f"{url}/{REPLICA_ID}").json()
    assert (replica["region"], replica["state"]) == ("london", "DEPLOYED")
    assert metaapi.get(f"{url}/nope").status_code == 404
    assert metaapi.get(f"{ACCOUNTS}/nope/replicas").status_code == 404


def test_replica_belongs_to_its_account(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}/replicas/{REPLICA_ID}"
    assert metaapi.get(url).status_code == 404


def test_create_update_delete_replica(metaapi: httpx.Client) -> None:
    created = new_replica(metaapi, MT5_ACCOUNT_ID, "singapore", "rep-1")
    assert created.status_code == 201
    replica_id = created.json()["id"]
    url = f"{ACCOUNTS}/{MT5_ACCOUNT_ID}/replicas/{replica_id}"
    replica = metaapi.get(url).json()
    assert (replica["region"], replica["magic"], replica["tags"]) == ("singapore", 5, ["r"])
    assert metaapi.put(url, json={"magic": 6, "tags": ["s"]}).status_code == 204
    assert metaapi.get(url).json()["magic"] == 6
    account = metaapi.get(f"{ACCOUNTS}/{MT5_ACCOUNT_ID}").json()
    assert [r["_id"] for r in account["accountReplicas"]] == [replica_id]
    assert metaapi.delete(url).status_code == 204
    assert metaapi.get(url).status_code == 404
    assert metaapi.delete(url).status_code == 404


def test_replica_of_draft_is_draft(metaapi: httpx.Client) -> None:
    created = new_replica(metaapi, DRAFT_ACCOUNT_ID, "london", "rep-draft")
    assert created.json()["state"] == "DRAFT"


def test_replica_validation(metaapi: httpx.Client) -> None:
    same_region = new_replica(metaapi, MT5_ACCOUNT_ID, "vint-hill", "rep-same")
    assert same_region.status_code == 400
    unknown = new_replica(metaapi, MT5_ACCOUNT_ID, "mars", "rep-mars")
    assert unknown.json()["details"][0]["parameter"] == "region"
    duplicate = new_replica(metaapi, MT4_ACCOUNT_ID, "london", "rep-dup")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "ConflictError"
    missing = new_replica(metaapi, "nope", "london", "rep-missing")
    assert missing.status_code == 404


def test_replica_lifecycle(metaapi: httpx.Client) -> None:
    url = f"{ACCOUNTS}/{MT4_ACCOUNT_ID}/replicas/{REPLICA_ID}"
    assert metaapi.post(url + "/undeploy").status_code == 204
    assert metaapi.get(url).json()["state"] == "UNDEPLOYED"
    assert metaapi.post(url + "/deploy").status_code == 204
    assert metaapi.get(url).json()["state"] == "DEPLOYED"
    assert metaapi.post(url + "/redeploy").status_code == 204
    assert metaapi.get(url).json()["connectionStatus"] == "CONNECTED"
    assert metaapi.get(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}").json()["state"] == "DEPLOYED"
    assert metaapi.post(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}/replicas/x/deploy").status_code == 404


def test_profiles_list_filters_and_get(metaapi: httpx.Client) -> None:
    assert {p["_id"] for p in metaapi.get(PROFILES).json()} == {MT4_PROFILE_ID, MT5_PROFILE_ID}
    assert [p["_id"] for p in metaapi.get(PROFILES, params={"version": 4}).json()] == [
        MT4_PROFILE_ID
    ]
    assert [p["_id"] for p in metaapi.get(PROFILES, params={"status": "active"}).json()] == [
        MT5_PROFILE_ID
    ]
    assert [p["_id"] for p in metaapi.get(PROFILES, params={"query": "exness"}).json()] == [
        MT4_PROFILE_ID
    ]
    paged = metaapi.get(PROFILES, params={"limit": 1}, headers={"api-version": "2"}).json()
    assert paged["count"] == 2 and len(paged["items"]) == 1
    assert metaapi.get(f"{PROFILES}/{MT5_PROFILE_ID}").json()["name"] == "ICMarkets MT5"
    assert metaapi.get(f"{PROFILES}/nope").status_code == 404


def test_profile_crud_and_upload(metaapi: httpx.Client) -> None:
    body = {"name": "Mine", "version": 4, "brokerTimezone": "EET", "brokerDSTSwitchTimezone": "EET"}
    created = metaapi.post(PROFILES, json=body)
    assert created.status_code == 201
    url = f"{PROFILES}/{created.json()['id']}"
    assert metaapi.get(url).json()["status"] == "new"
    assert metaapi.put(url, json={"name": "Renamed"}).status_code == 204
    assert metaapi.get(url).json()["name"] == "Renamed"
    upload = metaapi.put(f"{url}/broker.srv", files={"file": ("broker.srv", b"\x00" * 64)})
    assert upload.status_code == 204
    assert metaapi.get(url).json()["status"] == "active"
    assert metaapi.delete(url).status_code == 204
    assert metaapi.get(url).status_code == 404


def test_profile_validation(metaapi: httpx.Client) -> None:
    answer = metaapi.post(PROFILES, json={"version": 6})
    assert {d["parameter"] for d in answer.json()["details"]} == {
        "name",
        "version",
        "brokerTimezone",
        "brokerDSTSwitchTimezone",
    }
    assert metaapi.put(f"{PROFILES}/{MT5_PROFILE_ID}", json={}).status_code == 400
    assert metaapi.put(f"{PROFILES}/nope", json={"name": "x"}).status_code == 404


def test_upload_errors(metaapi: httpx.Client) -> None:
    url = f"{PROFILES}/{MT4_PROFILE_ID}"
    files = {"file": ("x", b"data")}
    assert metaapi.put(f"{url}/evil.exe", files=files).status_code == 400
    assert metaapi.put(f"{url}/broker.srv", content=b"raw").status_code == 400
    assert metaapi.put(f"{url}/broker.srv", files={"other": ("x", b"1")}).status_code == 400
    assert metaapi.put(f"{PROFILES}/nope/broker.srv", files=files).status_code == 404
    assert metaapi.put(f"{url}/servers.dat", files=files).status_code == 204
    assert metaapi.get(url).json()["status"] == "new"  # an MT4 profile needs broker.srv


def test_regions_and_quotas(metaapi: httpx.Client) -> None:
    regions = metaapi.get("/users/current/regions").json()
    assert regions == ["vint-hill", "new-york", "london", "singapore"]
    quotas = metaapi.get("/users/current/regions/london/quotas").json()
    assert set(quotas) == {
        "maxAccounts",
        "maxDeployedG1Accounts",
        "maxDeployedG2Accounts",
        "maxDeployedCopyFactoryAccounts",
    }
    assert metaapi.get("/users/current/regions/mars/quotas").status_code == 404


def test_replica_repeats_the_primary_accounts_identity(metaapi: httpx.Client) -> None:
    replica = metaapi.get(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}/replicas/{REPLICA_ID}").json()
    account = metaapi.get(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}").json()
    for key in ("name", "login", "server"):
        assert replica[key] == account[key]
    assert replica["primaryAccount"]["_id"] == MT4_ACCOUNT_ID


def test_manager_profiles_carry_their_server_and_hide_the_password(
    metaapi: httpx.Client,
) -> None:
    base = {"name": "m", "version": 5, "brokerTimezone": "EET", "brokerDSTSwitchTimezone": "EET"}
    manager = {"type": "managerApi", "managerLogin": 1001, "managerServer": "mgr.example:443"}
    created = metaapi.post(PROFILES, json={**base, **manager, "managerPassword": "mgr-secret"})
    assert created.status_code == 201
    profile = metaapi.get(f"{PROFILES}/{created.json()['id']}").json()
    assert (profile["type"], profile["managerLogin"], profile["managerServer"]) == (
        "managerApi",
        1001,
        "mgr.example:443",
    )
    assert "mgr-secret" not in str(profile)
    terminal = metaapi.post(PROFILES, json=base).json()
    assert metaapi.get(f"{PROFILES}/{terminal['id']}").json()["type"] == "mtTerminal"
    refused = metaapi.post(PROFILES, json={**base, "type": "managerUi"})
    assert {d["parameter"] for d in refused.json()["details"]} == {"managerLogin", "managerServer"}
    unknown = metaapi.post(PROFILES, json={**base, "type": "mkTerminal"})
    assert unknown.json()["details"][0]["parameter"] == "type"


def test_user_quotas_count_what_each_region_holds(metaapi: httpx.Client) -> None:
    before = {q["region"]: q for q in metaapi.get("/users/current/quotas").json()}
    assert set(before) == set(metaapi.get("/users/current/regions").json())
    kept = before["vint-hill"]["maxAccounts"]
    assert kept["quota"] == 1000 and kept["usageInPercents"] > 0
    assert before["singapore"]["maxAccounts"]["usageInPercents"] == 0
    metaapi.delete(f"{ACCOUNTS}/{MT4_ACCOUNT_ID}")
    after = {q["region"]: q for q in metaapi.get("/users/current/quotas").json()}
    assert after["vint-hill"]["maxAccounts"]["usageInPercents"] < kept["usageInPercents"]
