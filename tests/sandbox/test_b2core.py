"""B2Core IB: client-credential tokens (with expiry on the sandbox clock) and accounts."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer

from .conftest import TLS

FIRST = "6006dda272f002519c3eb600"
MT5 = "6006dda272f002519c3eb505"
PROFILE = "6006dda272f002519c3eb520"
GRANT = {"grant_type": "client_credentials"}


def token(client: httpx.Client, auth: tuple[str, str] = ("client", "secret")) -> str:
    answer = client.post("/tokens", auth=auth, json=GRANT)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


# --- tokens -----------------------------------------------------------------------------------
def test_token_shape(web: httpx.Client, sandbox: SandboxServer) -> None:
    answer = web.post(sandbox.base_url("b2core") + "/tokens", auth=("id", "pw"), json=GRANT)
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert len(body["access_token"]) >= 32


@pytest.mark.parametrize(
    ("auth", "body", "status"),
    [
        (None, GRANT, 401),
        (("id", ""), GRANT, 401),
        (("id", "pw"), {"grant_type": "password"}, 400),
        (("id", "pw"), {}, 400),
        (("id", "pw"), [], 400),
    ],
)
def test_token_errors(
    web: httpx.Client,
    sandbox: SandboxServer,
    auth: tuple[str, str] | None,
    body: object,
    status: int,
) -> None:
    answer = web.post(sandbox.base_url("b2core") + "/tokens", auth=auth, json=body)
    assert answer.status_code == status
    assert answer.json()["message"]


def test_token_rejects_garbled_basic(web: httpx.Client, sandbox: SandboxServer) -> None:
    url = sandbox.base_url("b2core") + "/tokens"
    for header in ("Basic !!!", "Basic " + "aWQ=", "Bearer x"):  # "aWQ=" is "id" with no colon
        assert web.post(url, json=GRANT, headers={"Authorization": header}).status_code == 401
    assert web.post(url, content=b"{", auth=("a", "b")).status_code == 400


def test_configured_clients() -> None:
    with (
        SandboxServer(b2core_clients={"app": "s3cret"}) as server,
        httpx.Client(base_url=server.base_url("b2core"), verify=TLS) as c,
    ):
        assert c.post("/tokens", auth=("app", "s3cret"), json=GRANT).status_code == 200
        assert c.post("/tokens", auth=("app", "wrong"), json=GRANT).status_code == 401


def test_token_expires_on_the_sandbox_clock() -> None:
    clock = ManualClock()
    with (
        SandboxServer(clock=clock, token_lifetime=60) as server,
        httpx.Client(base_url=server.base_url("b2core"), verify=TLS) as c,
    ):
        answer = c.post("/tokens", auth=("a", "b"), json=GRANT).json()
        assert answer["expires_in"] == 60
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        assert c.get("/accounts", headers=headers).status_code == 200
        clock.advance(59)
        assert c.get("/accounts", headers=headers).status_code == 200
        clock.advance(1)
        expired = c.get("/accounts", headers=headers)
        assert expired.status_code == 401
        assert "expired" in expired.json()["message"]
        assert c.get("/accounts", headers=headers).status_code == 401
        fresh = {"Authorization": f"Bearer {token(c)}"}
        assert c.get("/accounts", headers=fresh).status_code == 200


def test_missing_or_unknown_bearer(web: httpx.Client, sandbox: SandboxServer) -> None:
    url = sandbox.base_url("b2core") + "/accounts"
    assert web.get(url).status_code == 401
    assert web.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_forbidden_client(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.base_url("b2core"), verify=TLS) as c:
        headers = {"Authorization": f"Bearer {token(c, ('forbidden', 'x'))}"}
        assert c.get("/accounts", headers=headers).status_code == 403


# --- accounts ---------------------------------------------------------------------------------
def test_list_default_order_is_newest_first(b2core: httpx.Client) -> None:
    accounts = b2core.get("/accounts").json()
    assert len(accounts) == 6
    times = [a["createTime"] for a in accounts]
    assert times == sorted(times, reverse=True)


def test_money_is_18_digit_strings(b2core: httpx.Client) -> None:
    account = b2core.get(f"/accounts/{FIRST}").json()
    assert account["balance"] == "3.000000000000000000"
    assert account["withdrawals"] == "-3000.000000000000000000"
    for key in (
        "balance",
        "credit",
        "equity",
        "commission",
        "swap",
        "profit",
        "pnl",
        "deposits",
        "withdrawals",
    ):
        assert isinstance(account[key], str)
        assert -Decimal(account[key]).as_tuple().exponent == 18
    assert account["uuid"] is None


@pytest.mark.parametrize(
    ("params", "numbers"),
    [
        ({"filter[enabled]": "0"}, {"12347"}),
        ({"filter[archived]": "1"}, {"12348"}),
        ({"filter[currency]": "EUR"}, {"12348"}),
        ({"filter[number]": "12345"}, {"12345"}),
        ({"filter[type]": "2"}, {"12345"}),
        ({"type": "7"}, {"12349"}),
        ({"filter[platformGroupName]": "DEMO-USD"}, {"50001"}),
        ({"filter[platformId]": "6006dda272f002519c3eb506"}, {"50001"}),
        ({"filter[profileId]": PROFILE}, {"12346", "12349"}),
        ({"filter[userId]": "6006dda272f002519c3eb532"}, {"12348", "50001"}),
        ({"filter[startTime]": "2021-01-20T00:00:00+00:00"}, {"50001", "12349"}),
        ({"filter[endTime]": "2021-01-06T00:00:00Z"}, {"12345", "12346"}),
        ({"filter[enabled]": "1", "filter[currency]": "USD"}, {"12346", "50001", "12349"}),
    ],
)
def test_filters(b2core: httpx.Client, params: dict, numbers: set) -> None:
    assert {a["number"] for a in b2core.get("/accounts", params=params).json()} == numbers


def test_filter_with_unencoded_plus_in_offset(b2core: httpx.Client) -> None:
    answer = b2core.get("/accounts?filter[startTime]=2021-01-20T00:00:00+00:00")
    assert {a["number"] for a in answer.json()} == {"50001", "12349"}


def test_percent_encoded_brackets(b2core: httpx.Client) -> None:
    answer = b2core.get("/accounts?filter%5Bcurrency%5D=EUR&query%5Bmetrics%5D=1")
    assert [a["number"] for a in answer.json()] == ["12348"]
    assert answer.json()[0]["metrics"]["metrics"][0] == {"key": "trades", "value": 0}


@pytest.mark.parametrize(
    ("sort_by", "order", "first"),
    [
        ("number", "asc", "12345"),
        ("number", "desc", "50001"),
        ("trades", "desc", "12347"),
        ("trades", "asc", "12348"),
        ("accountId", "asc", "12345"),
        ("createTime", "asc", "12345"),
        ("enabled", "asc", "12347"),
        ("archived", "desc", "12348"),
    ],
)
def test_sorting(b2core: httpx.Client, sort_by: str, order: str, first: str) -> None:
    params = {"sort_by": sort_by, "sort_order": order}
    assert b2core.get("/accounts", params=params).json()[0]["number"] == first


def test_limit_offset(b2core: httpx.Client) -> None:
    params = {"sort_by": "number", "sort_order": "asc", "limit": 2, "offset": 1}
    assert [a["number"] for a in b2core.get("/accounts", params=params).json()] == [
        "12346",
        "12347",
    ]


def test_list_envelope_option() -> None:
    with (
        SandboxServer(b2core_list_envelope=True) as server,
        httpx.Client(base_url=server.base_url("b2core"), verify=TLS) as c,
    ):
        c.headers["Authorization"] = f"Bearer {token(c)}"
        body = c.get("/accounts", params={"limit": 2}).json()
        assert body["total"] == 6 and len(body["data"]) == 2


def test_expansions(b2core: httpx.Client) -> None:
    params = {
        "query[platform]": "1",
        "query[profile]": "1",
        "query[contacts]": "1",
        "query[metrics]": "1",
        "filter[number]": "12345",
    }
    account = b2core.get("/accounts", params=params).json()[0]
    assert account["platform"]["name"] == "MetaTrader 5"
    assert account["profile"]["firstName"] == "Bruno"
    assert account["contacts"]["email"] == "bruno.keller@client.example"
    assert account["metrics"] == {"total": 1, "metrics": [{"key": "trades", "value": 101}]}
    plain = b2core.get(f"/accounts/{FIRST}", params={"query[metrics]": "0"}).json()
    assert "metrics" not in plain and "platform" not in plain
    one = b2core.get(f"/accounts/{FIRST}", params={"query[profile]": "1"}).json()
    assert one["profile"]["profileId"] == account["profileId"]


@pytest.mark.parametrize(
    "params",
    [
        {"filter[colour]": "red"},
        {"filter[enabled]": "yes"},
        {"filter[startTime]": "last week"},
        {"filter[type]": "two"},
        {"query[everything]": "1"},
        {"query[metrics]": "maybe"},
        {"sort_by": "balance"},
        {"sort_order": "up"},
        {"limit": "-1"},
    ],
)
def test_bad_list_params_are_400(b2core: httpx.Client, params: dict) -> None:
    answer = b2core.get("/accounts", params=params)
    assert answer.status_code == 400
    assert answer.json()["errors"]


def test_get_unknown_is_404(b2core: httpx.Client) -> None:
    answer = b2core.get("/accounts/ffffffffffffffffffffffff")
    assert answer.status_code == 404
    assert answer.json()["code"] == 404


def test_create_get_update_patch_delete(b2core: httpx.Client, clock: ManualClock) -> None:
    body = {
        "number": "77777",
        "platformId": MT5,
        "profileId": PROFILE,
        "enabled": False,
        "uuid": None,
    }
    created = b2core.post("/accounts", json=body)
    assert created.status_code == 201
    account = created.json()
    assert (account["number"], account["enabled"], account["balance"]) == (
        "77777",
        False,
        "0.000000000000000000",
    )
    assert account["platformGroupName"] == "B2BUSD"
    url = f"/accounts/{account['accountId']}"
    assert b2core.get(url).json() == account
    clock.advance(60)
    updated = b2core.put(url, json={"number": "77778", "enabled": "true", "uuid": "u-1"})
    assert updated.status_code == 200
    assert (updated.json()["number"], updated.json()["enabled"]) == ("77778", True)
    assert updated.json()["updateTime"] > account["updateTime"]
    patched = b2core.patch(url, json={"enabled": False})
    assert (patched.json()["number"], patched.json()["enabled"]) == ("77778", False)
    assert b2core.delete(url).status_code == 204
    assert b2core.get(url).status_code == 404
    assert b2core.delete(url).status_code == 404
    assert b2core.put(url, json={"number": "1"}).status_code == 404


def test_create_errors(b2core: httpx.Client) -> None:
    missing = b2core.post("/accounts", json={"number": "1"})
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"platformId", "profileId"}
    base = {"number": "88888", "platformId": MT5, "profileId": PROFILE}
    assert b2core.post("/accounts", json={**base, "platformId": "nope"}).status_code == 422
    assert b2core.post("/accounts", json={**base, "profileId": "nope"}).status_code == 422
    assert b2core.post("/accounts", json={**base, "number": "12345"}).status_code == 422
    assert b2core.post("/accounts", json={**base, "enabled": "maybe"}).status_code == 400
    assert b2core.post("/accounts", content=b"{oops").status_code == 400


def test_update_errors(b2core: httpx.Client) -> None:
    url = f"/accounts/{FIRST}"
    assert b2core.put(url, json={"enabled": True}).status_code == 400
    assert b2core.put(url, json={"number": "12346"}).status_code == 422
    assert b2core.patch(url, json={"enabled": "perhaps"}).status_code == 400


def test_metrics(b2core: httpx.Client) -> None:
    assert b2core.get(f"/accounts/{FIRST}/metrics").json() == {
        "total": 1,
        "metrics": [{"key": "trades", "value": 101}],
    }
    assert b2core.get("/accounts/nope/metrics").status_code == 404
