"""MetaApi replicas, provisioning profiles (with file upload), demo accounts and regions."""

from __future__ import annotations

import io
from typing import Any

import pytest

from brokerlink.generated.metaapi.models import (
    ExpertAdvisorFileUpload,
    ProvisioningProfileFileUpload,
    ProvisioningProfileList,
)
from brokerlink.generated.metaapi.types import File
from tests.cassette_suite.metaapi_data import DEMO, new_account

API = "metaapi"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

NEW_PROFILE = {
    "name": "Cassette profile",
    "version": 4,
    "brokerTimezone": "EET",
    "brokerDSTSwitchTimezone": "EET",
}


@pytest.mark.writes
async def test_replica_cycle(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    created = await metaapi.create_account_replica(
        account_id, body={"magic": 5, "region": "london", "tags": ["r"]}
    )
    replicas = await metaapi.list_account_replicas(account_id)
    assert [r.id for r in replicas] == [created.id]
    replica = await metaapi.get_account_replica(account_id, created.id)
    assert (replica.region, replica.magic) == ("london", 5)
    assert (
        await metaapi.update_account_replica(
            account_id, created.id, body={"magic": 6, "tags": ["s"]}
        )
        is None
    )
    assert (await metaapi.get_account_replica(account_id, created.id)).magic == 6
    assert await metaapi.undeploy_account_replica(account_id, created.id) is None
    assert (await metaapi.get_account_replica(account_id, created.id)).state == "UNDEPLOYED"
    assert await metaapi.deploy_account_replica(account_id, created.id) is None
    assert (await metaapi.get_account_replica(account_id, created.id)).state == "DEPLOYED"
    assert await metaapi.redeploy_account_replica(account_id, created.id) is None
    assert await metaapi.delete_account_replica(account_id, created.id) is None
    assert await metaapi.list_account_replicas(account_id) == []
    await metaapi.delete_account(account_id)


async def test_list_and_get_profiles(metaapi: Any) -> None:
    profiles = await metaapi.list_provisioning_profiles()
    assert profiles
    one = await metaapi.get_provisioning_profile(profiles[0].id)
    assert one.name == profiles[0].name
    paged = await metaapi.list_provisioning_profiles_page(limit=1)
    assert isinstance(paged, ProvisioningProfileList)
    assert paged.count == len(profiles) and len(paged.items) == 1


@pytest.mark.writes
async def test_profile_cycle_with_upload(metaapi: Any) -> None:
    created = await metaapi.create_provisioning_profile(body=NEW_PROFILE)
    profile_id = created.id
    assert (await metaapi.get_provisioning_profile(profile_id)).status == "new"
    assert await metaapi.update_provisioning_profile(profile_id, body={"name": "Renamed"}) is None
    upload = ProvisioningProfileFileUpload(
        file=File(payload=io.BytesIO(b"\x00" * 64), file_name="broker.srv")
    )
    assert (
        await metaapi.upload_provisioning_profile_file(profile_id, "broker.srv", body=upload)
        is None
    )
    profile = await metaapi.get_provisioning_profile(profile_id)
    assert (profile.name, profile.status) == ("Renamed", "active")
    assert await metaapi.delete_provisioning_profile(profile_id) is None
    remaining = await metaapi.list_provisioning_profiles()
    assert profile_id not in {p.id for p in remaining}


@pytest.mark.writes
async def test_expert_advisor_cycle(metaapi: Any) -> None:
    account_id = await new_account(metaapi)
    assert await metaapi.list_expert_advisors(account_id) == []
    settings = {"period": "1h", "symbol": "EURUSD", "preset": "a2V5MT12YWx1ZTEK"}
    assert await metaapi.update_expert_advisor(account_id, "grid", body=settings) is None
    expert = await metaapi.get_expert_advisor(account_id, "grid")
    assert (expert.expert_id, expert.period, expert.file_uploaded) == ("grid", "1h", False)
    upload = ExpertAdvisorFileUpload(
        file=File(payload=io.BytesIO(b"\x00program"), file_name="grid.ex5")
    )
    assert await metaapi.upload_expert_advisor_file(account_id, "grid", body=upload) is None
    listed = await metaapi.list_expert_advisors(account_id)
    assert [(e.expert_id, e.file_uploaded) for e in listed] == [("grid", True)]
    assert await metaapi.delete_expert_advisor(account_id, "grid") is None
    assert await metaapi.list_expert_advisors(account_id) == []
    await metaapi.delete_account(account_id)


@pytest.mark.writes
@pytest.mark.parametrize("platform", ["mt4", "mt5"])
async def test_demo_account(metaapi: Any, platform: str) -> None:
    profiles = await metaapi.list_provisioning_profiles(version=4 if platform == "mt4" else 5)
    create = getattr(metaapi, f"create_{platform}_demo_account")
    demo = await create(profiles[0].id, body=DEMO)
    assert demo.login and demo.password and demo.investor_password
    assert demo.server_name == "X-Demo"


async def test_regions_and_quotas(metaapi: Any) -> None:
    regions = await metaapi.list_regions()
    assert "london" in regions
    quotas = await metaapi.get_region_quotas(regions[0])
    assert quotas.max_accounts is not None
    everywhere = await metaapi.get_user_quotas()
    assert [q.region for q in everywhere] == regions
    used = everywhere[0].max_accounts
    assert used is not None and used.quota == quotas.max_accounts
