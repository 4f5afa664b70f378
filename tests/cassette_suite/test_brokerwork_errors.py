"""Broker Work failures (HTTP 200, ``result: false``): every mcode of the reference, the natural
ways to provoke them, tenant auth, and HTML pages from a proxy in front of the API."""

from __future__ import annotations

from typing import Any

import pytest

from brokerlink import errors
from tests.cassette_suite.clients import Clients
from tests.cassette_suite.target import WRONG_TOKEN, SharedClock

API = "brokerwork"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network, pytest.mark.sandbox_only]

# Every failure mcode of specs/brokerwork.yaml (x-brokerlink-error-codes) and the class a caller
# catches for it. Codes without a more specific meaning are a plain ApiError carrying the code.
MCODES: dict[str, type[errors.ApiError]] = {
    "m0000001": errors.ApiError,
    "-1": errors.ServiceUnavailable,
    "BW_INVALID_PARAM": errors.ValidationError,
    "BW_INVALID_SERVERID": errors.ValidationError,
    "BW_REQUEST_TOO_MUCH": errors.RateLimited,
    "BW_API_0000001": errors.AuthenticationError,
    "BW_API_0000003": errors.AuthenticationError,
    "BW_API_0000004": errors.PermissionDenied,
    "PUB_AUTH_0000001": errors.ValidationError,
    "PUB_AUTH_0000002": errors.ValidationError,
    "PUB_AUTH_0000007": errors.Conflict,
    "BW_USER_NAME_NULL": errors.ValidationError,
    "BW_USER_EMAIL_REPEAT": errors.Conflict,
    "BW_USER_ENTITYNO_REPEAT": errors.Conflict,
    "BW_USER_ROLE_NULL": errors.ValidationError,
    "BW_USER_INRR_NAME_NULL": errors.ApiError,
    "BW_USER_INRR_PARAM_ERROR": errors.ApiError,
    "bw-user_1007": errors.ApiError,
    "bw-user_1008": errors.ApiError,
    "bw-user_1009": errors.ApiError,
    "bw-user_1010": errors.ApiError,
    "bw-user_1013": errors.ApiError,
    "bw-user_1014": errors.ApiError,
    "bw-user_1016": errors.ApiError,
    "bw-user_1018": errors.ApiError,
    "bw-user_1019": errors.ApiError,
    "bw-user_1020": errors.ApiError,
    "BW_REPORT_0000": errors.ApiError,
    "BW_REPORT_0022": errors.ApiError,
    "BW_REPORT_0023": errors.ApiError,
    "RIGHT_NO_00000001": errors.PermissionDenied,
    "MT4_3": errors.ApiError,
}


def check(error: pytest.ExceptionInfo[errors.ApiError], code: str, operation: str) -> None:
    expected = MCODES.get(code, errors.ApiError)
    assert type(error.value) is expected, f"{code}: {type(error.value).__name__}"
    assert (error.value.vendor, error.value.operation) == (API, operation)
    assert (error.value.status, error.value.code) == (200, code)
    assert error.value.message


@pytest.fixture
def quiet(clients: Clients) -> Any:
    """No retries: each failure is one recorded exchange, whatever the retry policy becomes."""
    return clients.make(API, max_retries=0)


def test_every_reference_mcode_is_listed() -> None:
    from tests.spec_data import spec

    documented = set(spec(API)["x-brokerlink-error-codes"]) - {"m0000000", "m00000"}
    assert documented == set(MCODES)


@pytest.mark.parametrize("code", sorted(MCODES))
async def test_mcode_in_a_query(quiet: Any, code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.get_user_ids(email=f"mcode:{code}")
    check(error, code, "getUserIds")


@pytest.mark.parametrize("code", ["-1", "BW_REQUEST_TOO_MUCH", "bw-user_1019"])
async def test_mcode_in_a_body(quiet: Any, code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.create_user(body={"email": f"mcode:{code}", "roleId": 1})
    check(error, code, "createUser")


async def test_unknown_mcode_is_still_an_api_error(quiet: Any) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.get_account_info(server_id="995", account_id=["1"])
    check(error, "BW_SANDBOX_0000042", "getAccountInfo")


@pytest.mark.parametrize(
    ("server_id", "code"),
    [
        ("990", "-1"),
        ("991", "BW_REQUEST_TOO_MUCH"),
        ("992", "BW_INVALID_PARAM"),
        ("993", "RIGHT_NO_00000001"),
        ("994", "m0000001"),
        ("996", "MT4_3"),
        ("12345", "BW_INVALID_SERVERID"),
    ],
)
async def test_server_id_failures(quiet: Any, server_id: str, code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.list_positions(server_id=server_id, account_id=["1"])
    check(error, code, "listPositions")


def cases(*pairs: tuple[str, dict[str, Any]]) -> list[Any]:
    return [pytest.param(body, code, id=code) for code, body in pairs]


@pytest.mark.parametrize(
    ("body", "code"),
    cases(
        ("PUB_AUTH_0000001", {"email": "not-an-email", "roleId": 1}),
        ("PUB_AUTH_0000007", {"email": "admin@broker.example", "roleId": 1}),
        ("PUB_AUTH_0000002", {"email": "x@y.example", "roleId": 1, "phone": {"phone": "abc"}}),
        ("bw-user_1010", {"email": "x@y.example", "roleId": 1, "levelId": "99"}),
        ("BW_USER_ENTITYNO_REPEAT", {"email": "x@y.example", "roleId": 1, "entityNo": "E001"}),
    ),
)
async def test_create_user_failures(quiet: Any, body: dict[str, Any], code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.create_user(body=body)
    check(error, code, "createUser")


@pytest.mark.parametrize(
    ("body", "code"),
    cases(
        ("bw-user_1014", {"id": 4, "parentId": 72}), ("BW_USER_NAME_NULL", {"id": 4, "name": ""})
    ),
)
async def test_update_user_failures(quiet: Any, body: dict[str, Any], code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.update_user(body=body)
    check(error, code, "updateUser")


@pytest.mark.parametrize(
    ("body", "code"),
    cases(
        (
            "BW_USER_INRR_NAME_NULL",
            {"name": "", "introduceType": "Agent", "visibleType": "UserAllVisible"},
        ),
        (
            "BW_USER_INRR_PARAM_ERROR",
            {
                "name": "a",
                "introduceType": "Agent",
                "visibleType": "UserAllVisible",
                "targetUrl": "http://x.example/?uid=1",
                "parameterType": "uid",
            },
        ),
    ),
)
async def test_introduce_link_failures(quiet: Any, body: dict[str, Any], code: str) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.create_introduce_link(body=body)
    check(error, code, "createIntroduceLink")


@pytest.mark.parametrize(
    ("change", "code"),
    cases(
        ("BW_REPORT_0023", {"serverId": "1000"}),
        ("BW_REPORT_0022", {"userId": "9999"}),
        ("BW_REPORT_0000", {"level": "7"}),
    ),
)
async def test_commission_report_failures(quiet: Any, change: dict[str, Any], code: str) -> None:
    body = {"serverId": "454", "userId": "4", "level": "0", **change}
    with pytest.raises(errors.ApiError) as error:
        await quiet.get_user_commission_report(body=body)
    check(error, code, "getUserCommissionReport")


async def test_wrong_login_password(quiet: Any) -> None:
    with pytest.raises(errors.ApiError) as error:
        await quiet.login_user(body={"email": "trader@broker.example", "password": "wrong"})
    check(error, "m0000001", "loginUser")


async def test_open_an_existing_account(quiet: Any) -> None:
    body = {
        "serverId": "1",
        "login": 3004272,
        "group": "g",
        "userId": 4,
        "name": "dup",
        "enable": 1,
        "readOnly": 0,
        "leverage": 100,
    }
    with pytest.raises(errors.ApiError) as error:
        await quiet.open_commission_account(body=body)
    check(error, "bw-user_1018", "openCommissionAccount")


async def test_change_balance_needs_valid_amount(quiet: Any) -> None:
    body = {"accountId": 2109730462, "serverId": "428", "amount": 5, "type": "GIFT"}
    with pytest.raises(errors.ApiError) as error:
        await quiet.change_balance(body=body, x_api_signature="sig")
    check(error, "BW_INVALID_PARAM", "changeBalance")


async def test_wrong_token(clients: Clients) -> None:
    brokerwork = clients.make(API, token=WRONG_TOKEN)
    with pytest.raises(errors.AuthenticationError) as error:
        await brokerwork.list_levels()
    check(error, "BW_API_0000003", "listLevels")
    assert WRONG_TOKEN not in str(error.value) + repr(error.value)


async def test_tenant_without_open_api(clients: Clients) -> None:
    brokerwork = clients.make(API, tenant_id="T_NO_OPENAPI")
    with pytest.raises(errors.PermissionDenied) as error:
        await brokerwork.list_levels()
    check(error, "BW_API_0000004", "listLevels")


async def test_rate_limit_fault(quiet: Any, fault: Any) -> None:
    fault("429", api=API)
    with pytest.raises(errors.RateLimited) as error:
        await quiet.list_levels()
    check(error, "BW_REQUEST_TOO_MUCH", "listLevels")


@pytest.mark.parametrize(
    ("mode", "exception"),
    [("html-502", errors.ServerError), ("html-503", errors.ServiceUnavailable)],
    ids=["html-502", "html-503"],
)
async def test_html_error_pages(
    quiet: Any, fault: Any, mode: str, exception: type[errors.ApiError]
) -> None:
    fault(mode, api=API)
    with pytest.raises(exception) as error:
        await quiet.list_levels()
    assert error.value.status == int(mode[-3:]) and error.value.code is None


@pytest.mark.parametrize("mode", ["malformed-json", "truncated-json", "empty-body"])
async def test_unparsable_answer(quiet: Any, fault: Any, mode: str) -> None:
    fault(mode, api=API)
    with pytest.raises(errors.UnexpectedResponse) as error:
        await quiet.list_levels()
    assert (error.value.operation, error.value.status) == ("listLevels", 200)


async def test_too_many_requests_is_waited_out(
    brokerwork: Any, clock: SharedClock, fault: Any
) -> None:
    """BW_REQUEST_TOO_MUCH arrives inside an HTTP 200; the retry plugin still resends."""
    fault("429", api=API)
    assert await brokerwork.list_levels()
    assert len(clock.waits) == 1
