"""Broker Work: every operation, the envelope, pages, comma lists, auth and magic mcodes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from brokerlink.sandbox.testing import SandboxServer

from .conftest import TENANT_HEADERS

NOV_2019 = {"from": "2019-11-01 00:00:00", "to": "2019-11-30 23:59:59"}


def ok(answer: httpx.Response) -> Any:
    """Assert a successful envelope and return its data."""
    assert answer.status_code == 200
    body = answer.json()
    assert (body["result"], body["mcode"]) == (True, "m0000000"), body
    assert isinstance(body["time"], int)
    return body["data"]


def failed(answer: httpx.Response) -> str:
    """Assert a failed envelope (still HTTP 200) and return its mcode."""
    assert answer.status_code == 200
    body = answer.json()
    assert body["result"] is False
    assert body["data"] is None
    assert "errorMessage" in body or "message" in body
    return str(body["mcode"])


# --- users ----------------------------------------------------------------------------------
def test_create_user_then_query(brokerwork: httpx.Client) -> None:
    body = {
        "email": "new.user@broker.example",
        "name": "zzz123",
        "roleId": 1,
        "phone": {"countryCode": "+86", "phone": "1888888"},
        "levelId": "5",
        "parentId": "4",
    }
    user = ok(brokerwork.post("/v1/api/user/create", json=body))
    assert user["levelId"] == 5 and user["parentId"] == 4  # strings in, integers out
    assert user["password"]  # generated and returned once
    assert user["phone"]["phoneStr"] == "+86 1888888"
    ids = ok(brokerwork.get("/v1/api/user/ids", params={"email": body["email"]}))
    assert ids == [{"email": body["email"], "userId": user["id"]}]
    info = ok(brokerwork.get("/v1/api/user/info", params={"userIds": f"{user['id']},4"}))
    assert [u["id"] for u in info] == [4, user["id"]]
    assert all(u["password"] == "" for u in info)


@pytest.mark.parametrize(
    ("body", "mcode"),
    [
        ({"email": "not-an-email", "roleId": 1}, "PUB_AUTH_0000001"),
        ({"email": "admin@broker.example", "roleId": 1}, "PUB_AUTH_0000007"),
        ({"email": "x@y.example"}, "BW_USER_ROLE_NULL"),
        ({"email": "x@y.example", "roleId": 1, "phone": {"phone": "abc"}}, "PUB_AUTH_0000002"),
        ({"email": "x@y.example", "roleId": 1, "levelId": 99}, "bw-user_1010"),
        ({"email": "x@y.example", "roleId": 1, "entityNo": "E001"}, "BW_USER_ENTITYNO_REPEAT"),
        ({"email": "x@y.example", "roleId": 1, "login": 5}, "BW_INVALID_PARAM"),
    ],
)
def test_create_user_failures(brokerwork: httpx.Client, body: dict, mcode: str) -> None:
    assert failed(brokerwork.post("/v1/api/user/create", json=body)) == mcode


def test_update_user(brokerwork: httpx.Client) -> None:
    body = {
        "id": 85,
        "name": "Renamed",
        "levelId": 4,
        "points1": "p",
        "serverId": 428,
        "login": 1122334496,
    }
    assert ok(brokerwork.post("/v1/api/user/update", json=body)) is None
    user = ok(brokerwork.get("/v1/api/user/info", params={"userIds": "85"}))[0]
    assert (user["name"], user["levelId"], user["login"]) == ("Renamed", 4, 1122334496)


@pytest.mark.parametrize(
    ("body", "mcode"),
    [
        ({}, "BW_INVALID_PARAM"),
        ({"id": 9999}, "m0000001"),
        ({"id": 4, "parentId": 72}, "bw-user_1014"),
        ({"id": 4, "name": ""}, "BW_USER_NAME_NULL"),
        ({"id": 4, "roleId": "x"}, "bw-user_1009"),
        ({"id": 4, "serverId": 12345}, "BW_INVALID_SERVERID"),
    ],
)
def test_update_user_failures(brokerwork: httpx.Client, body: dict, mcode: str) -> None:
    assert failed(brokerwork.post("/v1/api/user/update", json=body)) == mcode


def test_get_user_ids(brokerwork: httpx.Client) -> None:
    assert ok(brokerwork.get("/v1/api/user/ids", params={"email": "nobody@x.example"})) == []
    answer = brokerwork.get("/v1/api/user/ids")
    assert failed(answer) == "BW_INVALID_PARAM"
    assert "message" in answer.json()


def test_login_user(brokerwork: httpx.Client, clock: Any) -> None:
    creds = {"email": "trader@broker.example", "password": "Abcd1234"}
    first = ok(brokerwork.post("/v1/api/user/login", json=creds))
    assert first == {"lastLoginTime": 1_574_908_245_729, "userId": 85}
    second = ok(brokerwork.post("/v1/api/user/login", json=creds))
    assert second["lastLoginTime"] == int(clock.now() * 1000)
    wrong = brokerwork.post("/v1/api/user/login", json={**creds, "password": "x"})
    assert failed(wrong) == "m0000001"
    assert "message" in wrong.json()
    assert failed(brokerwork.post("/v1/api/user/login", json={})) == "BW_INVALID_PARAM"


def test_get_user_info_requires_numbers(brokerwork: httpx.Client) -> None:
    assert failed(brokerwork.get("/v1/api/user/info", params={"userIds": "a,b"})) == (
        "BW_INVALID_PARAM"
    )
    assert ok(brokerwork.get("/v1/api/user/info", params={"userIds": "12345"})) == []


def test_parent_and_lower(brokerwork: httpx.Client) -> None:
    users = ok(brokerwork.get("/v1/api/user/getParentAndLowerUserInfo", params={"userId": "4"}))
    assert [u["id"] for u in users] == [4, 1, 71, 85, 72]
    path = "/v1/api/user/getParentAndLowerUserInfo"
    assert failed(brokerwork.get(path, params={"userId": "999"})) == "m0000001"
    assert failed(brokerwork.get(path)) == "BW_INVALID_PARAM"


def test_list_levels(brokerwork: httpx.Client) -> None:
    levels = ok(brokerwork.get("/v1/api/system/levels"))
    assert [lvl["id"] for lvl in levels] == [1, 3, 4, 5]


def test_create_introduce_link(brokerwork: httpx.Client) -> None:
    body = {
        "name": "apiTest",
        "introduceType": "Agent",
        "visibleType": "UserPartVisible",
        "visibleUserId": [1, 2],
        "targetUrl": "http://example.com",
        "parameterType": "uid",
        "serverId": "428",
        "leverage": "100",
    }
    link = ok(brokerwork.post("/v1/api/introduce/create", json=body))
    assert link["entityNo"].startswith("EN")
    assert link["displayUrl"].endswith(f"/introduce?iid={link['entityNo']}")
    assert link["leverage"] == "100"


@pytest.mark.parametrize(
    ("body", "mcode"),
    [
        ({"introduceType": "Agent", "visibleType": "UserAllVisible"}, "BW_USER_INRR_NAME_NULL"),
        ({"name": "a", "introduceType": "X", "visibleType": "UserAllVisible"}, "BW_INVALID_PARAM"),
        ({"name": "a", "introduceType": "Agent", "visibleType": "X"}, "BW_INVALID_PARAM"),
        (
            {"name": "a", "introduceType": "Agent", "visibleType": "UserPartVisible"},
            "BW_INVALID_PARAM",
        ),
        (
            {"name": "a", "introduceType": "StraightGuest", "visibleType": "UserAllVisible"},
            "BW_INVALID_PARAM",
        ),
        (
            {
                "name": "a",
                "introduceType": "Agent",
                "visibleType": "UserAllVisible",
                "targetUrl": "http://x.example/?uid=1",
                "parameterType": "uid",
            },
            "BW_USER_INRR_PARAM_ERROR",
        ),
    ],
)
def test_create_introduce_link_failures(brokerwork: httpx.Client, body: dict, mcode: str) -> None:
    assert failed(brokerwork.post("/v1/api/introduce/create", json=body)) == mcode


# --- accounts -------------------------------------------------------------------------------
def test_open_commission_account(brokerwork: httpx.Client) -> None:
    body = {
        "serverId": "428",
        "group": "OliTest",
        "leverage": "1",
        "userId": 4,
        "readOnly": "1",
        "enable": "1",
        "name": "stevenadd",
        "sendReports": "1",
        "phone": {"phone": "123", "countryCode": "+86"},
        "email": "s@broker.example",
    }
    answer = brokerwork.post("/v1/api/account/openCommissionAccount", json=body)
    account = ok(answer)
    assert account["serverId"] == "428" and account["password"] and account["investorPassword"]
    info = ok(
        brokerwork.get(
            "/v1/api/account/info", params={"serverId": 428, "accountId": account["login"]}
        )
    )
    assert info[0]["group"] == "OliTest" and info[0]["readOnly"] == 1
    again = brokerwork.post(
        "/v1/api/account/openCommissionAccount", json={**body, "login": int(account["login"])}
    )
    assert failed(again) == "bw-user_1018"
    assert "message" in again.json()
    missing = brokerwork.post("/v1/api/account/openCommissionAccount", json={"serverId": "428"})
    assert failed(missing) == "BW_INVALID_PARAM"


def test_get_account_info_comma_list(brokerwork: httpx.Client) -> None:
    params = {"serverId": "1", "accountId": "3004273,3004272"}
    info = ok(brokerwork.get("/v1/api/account/info", params=params))
    assert [a["login"] for a in info] == ["3004272", "3004273"]
    assert info[0]["leverage"] == 20 and info[0]["leadSource"] == ""
    assert failed(brokerwork.get("/v1/api/account/info", params={"serverId": "1"})) == (
        "BW_INVALID_PARAM"
    )


def test_list_accounts_pages(brokerwork: httpx.Client) -> None:
    page = ok(
        brokerwork.get(
            "/v1/api/account/list", params={**NOV_2019, "serverId": 428, "page": 2, "size": 7}
        )
    )
    assert (page["offset"], page["pager"], page["pages"], page["size"], page["total"]) == (
        7,
        2,
        5,
        7,
        30,
    )
    assert len(page["list"]) == 7
    last = ok(
        brokerwork.get(
            "/v1/api/account/list", params={**NOV_2019, "serverId": 428, "page": 5, "size": 7}
        )
    )
    assert len(last["list"]) == 2
    every = ok(brokerwork.get("/v1/api/account/list", params={**NOV_2019, "serverId": 428}))
    assert every["size"] == 20 and every["pager"] == 1
    logins = [row["login"] for row in every["list"]]
    assert all(isinstance(login, int) for login in logins)


def test_list_accounts_size_is_capped(brokerwork: httpx.Client) -> None:
    params = {**NOV_2019, "serverId": 428, "size": 1000}
    page = ok(brokerwork.get("/v1/api/account/list", params=params))
    assert page["size"] == 200 and page["pages"] == 1 and len(page["list"]) == 30


def test_list_accounts_needs_dates(brokerwork: httpx.Client) -> None:
    answer = brokerwork.get(
        "/v1/api/account/list",
        params={"serverId": 428, "from": "yesterday", "to": "2019-11-30 00:00:00"},
    )
    assert failed(answer) == "BW_INVALID_PARAM"


def test_account_info_by_user_id(brokerwork: httpx.Client) -> None:
    info = ok(brokerwork.get("/v1/api/account/info/byUserId", params={"userIds": "85,71"}))
    logins = {a["login"] for a in info}
    assert {"1122334496", "1234580230", "3004273"} <= logins


def test_positions_and_deals(brokerwork: httpx.Client) -> None:
    positions = ok(
        brokerwork.get(
            "/v1/api/trade/position", params={"serverId": "428", "accountId": "1234580230"}
        )
    )
    assert len(positions) == 5 and all("_serverId" not in p for p in positions)
    window = {"from": 1502853840000, "to": 1502853960000}  # 03:24..03:26 UTC, 2017-08-16
    some = ok(
        brokerwork.get(
            "/v1/api/trade/position",
            params={"serverId": "428", "accountId": "1234580230", **window},
        )
    )
    assert [p["ticket"] for p in some] == [3215316, 3215315, 3215314]
    deals = ok(
        brokerwork.get(
            "/v1/api/trade/deal", params={"serverId": "428", "accountId": "1122334496,1"}
        )
    )
    assert [d["ticket"] for d in deals] == [192290, 192249, 192246]
    assert deals[0]["closePrice"] == 100.426


def test_set_account_owner(brokerwork: httpx.Client) -> None:
    body = {"accountId": 2109730462, "serverId": "428", "ownerId": "71"}
    assert ok(brokerwork.post("/v1/api/account/owner", json=body)) is None
    info = ok(
        brokerwork.get(
            "/v1/api/account/info", params={"serverId": "428", "accountId": "2109730462"}
        )
    )
    assert info[0]["oweId"] == "71"
    assert failed(brokerwork.post("/v1/api/account/owner", json={**body, "ownerId": "999"})) == (
        "m0000001"
    )
    assert failed(brokerwork.post("/v1/api/account/owner", json={**body, "accountId": 1})) == (
        "m0000001"
    )


def test_change_balance(brokerwork: httpx.Client, sandbox: SandboxServer) -> None:
    headers = {"x-api-signature": "T001117,serverId=428,accountId=2109730462,amount=5.5"}
    body = {"accountId": 2109730462, "serverId": "428", "amount": 5.5, "type": "DEPOSITE"}
    assert ok(brokerwork.post("/v1/api/account/balance", json=body, headers=headers)) is None
    account = sandbox.sandbox.brokerwork.accounts[("428", 2109730462)]
    assert str(account.balance) == "15.5"
    credit = {**body, "type": "CREDIT_IN", "amount": 3}
    ok(brokerwork.post("/v1/api/account/balance", json=credit, headers=headers))
    assert account.credit == 3
    too_much = {**body, "type": "WITHDRAWAL", "amount": 100}
    assert failed(brokerwork.post("/v1/api/account/balance", json=too_much, headers=headers)) == (
        "m0000001"
    )
    assert failed(brokerwork.post("/v1/api/account/balance", json=body)) == "BW_INVALID_PARAM"
    bad_type = {**body, "type": "GIFT"}
    assert failed(brokerwork.post("/v1/api/account/balance", json=bad_type, headers=headers)) == (
        "BW_INVALID_PARAM"
    )
    bad_amount = {**body, "amount": "lots"}
    assert failed(brokerwork.post("/v1/api/account/balance", json=bad_amount, headers=headers)) == (
        "BW_INVALID_PARAM"
    )


# --- customers and reports -----------------------------------------------------------------
def test_list_customers_and_set_owner(brokerwork: httpx.Client) -> None:
    page = ok(brokerwork.get("/v1/api/custom/info", params={**NOV_2019, "page": 1, "size": 2}))
    assert (page["total"], page["pages"], len(page["list"])) == (25, 13, 2)
    first = page["list"][0]
    body = {"customId": first["_id"], "oweId": "87", "commendId": "ref-1"}
    assert ok(brokerwork.post("/v1/api/custom/owner", json=body)) is None
    again = ok(brokerwork.get("/v1/api/custom/info", params={**NOV_2019, "size": 1}))
    assert (again["list"][0]["oweId"], again["list"][0]["commendId"]) == ("87", "ref-1")
    assert failed(brokerwork.post("/v1/api/custom/owner", json={"customId": "nope"})) == (
        "m0000001"
    )


def test_commission_report(brokerwork: httpx.Client) -> None:
    body = {
        "serverId": "454",
        "userId": "4",
        "level": "0",
        "start": "2017-08-01",
        "end": "2017-08-10",
        "index": 2,
        "pageSize": 8,
    }
    page = ok(brokerwork.post("/v1/api/report/user/commission", json=body))
    assert (page["total"], page["pages"], page["pager"], page["offset"]) == (30, 4, 2, 8)
    assert len(page["list"]) == 8
    direct = ok(
        brokerwork.post("/v1/api/report/user/commission", json={**body, "level": "1", "index": 1})
    )
    assert {row["userId"] for row in direct["list"]} == {71}
    indirect = ok(
        brokerwork.post("/v1/api/report/user/commission", json={**body, "level": "2", "index": 1})
    )
    assert {row["userId"] for row in indirect["list"]} == {72}
    capped = ok(
        brokerwork.post(
            "/v1/api/report/user/commission", json={**body, "index": 1, "pageSize": 900}
        )
    )
    assert capped["size"] == 500


@pytest.mark.parametrize(
    ("change", "mcode"),
    [
        ({"serverId": "1000"}, "BW_REPORT_0023"),
        ({"userId": "9999"}, "BW_REPORT_0022"),
        ({"level": "7"}, "BW_REPORT_0000"),
        ({"start": "Aug 1st"}, "BW_REPORT_0000"),
        ({"serverId": "993"}, "RIGHT_NO_00000001"),
    ],
)
def test_commission_report_failures(brokerwork: httpx.Client, change: dict, mcode: str) -> None:
    body = {"serverId": "454", "userId": "4", "level": "0", **change}
    assert failed(brokerwork.post("/v1/api/report/user/commission", json=body)) == mcode


# --- auth and magic inputs ---------------------------------------------------------------------
def test_missing_token(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.get(
        sandbox.base_url("brokerwork") + "/v1/api/system/levels",
        headers={"x-api-tenantId": "T001117"},
    )
    assert failed(answer) == "BW_API_0000001"


def test_missing_tenant(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.get(
        sandbox.base_url("brokerwork") + "/v1/api/system/levels", headers={"x-api-token": "t"}
    )
    assert failed(answer) == "BW_API_0000003"


def test_open_api_disabled_tenant(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.get(
        sandbox.base_url("brokerwork") + "/v1/api/system/levels",
        headers={"x-api-tenantId": "T_NO_OPENAPI", "x-api-token": "t"},
    )
    assert failed(answer) == "BW_API_0000004"


def test_configured_tenants(web: httpx.Client) -> None:
    with SandboxServer(brokerwork_tenants={"T001117": "bw-token"}) as server:
        url = server.base_url("brokerwork") + "/v1/api/system/levels"
        assert ok(web.get(url, headers=TENANT_HEADERS))
        wrong_tenant = {**TENANT_HEADERS, "x-api-tenantId": "T999"}
        assert failed(web.get(url, headers=wrong_tenant)) == "BW_API_0000003"
        wrong_token = {**TENANT_HEADERS, "x-api-token": "nope"}
        assert failed(web.get(url, headers=wrong_token)) == "BW_API_0000003"


@pytest.mark.parametrize(
    ("server_id", "mcode"),
    [
        ("990", "-1"),
        ("991", "BW_REQUEST_TOO_MUCH"),
        ("992", "BW_INVALID_PARAM"),
        ("993", "RIGHT_NO_00000001"),
        ("994", "m0000001"),
        ("995", "BW_SANDBOX_0000042"),
        ("996", "MT4_3"),
        ("12345", "BW_INVALID_SERVERID"),
    ],
)
def test_magic_server_ids(brokerwork: httpx.Client, server_id: str, mcode: str) -> None:
    answer = brokerwork.get(
        "/v1/api/account/info", params={"serverId": server_id, "accountId": "1"}
    )
    assert failed(answer) == mcode


def test_magic_values_and_header(brokerwork: httpx.Client) -> None:
    assert failed(brokerwork.get("/v1/api/user/ids", params={"email": "mcode:-1"})) == "-1"
    body = {"email": "mcode:BW_USER_EMAIL_REPEAT", "roleId": 1}
    assert failed(brokerwork.post("/v1/api/user/create", json=body)) == "BW_USER_EMAIL_REPEAT"
    answer = brokerwork.get(
        "/v1/api/system/levels", headers={"x-sandbox-mcode": "BW_REQUEST_TOO_MUCH"}
    )
    assert failed(answer) == "BW_REQUEST_TOO_MUCH"


def test_bad_json_body(brokerwork: httpx.Client) -> None:
    answer = brokerwork.post(
        "/v1/api/user/create", content=b"[1, 2", headers={"content-type": "application/json"}
    )
    assert failed(answer) == "BW_INVALID_PARAM"
    assert failed(brokerwork.post("/v1/api/user/create", json=[1])) == "BW_INVALID_PARAM"
