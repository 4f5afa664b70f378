"""Every documented MetaApi failure, replayed into the typed exception a caller catches.

Statuses 400/401/403/404/409/429/5xx, the eight trading-account ``details`` codes (on create,
update, deploy, replicas and demo accounts) and the malformed answers the sandbox can fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from brokerlink import errors
from tests.cassette_suite.clients import Clients
from tests.cassette_suite.metaapi_data import NEW_ACCOUNT, new_account
from tests.cassette_suite.target import WRONG_TOKEN

API = "metaapi"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

CODES: dict[str, type[errors.ApiError]] = {
    "E_AUTH": errors.InvalidBrokerCredentials,
    "E_SERVER_TIMEZONE": errors.BrokerSettingsDetectionFailed,
    "E_NO_SYMBOLS": errors.NoSymbols,
    "ERR_OTP_REQUIRED": errors.OtpRequired,
    "E_PASSWORD_CHANGE_REQUIRED": errors.PasswordChangeRequired,
    "E_TRADING_ACCOUNT_DISABLED": errors.TradingAccountDisabled,
    "E_SRV_NOT_FOUND": errors.BrokerServerNotFound,
    "E_RESOURCE_SLOTS": errors.ResourceSlotsTooLow,
}
UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"


def expect(error: pytest.ExceptionInfo[errors.ApiError], operation: str, status: int) -> None:
    assert (error.value.vendor, error.value.operation, error.value.status) == (
        API,
        operation,
        status,
    )


async def test_wrong_token_is_authentication_error(clients: Clients) -> None:
    metaapi = clients.make(API, token=WRONG_TOKEN)
    with pytest.raises(errors.AuthenticationError) as error:
        await metaapi.list_regions()
    expect(error, "listRegions", 401)
    assert WRONG_TOKEN not in str(error.value) + repr(error.value)


@pytest.mark.sandbox_only
async def test_forbidden_token_is_permission_denied(clients: Clients) -> None:
    metaapi = clients.make(API, token="forbidden")
    with pytest.raises(errors.PermissionDenied) as error:
        await metaapi.list_accounts()
    expect(error, "listAccounts", 403)


async def test_unknown_account_is_not_found(metaapi: Any) -> None:
    with pytest.raises(errors.NotFound) as error:
        await metaapi.get_account(UNKNOWN_ID)
    expect(error, "getAccount", 404)


@pytest.mark.writes
async def test_second_replica_in_a_region_conflicts(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    await metaapi.create_account_replica(account_id, body={"magic": 1, "region": "london"})
    with pytest.raises(errors.Conflict) as error:
        await metaapi.create_account_replica(account_id, body={"magic": 2, "region": "london"})
    expect(error, "createAccountReplica", 409)
    await metaapi.delete_account(account_id)


@pytest.mark.sandbox_only
async def test_field_errors_are_a_validation_error(metaapi: Any) -> None:
    with pytest.raises(errors.ValidationError) as error:
        await metaapi.create_account(body={**NEW_ACCOUNT, "region": "mars"})
    expect(error, "createAccount", 400)
    assert type(error.value) is errors.ValidationError
    assert [d["parameter"] for d in error.value.details] == ["region"]


@pytest.mark.writes
async def test_deploying_a_draft_is_refused(metaapi: Any) -> None:
    draft = {k: v for k, v in NEW_ACCOUNT.items() if k not in ("login", "password")}
    account_id = str((await metaapi.create_account(body=draft)).id)
    with pytest.raises(errors.ValidationError) as error:
        await metaapi.deploy_account(account_id)
    expect(error, "deployAccount", 400)
    await metaapi.delete_account(account_id)


@pytest.mark.sandbox_only
@pytest.mark.parametrize("code", sorted(CODES))
async def test_details_code_on_create(metaapi: Any, code: str) -> None:
    with pytest.raises(CODES[code]) as error:
        await metaapi.create_account(body={**NEW_ACCOUNT, "server": code})
    expect(error, "createAccount", 400)
    assert error.value.code == code


@pytest.mark.sandbox_only
async def test_server_not_found_suggests_servers(metaapi: Any) -> None:
    with pytest.raises(errors.BrokerServerNotFound) as error:
        await metaapi.create_account(body={**NEW_ACCOUNT, "login": "E_SRV_NOT_FOUND"})
    assert error.value.suggested_servers == {
        "Raw Trading Ltd": ["ICMarketsSC-Demo", "ICMarketsSC-MT5"]
    }


@pytest.mark.sandbox_only
async def test_resource_slots_then_success(metaapi: Any) -> None:
    body = {**NEW_ACCOUNT, "server": "E_RESOURCE_SLOTS"}
    with pytest.raises(errors.ResourceSlotsTooLow) as error:
        await metaapi.create_account(body=body)
    slots = error.value.recommended_resource_slots
    assert slots == 2
    created = await metaapi.create_account(body={**body, "resourceSlots": int(slots)})
    assert created.id


@pytest.mark.sandbox_only
async def test_details_code_on_update(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    with pytest.raises(errors.PasswordChangeRequired) as error:
        await metaapi.update_account(
            account_id, body={"name": "x", "server": "E_PASSWORD_CHANGE_REQUIRED"}
        )
    expect(error, "updateAccount", 400)


@pytest.mark.sandbox_only
@pytest.mark.parametrize(
    "step",
    ["deploy_account", "redeploy_account", "create_account_replica"],
)
async def test_details_code_surfaces_on_deploy(metaapi: Any, step: str) -> None:
    """A password ``deploy:<CODE>`` is accepted at creation; the broker refuses it on deploy."""
    account_id = await new_account(metaapi, password="deploy:E_NO_SYMBOLS")
    call: Callable[..., Any] = getattr(metaapi, step)
    kwargs = {"body": {"magic": 1, "region": "london"}} if "replica" in step else {}
    with pytest.raises(errors.NoSymbols) as error:
        await call(account_id, **kwargs)
    assert error.value.code == "E_NO_SYMBOLS" and error.value.status == 400


@pytest.mark.sandbox_only
@pytest.mark.parametrize(("platform", "code"), [("mt4", "E_AUTH"), ("mt5", "E_SERVER_TIMEZONE")])
async def test_details_code_on_demo_account(metaapi: Any, platform: str, code: str) -> None:
    profiles = await metaapi.list_provisioning_profiles()
    create = getattr(metaapi, f"create_{platform}_demo_account")
    body = {"balance": 1000, "email": "demo@example.com", "leverage": 100, "serverName": code}
    with pytest.raises(CODES[code]) as error:
        await create(profiles[0].id, body=body)
    expect(error, f"create{platform.capitalize()}DemoAccount", 400)


# --- faults: the sandbox breaks the next answer -------------------------------------------------
@pytest.mark.sandbox_only
async def test_rate_limited_carries_retry_after(clients: Clients, fault: Any) -> None:
    metaapi = clients.make(API, max_retries=0)
    fault("429", api=API)
    with pytest.raises(errors.RateLimited) as error:
        await metaapi.list_regions()
    expect(error, "listRegions", 429)
    assert error.value.retry_after == 1.0


@pytest.mark.sandbox_only
@pytest.mark.parametrize(
    ("mode", "exception", "status"),
    [
        ("html-500", errors.ServerError, 500),
        ("html-502", errors.ServerError, 502),
        ("html-503", errors.ServiceUnavailable, 503),
        ("html-504", errors.ServerError, 504),
    ],
)
async def test_html_error_pages(
    clients: Clients, fault: Any, mode: str, exception: type[errors.ApiError], status: int
) -> None:
    metaapi = clients.make(API, max_retries=0)
    fault(mode, api=API)
    with pytest.raises(exception) as error:
        await metaapi.get_account(UNKNOWN_ID)
    expect(error, "getAccount", status)
    assert b"<html" in error.value.body.lower()


@pytest.mark.sandbox_only
@pytest.mark.parametrize("mode", ["malformed-json", "truncated-json", "empty-body"])
async def test_unparsable_success_is_unexpected_response(
    clients: Clients, fault: Any, mode: str
) -> None:
    metaapi = clients.make(API, max_retries=0)
    fault(mode, api=API)
    with pytest.raises(errors.UnexpectedResponse) as error:
        await metaapi.list_accounts()
    expect(error, "listAccounts", 200)
