"""MetaApi accounts: listing, the create/update/delete cycle, deployment and feature switches.

Ids come from the answers of the same cassette (never from the sandbox seed), so these tests can
be re-recorded against a real MetaApi account as well.
"""

from __future__ import annotations

from typing import Any

import pytest

from brokerlink.generated.metaapi.models import AccountState, MetatraderAccountList
from tests.cassette_suite.metaapi_data import NEW_ACCOUNT, new_account

API = "metaapi"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network]


async def test_list_and_get_accounts(metaapi: Any) -> None:
    accounts = await metaapi.list_accounts()
    assert accounts
    first = await metaapi.get_account(accounts[0].id)
    assert (first.id, first.name) == (accounts[0].id, accounts[0].name)


async def test_list_accounts_filters_and_paged_form(metaapi: Any) -> None:
    everything = await metaapi.list_accounts()
    mt5 = await metaapi.list_accounts(version=[5], limit=10, offset=0)
    assert mt5 and all(a.version == 5 for a in mt5)
    assert len(mt5) < len(everything)
    paged = await metaapi.list_accounts_page(limit=1)
    assert isinstance(paged, MetatraderAccountList)
    assert paged.count == len(everything) and len(paged.items) == 1


@pytest.mark.writes
async def test_create_update_delete_account(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    created = await metaapi.get_account(account_id)
    assert (created.name, created.login) == ("Cassette account", "5550001")
    update = {"name": "Renamed", "server": "ICMarketsSC-Demo", "magic": 7, "tags": ["cassette"]}
    assert await metaapi.update_account(account_id, body=update) is None
    updated = await metaapi.get_account(account_id)
    assert (updated.name, updated.magic, updated.tags) == ("Renamed", 7, ["cassette"])
    assert await metaapi.delete_account(account_id) is None
    remaining = await metaapi.list_accounts()
    assert account_id not in {a.id for a in remaining}


@pytest.mark.writes
async def test_deploy_undeploy_redeploy(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    assert await metaapi.undeploy_account(account_id) is None
    assert (await metaapi.get_account(account_id)).state == AccountState.UNDEPLOYED
    assert await metaapi.deploy_account(account_id, execute_for_all_replicas=False) is None
    assert (await metaapi.get_account(account_id)).state == AccountState.DEPLOYED
    assert await metaapi.redeploy_account(account_id) is None
    assert (await metaapi.get_account(account_id)).state == AccountState.DEPLOYED
    await metaapi.delete_account(account_id)


@pytest.mark.writes
async def test_feature_switches(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    assert await metaapi.increase_reliability(account_id) is None
    assert await metaapi.enable_risk_management_api(account_id) is None
    assert await metaapi.enable_metastats_api(account_id) is None
    roles = {"copyFactoryRoles": ["PROVIDER"], "copyFactoryResourceSlots": 2}
    assert await metaapi.enable_copy_factory_api(account_id, body=roles) is None
    account = await metaapi.get_account(account_id)
    assert account.reliability == "high"
    assert account.risk_management_api_enabled and account.metastats_api_enabled
    assert [str(r) for r in account.copy_factory_roles] == ["PROVIDER"]
    assert account.copy_factory_resource_slots == 2
    await metaapi.delete_account(account_id)


@pytest.mark.writes
async def test_account_features_at_once(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    features = {
        "copyFactoryApi": {"copyFactoryRoles": ["SUBSCRIBER"], "copyFactoryResourceSlots": 3},
        "metastatsApiEnabled": True,
        "reliabilityIncreased": True,
        "allocateDedicatedIp": "ipv4",
    }
    assert await metaapi.enable_account_features(account_id, body=features) is None
    account = await metaapi.get_account(account_id)
    assert (account.reliability, account.metastats_api_enabled) == ("high", True)
    assert not account.risk_management_api_enabled
    assert [str(r) for r in account.copy_factory_roles] == ["SUBSCRIBER"]
    assert (account.copy_factory_resource_slots, account.allocate_dedicated_ip) == (3, "ipv4")
    await metaapi.delete_account(account_id)


@pytest.mark.writes
async def test_configuration_link(metaapi: Any) -> None:
    draft = {k: v for k, v in NEW_ACCOUNT.items() if k not in ("login", "password")}
    account_id = str((await metaapi.create_account(body=draft)).id)
    link = await metaapi.create_configuration_link(account_id, ttl_in_days=3)
    assert link.configuration_link.startswith("http")
    assert "ttlInDays=3" in link.configuration_link
    await metaapi.delete_account(account_id)
