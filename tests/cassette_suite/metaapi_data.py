"""MetaApi request bodies and steps shared by the MetaApi cassette tests."""

from __future__ import annotations

from typing import Any

from tests.cassette_suite.target import ACCOUNT_PASSWORD

NEW_ACCOUNT = {
    "name": "Cassette account",
    "server": "ICMarketsSC-Demo",
    "magic": 1000,
    "platform": "mt5",
    "login": "5550001",
    "password": ACCOUNT_PASSWORD,
    "region": "vint-hill",
}


async def new_account(metaapi: Any, **fields: Any) -> str:
    created = await metaapi.create_account(body={**NEW_ACCOUNT, **fields})
    assert created.id
    return str(created.id)


DEMO = {"balance": 1000, "email": "demo@example.com", "leverage": 100, "serverName": "X-Demo"}
