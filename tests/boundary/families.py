"""The operation families the boundary tests drive, and how to run one call of a family."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brokerlink
from tests.spec_data import success

CREDENTIALS: dict[str, dict[str, str]] = {
    "metaapi": {"token": "meta-secret-token", "credential_cache": "memory://"},
    "brokerwork": {"tenant_id": "T001117", "token": "bw-secret-token"},
    "b2core": {"client_id": "ib-app", "client_secret": "b2-secret-value"},
}
FACADES = {"metaapi": "MetaApi", "brokerwork": "BrokerWork", "b2core": "B2Core"}
ACCOUNT = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
NEW_META = {
    "name": "Alice",
    "server": "ICMarketsSC-Demo",
    "platform": "mt5",
    "login": "123",
    "password": "secret-pass",
    "magic": 0,
}
NEW_B2 = {
    "number": "9",
    "platformId": "6006dda272f002519c3eb505",
    "profileId": "6006dda272f002519c3eb520",
}
TOKEN = {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 600}


@dataclass(frozen=True)
class Family:
    name: str
    api: str
    operation: str
    call: Callable[[Any], Any]
    safe: bool  # resending is allowed (idempotent or carrying a transaction-id)
    status: int  # the success status
    body: Any  # a success body (None: no content)

    def ok_bytes(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


def _body(api: str, operation: str, listed: tuple[str, str] | None = None) -> tuple[int, Any]:
    status, body = success(api, operation)
    if listed is not None:
        body = [success(*listed)[1]]
    return status, body


def _family(
    name: str,
    api: str,
    operation: str,
    call: Callable[[Any], Any],
    safe: bool,
    listed: tuple[str, str] | None = None,
) -> Family:
    status, body = _body(api, operation, listed)
    return Family(name, api, operation, call, safe, status, body)


FAMILIES = {
    f.name: f
    for f in [
        _family("meta-get", "metaapi", "getAccount", lambda c: c.get_account(ACCOUNT), True),
        _family(
            "meta-list",
            "metaapi",
            "listAccounts",
            lambda c: c.list_accounts(),
            True,
            listed=("metaapi", "getAccount"),
        ),
        _family(
            "meta-create",
            "metaapi",
            "createAccount",
            lambda c: c.create_account(body=NEW_META),
            True,
        ),
        _family(
            "meta-redeploy",
            "metaapi",
            "redeployAccount",
            lambda c: c.redeploy_account(ACCOUNT, execute_for_all_replicas=False),
            True,
        ),
        _family(
            "bw-get",
            "brokerwork",
            "getAccountInfo",
            lambda c: c.get_account_info(server_id="1", account_id=["3004272"]),
            True,
        ),
        _family(
            "b2-list",
            "b2core",
            "listAccounts",
            lambda c: c.list_accounts(),
            True,
            listed=("b2core", "createAccount"),
        ),
        _family(
            "b2-create", "b2core", "createAccount", lambda c: c.create_account(body=NEW_B2), False
        ),
    ]
}


def client(api: str, base_url: str, asynchronous: bool, **options: Any) -> Any:
    name = ("Async" if asynchronous else "") + FACADES[api]
    return getattr(brokerlink, name)(base_url=base_url, **CREDENTIALS[api], **options)


def run(
    api: str,
    base_url: str,
    asynchronous: bool,
    action: Callable[[Any], Any],
    *,
    calls: int = 1,
    **options: Any,
) -> Any:
    """Make a client, apply ``action`` ``calls`` times (awaited when async), close it; the last
    result (or the first exception, raised)."""
    facade = client(api, base_url, asynchronous, **options)
    if not asynchronous:
        with facade:
            for _ in range(calls):
                result = action(facade)
            return result

    async def go() -> Any:
        async with facade:
            for _ in range(calls):
                result = await action(facade)
            return result

    return asyncio.run(go())
