"""Broker Work: all nineteen operations, through the envelope into typed results.

Tests marked ``sandbox_only`` read the sandbox's seeded servers, accounts and users (a vendor
tenant has other ids).
"""

from __future__ import annotations

from typing import Any

import pytest

from brokerlink import errors
from tests.cassette_suite.target import ACCOUNT_PASSWORD, SIGNATURE

API = "brokerwork"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

NOV_2019 = {"from_": "2019-11-01 00:00:00", "to": "2019-11-30 23:59:59"}
NEW_USER = {
    "email": "cassette.user@broker.example",
    "name": "cassette",
    "roleId": 1,
    "phone": {"countryCode": "+86", "phone": "1888888"},
    "levelId": "5",
    "parentId": "4",
}


def ok(answer: Any) -> Any:
    """A successful call's payload (the facades return the envelope's data, never the envelope)."""
    assert not hasattr(answer, "mcode")
    return answer


async def test_list_levels(brokerwork: Any) -> None:
    levels = ok(await brokerwork.list_levels())
    assert levels and all(level.name for level in levels)


@pytest.mark.writes
async def test_user_cycle(brokerwork: Any) -> None:
    created = ok(await brokerwork.create_user(body={**NEW_USER, "password": ACCOUNT_PASSWORD}))
    assert created.id and created.password
    found = ok(await brokerwork.get_user_ids(email=NEW_USER["email"]))
    assert [row.user_id for row in found] == [created.id]
    update = {"id": created.id, "name": "renamed", "comment": "from a cassette"}
    assert ok(await brokerwork.update_user(body=update)) is None
    info = ok(await brokerwork.get_user_info(user_ids=[str(created.id)]))
    assert (info[0].name, info[0].comment) == ("renamed", "from a cassette")
    family = ok(await brokerwork.get_parent_and_lower_user_info(user_id=str(created.id)))
    assert created.id in {user.id for user in family}
    login = ok(
        await brokerwork.login_user(body={"email": NEW_USER["email"], "password": ACCOUNT_PASSWORD})
    )
    assert login is not None


@pytest.mark.writes
async def test_create_introduce_link(brokerwork: Any) -> None:
    body = {
        "name": "cassette link",
        "introduceType": "Agent",
        "visibleType": "UserAllVisible",
        "targetUrl": "http://example.com",
        "parameterType": "uid",
        "serverId": "428",
        "leverage": "100",
    }
    link = ok(await brokerwork.create_introduce_link(body=body))
    assert link.entity_no and link.display_url.endswith(link.entity_no)


@pytest.mark.sandbox_only
async def test_open_commission_account_then_read_it(brokerwork: Any) -> None:
    body = {
        "serverId": "428",
        "group": "OliTest",
        "leverage": "1",
        "userId": 4,
        "readOnly": "1",
        "enable": "1",
        "name": "cassette",
        "sendReports": "1",
        "phone": {"phone": "123", "countryCode": "+86"},
        "email": "s@broker.example",
        "password": ACCOUNT_PASSWORD,
        "investorPassword": ACCOUNT_PASSWORD,
    }
    account = ok(await brokerwork.open_commission_account(body=body))
    assert account.login and account.password and account.investor_password
    info = ok(await brokerwork.get_account_info(server_id="428", account_id=[str(account.login)]))
    rows = info if isinstance(info, list) else [info]
    assert rows[0].group == "OliTest"


@pytest.mark.sandbox_only
async def test_account_reads(brokerwork: Any) -> None:
    page = ok(await brokerwork.list_accounts(server_id="428", page=2, size=7, **NOV_2019))
    assert (page.total, page.size, len(page.list_)) == (30, 7, 7)
    by_user = ok(await brokerwork.get_account_info_by_user_id(user_ids=["85", "71"]))
    assert by_user
    info = ok(await brokerwork.get_account_info(server_id="1", account_id=["3004272", "3004273"]))
    assert {str(row.login) for row in info} == {"3004272", "3004273"}


@pytest.mark.sandbox_only
async def test_positions_and_deals(brokerwork: Any) -> None:
    positions = ok(await brokerwork.list_positions(server_id="428", account_id=["1234580230"]))
    assert len(positions) == 5
    deals = ok(await brokerwork.list_deals(server_id="428", account_id=["1122334496"]))
    assert len(deals) == 3


@pytest.mark.sandbox_only
async def test_set_account_owner_and_change_balance(brokerwork: Any) -> None:
    owner = {"accountId": 2109730462, "serverId": "428", "ownerId": "71"}
    assert ok(await brokerwork.set_account_owner(body=owner)) is None
    deposit = {"accountId": 2109730462, "serverId": "428", "amount": 5.5, "type": "DEPOSITE"}
    assert ok(await brokerwork.change_balance(body=deposit, x_api_signature=SIGNATURE)) is None
    info = ok(await brokerwork.get_account_info(server_id="428", account_id=["2109730462"]))
    assert str(info[0].owe_id) == "71"
    # the seed balance is 10: after the deposit exactly 15.5 can be withdrawn, and no more
    everything = {**deposit, "type": "WITHDRAWAL", "amount": 15.5}
    assert ok(await brokerwork.change_balance(body=everything, x_api_signature=SIGNATURE)) is None
    with pytest.raises(errors.ApiError) as refused:
        await brokerwork.change_balance(body={**everything, "amount": 1}, x_api_signature=SIGNATURE)
    assert refused.value.code == "m0000001"


@pytest.mark.sandbox_only
async def test_customers(brokerwork: Any) -> None:
    page = ok(await brokerwork.list_customers(page=1, size=2, **NOV_2019))
    assert (page.total, len(page.list_)) == (25, 2)
    first = page.list_[0]
    body = {"customId": first.id, "oweId": "87", "commendId": "ref-1"}
    assert ok(await brokerwork.set_customer_owner(body=body)) is None
    again = ok(await brokerwork.list_customers(size=1, **NOV_2019))
    assert (again.list_[0].owe_id, again.list_[0].commend_id) == ("87", "ref-1")


@pytest.mark.sandbox_only
async def test_commission_report(brokerwork: Any) -> None:
    body = {
        "serverId": "454",
        "userId": "4",
        "level": "0",
        "start": "2017-08-01",
        "end": "2017-08-10",
        "index": 2,
        "pageSize": 8,
    }
    page = ok(await brokerwork.get_user_commission_report(body=body))
    assert (page.total, page.pages, page.pager, len(page.list_)) == (30, 4, 2, 8)
