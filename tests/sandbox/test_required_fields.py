"""Contract: what the sandbox answers to every read operation carries every field our specs mark
required (the spec's response schema walked with its $refs resolved), and the fields the specs
describe on accounts (``hash``) and replicas (``primaryAccount``) are there.

Every read operation (each GET of the three specs) is asked with seed ids; a read operation
missing from ``READS`` fails the completeness test, so a new one cannot slip by unchecked.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from brokerlink.sandbox.seed import (
    EXPERT_ID,
    MT4_ACCOUNT_ID,
    MT4_PROFILE_ID,
    REPLICA_ID,
)
from brokerlink.sandbox.testing import SandboxServer
from tests.spec_data import operations, resolve

from .conftest import TENANT_HEADERS, TLS

B2_ACCOUNT = "6006dda272f002519c3eb600"
B2_EXPAND = {
    "query[platform]": "1",
    "query[profile]": "1",
    "query[contacts]": "1",
    "query[metrics]": "1",
}
ACC = "/users/current/accounts"
PROF = "/users/current/provisioning-profiles"

# operationId -> list of (path, query, headers): each variant is checked.
READS: dict[str, dict[str, list[tuple[str, dict[str, Any], dict[str, str]]]]] = {
    "metaapi": {
        "listAccounts": [(ACC, {}, {}), (ACC, {"limit": 2}, {"api-version": "2"})],
        "getAccount": [(f"{ACC}/{MT4_ACCOUNT_ID}", {}, {})],
        "listAccountReplicas": [(f"{ACC}/{MT4_ACCOUNT_ID}/replicas", {}, {})],
        "getAccountReplica": [(f"{ACC}/{MT4_ACCOUNT_ID}/replicas/{REPLICA_ID}", {}, {})],
        "listProvisioningProfiles": [(PROF, {}, {}), (PROF, {}, {"api-version": "2"})],
        "getProvisioningProfile": [(f"{PROF}/{MT4_PROFILE_ID}", {}, {})],
        "listRegions": [("/users/current/regions", {}, {})],
        "listExpertAdvisors": [(f"{ACC}/{MT4_ACCOUNT_ID}/expert-advisors", {}, {})],
        "getExpertAdvisor": [(f"{ACC}/{MT4_ACCOUNT_ID}/expert-advisors/{EXPERT_ID}", {}, {})],
        "getRegionQuotas": [("/users/current/regions/london/quotas", {}, {})],
        "getUserQuotas": [("/users/current/quotas", {}, {})],
    },
    "brokerwork": {
        "getUserIds": [("/v1/api/user/ids", {"email": "trader@broker.example"}, {})],
        "getUserInfo": [("/v1/api/user/info", {"userIds": "4,71"}, {})],
        "getParentAndLowerUserInfo": [
            ("/v1/api/user/getParentAndLowerUserInfo", {"userId": "4"}, {})
        ],
        "listLevels": [("/v1/api/system/levels", {}, {})],
        "getAccountInfo": [
            ("/v1/api/account/info", {"serverId": "1", "accountId": "3004272,3004273"}, {})
        ],
        "listAccounts": [
            (
                "/v1/api/account/list",
                {
                    "serverId": "428",
                    "from": "2019-11-01 00:00:00",
                    "to": "2019-11-30 00:00:00",
                    "page": 1,
                    "size": 5,
                },
                {},
            )
        ],
        "getAccountInfoByUserId": [("/v1/api/account/info/byUserId", {"userIds": "85"}, {})],
        "listPositions": [
            ("/v1/api/trade/position", {"serverId": "428", "accountId": "1234580230"}, {})
        ],
        "listDeals": [("/v1/api/trade/deal", {"serverId": "428", "accountId": "1122334496"}, {})],
        "listCustomers": [
            (
                "/v1/api/custom/info",
                {"from": "2019-11-01 00:00:00", "to": "2019-11-30 00:00:00"},
                {},
            )
        ],
    },
    "b2core": {
        "listAccounts": [("/accounts", {}, {}), ("/accounts", {"limit": 3, **B2_EXPAND}, {})],
        "getAccount": [
            (f"/accounts/{B2_ACCOUNT}", {}, {}),
            (f"/accounts/{B2_ACCOUNT}", B2_EXPAND, {}),
        ],
        "getAccountMetrics": [(f"/accounts/{B2_ACCOUNT}/metrics", {}, {})],
    },
}


def missing_required(api: str, schema: Any, value: Any, where: str = "$") -> list[str]:
    """Paths of the required fields ``value`` lacks anywhere under ``schema``."""
    schema = resolve(api, schema)
    if not isinstance(schema, dict) or value is None:
        return []
    problems: list[str] = []
    for part in schema.get("allOf", []):
        problems += missing_required(api, part, value, where)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            # The branch the value fits best: a value need only satisfy one of them.
            branches = [missing_required(api, s, value, where) for s in schema[key]]
            problems += min(branches, key=len)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        problems += [f"{where}.{name}" for name in schema.get("required", []) if name not in value]
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in props:
                problems += missing_required(api, props[name], item, f"{where}.{name}")
            elif isinstance(extra, dict):
                problems += missing_required(api, extra, item, f"{where}.{name}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += missing_required(api, schema["items"], item, f"{where}[{index}]")
    return problems


def success_schema(api: str, operation_id: str, status: int) -> Any:
    _, _, op = operations(api)[operation_id]
    response = resolve(api, op["responses"].get(str(status)) or op["responses"].get(status))
    assert response is not None, f"{operation_id}: status {status} is not documented"
    content = response.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), {})
    return media.get("schema", {})


@pytest.fixture
def clients(sandbox: SandboxServer) -> dict[str, httpx.Client]:
    made = {
        "metaapi": httpx.Client(
            base_url=sandbox.base_url("metaapi"), headers={"auth-token": "t"}, verify=TLS
        ),
        "brokerwork": httpx.Client(
            base_url=sandbox.base_url("brokerwork"), headers=TENANT_HEADERS, verify=TLS
        ),
        "b2core": httpx.Client(base_url=sandbox.base_url("b2core"), verify=TLS),
    }
    token = made["b2core"].post(
        "/tokens", auth=("client", "secret"), json={"grant_type": "client_credentials"}
    )
    made["b2core"].headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return made


def test_every_read_operation_is_checked() -> None:
    for api, reads in READS.items():
        gets = {op for op, (method, _, _) in operations(api).items() if method == "GET"}
        assert gets == set(reads), api


CASES = [(api, op) for api, reads in READS.items() for op in reads]


@pytest.mark.parametrize(("api", "operation_id"), CASES, ids=[f"{a}-{o}" for a, o in CASES])
def test_read_answers_carry_every_required_field(
    clients: dict[str, httpx.Client], api: str, operation_id: str
) -> None:
    for path, query, headers in READS[api][operation_id]:
        response = clients[api].get(path, params=query, headers=headers)
        assert 200 <= response.status_code < 300, (path, response.status_code, response.text)
        body = response.json()
        if api == "brokerwork":
            assert body.get("result") is True, body
        schema = success_schema(api, operation_id, response.status_code)
        problems = missing_required(api, schema, body)
        assert problems == [], f"{operation_id} {path} {query}: missing {problems}"


def test_walker_finds_a_missing_required_field() -> None:
    """The walker itself: a replica list without ``_id`` is caught, through $refs and arrays."""
    schema = success_schema("metaapi", "listAccountReplicas", 200)
    assert missing_required("metaapi", schema, [{"_id": "a"}]) == []
    found = missing_required("metaapi", schema, [{"_id": "a"}, {"state": "DEPLOYED"}])
    assert found == ["$[1]._id"]


def test_accounts_carry_hash_and_replicas_their_primary(
    clients: dict[str, httpx.Client],
) -> None:
    meta = clients["metaapi"]
    account = meta.get(f"{ACC}/{MT4_ACCOUNT_ID}").json()
    assert isinstance(account["hash"], int | float)
    assert meta.get(f"{ACC}/{MT4_ACCOUNT_ID}").json()["hash"] == account["hash"]  # stable
    for replica in [
        meta.get(f"{ACC}/{MT4_ACCOUNT_ID}/replicas/{REPLICA_ID}").json(),
        *meta.get(f"{ACC}/{MT4_ACCOUNT_ID}/replicas").json(),
        *account["accountReplicas"],
    ]:
        primary = replica["primaryAccount"]
        assert primary["_id"] == MT4_ACCOUNT_ID
        assert primary["login"] == account["login"]
        assert "accountReplicas" not in primary
    for listed in meta.get(ACC).json():
        assert isinstance(listed["hash"], int | float)


def test_a_created_account_and_replica_carry_hash_and_primary(
    clients: dict[str, httpx.Client],
) -> None:
    meta = clients["metaapi"]
    created = meta.post(
        ACC,
        headers={"transaction-id": "a" * 32},
        json={
            "name": "n",
            "server": "ICMarketsSC-Demo",
            "platform": "mt5",
            "login": "1",
            "password": "p",
            "magic": 0,
        },
    ).json()["id"]
    assert isinstance(meta.get(f"{ACC}/{created}").json()["hash"], int | float)
    replica = meta.post(
        f"{ACC}/{created}/replicas",
        headers={"transaction-id": "b" * 32},
        json={"magic": 0, "region": "london"},
    ).json()["id"]
    doc = meta.get(f"{ACC}/{created}/replicas/{replica}").json()
    assert doc["primaryAccount"]["_id"] == created


@pytest.mark.parametrize("version", [4, 5])
def test_demo_accounts_under_the_default_profile(
    clients: dict[str, httpx.Client], version: int
) -> None:
    response = clients["metaapi"].post(
        f"{PROF}/default/mt{version}-demo-accounts",
        headers={"transaction-id": f"{version}" * 32},
        json={
            "balance": 10000,
            "leverage": 100,
            "email": "demo@example.com",
            "serverName": "ICMarketsSC-Demo",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["login"].startswith(str(version))
    assert body["serverName"] == "ICMarketsSC-Demo"
    missing = missing_required(
        "metaapi",
        success_schema("metaapi", f"createMt{version}DemoAccount", 201),
        body,
    )
    assert missing == []


def test_demo_accounts_under_an_unknown_profile_are_404(
    clients: dict[str, httpx.Client],
) -> None:
    response = clients["metaapi"].post(
        f"{PROF}/no-such-profile/mt5-demo-accounts",
        headers={"transaction-id": "c" * 32},
        json={"balance": 1, "leverage": 1, "email": "a@b.c", "serverName": "S"},
    )
    assert response.status_code == 404
