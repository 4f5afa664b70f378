"""The credential guard end to end: real MetaApi facades (sync and async) against the sandbox,
on every backend (memory, SQLite, a real Redis), with the guard's clock under test control."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.credentials import GuardPolicy, RateLimit
from brokerlink.sandbox.seed import MT5_PROFILE_ID, STALE_ACCOUNT_ID
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import VirtualClock
from tests.credentials.conftest import START, Api, StoreFactory

SERVER = "ICMarketsSC-Demo"
CREDENTIAL_CODES = {
    "E_AUTH": (errors.InvalidBrokerCredentials, "new password"),
    "E_NO_SYMBOLS": (errors.NoSymbols, "symbols"),
    "ERR_OTP_REQUIRED": (errors.OtpRequired, "OTP"),
    "E_PASSWORD_CHANGE_REQUIRED": (errors.PasswordChangeRequired, "change the password"),
    "E_TRADING_ACCOUNT_DISABLED": (errors.TradingAccountDisabled, "disabled"),
    "E_SERVER_TIMEZONE": (errors.BrokerSettingsDetectionFailed, "provisioning profile"),
}


def account(**fields: Any) -> dict[str, Any]:
    body = {
        "name": "acc",
        "server": SERVER,
        "magic": 1,
        "platform": "mt5",
        "login": "50012345",
        "password": "pw-good-1",
    }
    body.update(fields)
    return body


async def rejected(api: Api, method: str, *args: Any, **kwargs: Any) -> Exception:
    """The exception a call raises (it must raise)."""
    with pytest.raises(errors.BrokerLinkError) as caught:
        await api(method, *args, **kwargs)
    return caught.value


@pytest.mark.parametrize("code", sorted(CREDENTIAL_CODES))
async def test_every_reason_is_remembered_and_refused_locally(
    code: str, new_store: StoreFactory, make_api: Any, clock: VirtualClock
) -> None:
    cls, advice = CREDENTIAL_CODES[code]
    api = make_api(new_store())
    first = await rejected(api, "create_account", body=account(password=code))
    assert type(first) is cls
    clock.advance(30)
    second = await rejected(api, "create_account", body=account(password=code))
    assert isinstance(second, errors.KnownBadCredentials)
    assert second.reason == code
    assert second.rejected_as is cls
    assert second.first_seen == datetime.fromtimestamp(START, UTC)
    assert advice in str(second)
    assert api.responses.count("createAccount") == 1  # the second never left the process


async def test_resource_slots_need_the_recommended_number(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    body = account(password="E_RESOURCE_SLOTS", resourceSlots=1)
    first = await rejected(api, "create_account", body=body)
    assert isinstance(first, errors.ResourceSlotsTooLow)
    assert first.recommended_resource_slots == 2
    again = await rejected(api, "create_account", body=body)
    assert isinstance(again, errors.KnownBadCredentials)
    assert again.reason == "E_RESOURCE_SLOTS"
    assert again.recommended_resource_slots == 2
    assert "at least 2" in str(again)
    created = await api("create_account", body={**body, "resourceSlots": 2})
    assert created.id
    assert api.responses.count("createAccount") == 2
    # The success cleared the entry: the next attempt with 1 slot goes to MetaApi again.
    assert isinstance(await rejected(api, "create_account", body=body), errors.ResourceSlotsTooLow)


async def test_server_timezone_is_remembered_per_platform_and_server(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    magic = "E_SERVER_TIMEZONE"
    first = await rejected(api, "create_account", body=account(server=magic, login="1"))
    assert isinstance(first, errors.BrokerSettingsDetectionFailed)
    other_login = account(server=magic.lower(), login="2", password="another")
    refused = await rejected(api, "create_account", body=other_login)
    assert isinstance(refused, errors.KnownBadCredentials)
    assert refused.reason == magic
    assert "provisioning profile" in str(refused)
    # Another platform, or a provisioning profile instead of detection, is sent.
    sent = await rejected(api, "create_account", body=account(server=magic, platform="mt4"))
    assert isinstance(sent, errors.BrokerSettingsDetectionFailed)
    with_profile = account(server=magic, provisioningProfileId=MT5_PROFILE_ID)
    sent = await rejected(api, "create_account", body=with_profile)
    assert isinstance(sent, errors.BrokerSettingsDetectionFailed)
    assert api.responses.count("createAccount") == 3


async def test_server_names_compare_case_insensitively_passwords_do_not(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    await rejected(api, "create_account", body=account(password="E_AUTH"))
    for server in ("icmarketssc-demo", "ICMARKETSSC-DEMO", "IcMarketsSc-Demo"):
        refused = await rejected(
            api, "create_account", body=account(server=server, password="E_AUTH")
        )
        assert isinstance(refused, errors.KnownBadCredentials)
    created = await api("create_account", body=account(password="e_auth"))
    assert created.id
    assert api.responses.count("createAccount") == 2


async def test_entries_expire_after_their_ttl(
    new_store: StoreFactory, make_api: Any, clock: VirtualClock
) -> None:
    api = make_api(new_store(GuardPolicy(ttls={"E_AUTH": 600})))
    body = account(password="E_AUTH")
    await rejected(api, "create_account", body=body)
    clock.advance(599)
    assert isinstance(await rejected(api, "create_account", body=body), errors.KnownBadCredentials)
    clock.advance(2)
    assert isinstance(
        await rejected(api, "create_account", body=body), errors.InvalidBrokerCredentials
    )
    assert api.responses.count("createAccount") == 2


async def test_a_redeploy_rejection_marks_the_account_and_its_credentials(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    body = account(password="deploy:E_AUTH")
    created = await api("create_account", body=body)
    first = await rejected(api, "redeploy_account", created.id)
    assert isinstance(first, errors.InvalidBrokerCredentials)
    for method in ("redeploy_account", "deploy_account"):
        refused = await rejected(api, method, created.id)
        assert isinstance(refused, errors.KnownBadCredentials)
        assert created.id in str(refused) and "updateAccount" in str(refused)
    # Only the account id went out, yet the credentials behind it are now known bad.
    refused = await rejected(api, "create_account", body=body)
    assert isinstance(refused, errors.KnownBadCredentials)
    # Updating with the same password is refused too; a new one lifts the refusal.
    update = {"name": "acc", "server": SERVER.lower(), "password": "deploy:E_AUTH"}
    assert isinstance(
        await rejected(api, "update_account", created.id, body=update),
        errors.KnownBadCredentials,
    )
    await api("update_account", created.id, body={**update, "password": "pw-new-2"})
    await api("deploy_account", created.id)
    assert api.responses.count("redeployAccount") == 1
    assert api.responses.count("deployAccount") == 1
    assert api.responses.count("updateAccount") == 1


async def test_an_account_brokerlink_did_not_create_is_refused_until_updated(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    assert isinstance(
        await rejected(api, "redeploy_account", STALE_ACCOUNT_ID), errors.InvalidBrokerCredentials
    )
    assert isinstance(
        await rejected(api, "deploy_account", STALE_ACCOUNT_ID), errors.KnownBadCredentials
    )
    update = {"name": "stale", "server": SERVER, "password": "pw-fixed-3"}
    await api("update_account", STALE_ACCOUNT_ID, body=update)
    await api("deploy_account", STALE_ACCOUNT_ID)
    assert api.responses.count("deployAccount") == 1


async def test_update_and_create_share_the_credential_hash(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    created = await api("create_account", body=account())
    update = {"name": "acc", "server": SERVER, "password": "E_AUTH"}
    assert isinstance(
        await rejected(api, "update_account", created.id, body=update),
        errors.InvalidBrokerCredentials,
    )
    assert isinstance(
        await rejected(api, "update_account", created.id, body=update), errors.KnownBadCredentials
    )
    refused = await rejected(api, "create_account", body=account(password="E_AUTH"))
    assert isinstance(refused, errors.KnownBadCredentials)
    # A different login with that password is another combination: sent.
    sent = await rejected(api, "create_account", body=account(login="777", password="E_AUTH"))
    assert isinstance(sent, errors.InvalidBrokerCredentials)


async def test_replica_rejections_guard_the_primary_account(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    created = await api("create_account", body=account(password="deploy:E_AUTH"))
    replica = {"magic": 1, "region": "london"}
    first = await rejected(api, "create_account_replica", created.id, body=replica)
    assert isinstance(first, errors.InvalidBrokerCredentials)
    for method, args in (
        ("create_account_replica", {"body": replica}),
        ("deploy_account", {}),
    ):
        assert isinstance(
            await rejected(api, method, created.id, **args), errors.KnownBadCredentials
        )
    assert api.responses.count("createAccountReplica") == 1


async def test_override_sends_and_a_success_clears(
    new_store: StoreFactory, make_api: Any, sandbox: SandboxServer
) -> None:
    api = make_api(new_store())
    body = account(password="deploy:E_AUTH")
    created = await api("create_account", body=body)
    await rejected(api, "redeploy_account", created.id)
    assert isinstance(
        await rejected(api, "redeploy_account", created.id), errors.KnownBadCredentials
    )
    sandbox.sandbox.metaapi.accounts[created.id].deploy_error = None  # the broker fixed it
    await api.with_options(credential_guard=False)("redeploy_account", created.id)
    await api("redeploy_account", created.id)
    await api("create_account", body=body)
    assert api.responses.count("redeployAccount") == 3


async def test_override_still_records_rejections(new_store: StoreFactory, make_api: Any) -> None:
    api = make_api(new_store())
    unguarded = api.with_options(credential_guard=False)
    body = account(password="ERR_OTP_REQUIRED")
    for _ in range(2):
        assert isinstance(
            await rejected(unguarded, "create_account", body=body), errors.OtpRequired
        )
    refused = await rejected(api, "create_account", body=body)
    assert isinstance(refused, errors.KnownBadCredentials)
    assert api.responses.count("createAccount") == 2


async def test_too_many_rejections_of_one_end_user_cool_down(
    new_store: StoreFactory, make_api: Any, clock: VirtualClock
) -> None:
    policy = GuardPolicy(rate_limit=RateLimit(max_rejections=3, window=3600, cooldown=600))
    api = make_api(new_store(policy))
    alice = api.with_options(end_user_id="alice@example.com")
    for login in ("1", "2", "3"):
        sent = await rejected(alice, "create_account", body=account(login=login, password="E_AUTH"))
        assert isinstance(sent, errors.InvalidBrokerCredentials)
    fresh = account(login="4", password="pw-maybe-good")
    refused = await rejected(alice, "create_account", body=fresh)
    assert isinstance(refused, errors.TooManyRejectedAttempts)
    assert refused.retry_after == pytest.approx(600)
    assert "alice" not in str(refused) + repr(refused)
    assert refused.end_user_id == "alice@example.com"
    # The override lifts known-bad refusals, not a user's cool-down; other users are not affected.
    unguarded = alice.with_options(credential_guard=False)
    assert isinstance(
        await rejected(unguarded, "create_account", body=fresh), errors.TooManyRejectedAttempts
    )
    bob = api.with_options(end_user_id="bob")
    assert (await bob("create_account", body=account(login="5"))).id
    assert api.responses.count("createAccount") == 4
    clock.advance(601)
    assert (await alice("create_account", body=fresh)).id
    assert api.responses.count("createAccount") == 5


async def test_a_deploy_rejected_for_slots_waits_for_an_update(
    new_store: StoreFactory, make_api: Any
) -> None:
    api = make_api(new_store())
    created = await api("create_account", body=account(password="deploy:E_RESOURCE_SLOTS"))
    first = await rejected(api, "deploy_account", created.id)
    assert isinstance(first, errors.ResourceSlotsTooLow)
    refused = await rejected(api, "redeploy_account", created.id)
    assert isinstance(refused, errors.KnownBadCredentials)
    assert refused.recommended_resource_slots == 2 and "at least 2" in str(refused)
    update = {"name": "acc", "server": SERVER, "password": "pw-2", "resourceSlots": 2}
    await api("update_account", created.id, body=update)
    await api("redeploy_account", created.id)
    assert api.responses.count("deployAccount") + api.responses.count("redeployAccount") == 2


@pytest.mark.parametrize("code", sorted(CREDENTIAL_CODES))
async def test_every_reason_on_deploy_is_refused_until_the_account_is_updated(
    code: str, new_store: StoreFactory, make_api: Any
) -> None:
    cls, advice = CREDENTIAL_CODES[code]
    api = make_api(new_store())
    created = await api("create_account", body=account(password=f"deploy:{code}"))
    assert type(await rejected(api, "deploy_account", created.id)) is cls
    refused = await rejected(api, "redeploy_account", created.id)
    assert isinstance(refused, errors.KnownBadCredentials)
    assert refused.reason == code and advice in str(refused)
    update = {"name": "a", "server": SERVER, "password": "ok"}
    await api("update_account", created.id, body=update)
    if code == "E_SERVER_TIMEZONE":  # detection fails for that server until it changes (or TTL)
        again = await rejected(api, "redeploy_account", created.id)
        assert isinstance(again, errors.KnownBadCredentials)
        await api("update_account", created.id, body={**update, "server": "ICMarketsSC-Live"})
    await api("redeploy_account", created.id)
    assert api.responses.count("deployAccount") + api.responses.count("redeployAccount") == 2
