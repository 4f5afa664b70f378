"""Code a user writes against brokerlink, type-checked by tests/test_typed_usage.py with mypy
--strict (never run): no casts, no ignores, no isinstance checks on brokerlink's types."""

from __future__ import annotations

from decimal import Decimal

import brokerlink
from brokerlink import errors
from brokerlink.b2core import Account
from brokerlink.brokerwork import AccountInfo
from brokerlink.metaapi import AccountState, MetatraderAccount


def deployed_ids(meta: brokerlink.MetaApi) -> list[str]:
    # one return type: a list, whatever api-version the server answers with
    accounts = meta.list_accounts(state=["DEPLOYED"], sort_order="asc", limit=100)
    page = meta.list_accounts_page(limit=1)
    total: int | None = page.count
    assert total is None or total >= len(accounts)
    return [a.id for a in accounts if a.state == AccountState.DEPLOYED]


def every_name(meta: brokerlink.MetaApi) -> list[str | None]:
    return [a.name for a in meta.iter_accounts(state=["DEPLOYED"], page_size=50)]


async def every_number(b2: brokerlink.AsyncB2Core) -> list[str | None]:
    return [a.number async for a in b2.iter_accounts(filter_={"currency": "USD"})]


def region_of(account: MetatraderAccount) -> str:
    return account.region or "vint-hill"  # an optional field reads as str | None


def usd_balance(b2: brokerlink.B2Core) -> Decimal:
    accounts: list[Account] = b2.list_accounts(sort_by="createTime", sort_order="desc")
    return sum((a.balance for a in accounts if a.balance is not None), Decimal(0))


def leverages(work: brokerlink.BrokerWork) -> dict[str, int | str | None]:
    info: list[AccountInfo] = work.get_account_info(server_id="1", account_id=["3004272"])
    return {str(a.login): a.leverage for a in info}


def redeploy(meta: brokerlink.MetaApi, account_id: str) -> None:
    try:
        meta.with_options(max_retries=1, timeout=10.0).redeploy_account(account_id)
    except errors.RateLimited as exc:
        retry_after: float | None = exc.retry_after
        print(retry_after)
    deployed: MetatraderAccount = meta.wait_deployed(account_id, timeout=60)
    print(deployed.state)


async def raw(meta: brokerlink.AsyncMetaApi, account_id: str) -> str | None:
    answer = await meta.with_raw_response.get_account(account_id)
    account: MetatraderAccount = answer.parse()
    return answer.request_id or account.name
