"""Logging under ``brokerlink.*``: useful lines, and no secret anywhere (logs, errors, reprs)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time
from tests.hooks.conftest import CREDENTIALS, MODES, client, fault

ACCOUNT_PASSWORD = "Acc0unt-Pa55word!"
LOGIN_PASSWORD = "Abcd1234"  # the sandbox's Broker Work users all have it


def scenario(sandbox: SandboxServer, asynchronous: bool) -> list[Any]:
    """Calls of all three APIs touching every secret, with waits and failures; what came out."""
    sandbox.sandbox.options.accepted_retries = 1
    fault(sandbox, "html-503", times=1, api="metaapi")
    outcomes: list[Any] = []
    account = {
        "login": "50194988",
        "password": ACCOUNT_PASSWORD,
        "name": "log test",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
    }
    rejected = {**account, "password": "E_AUTH"}
    facades = {
        api: client(api, sandbox.base_url(api), asynchronous, max_retries=1)
        for api in ("metaapi", "brokerwork", "b2core")
    }
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("metaapi", "list_regions", {}),
        ("metaapi", "create_account", {"body": account}),
        ("metaapi", "create_account", {"body": rejected}),
        (
            "brokerwork",
            "login_user",
            {"body": {"email": "trader@broker.example", "password": LOGIN_PASSWORD}},
        ),
        (
            "brokerwork",
            "login_user",
            {"body": {"email": "trader@broker.example", "password": "wrong-" + LOGIN_PASSWORD}},
        ),
        ("b2core", "list_accounts", {}),
        ("b2core", "advance", {}),  # the token expires: refreshed once on 401
        ("b2core", "list_accounts", {}),
    ]

    async def astep(api: str, name: str, kwargs: dict[str, Any]) -> Any:
        return await getattr(facades[api], name)(**kwargs)

    import asyncio

    async def arun() -> None:
        for api, name, kwargs in steps:
            if name == "advance":
                sandbox.clock.advance(sandbox.sandbox.options.token_lifetime + 1)  # type: ignore[attr-defined]
                continue
            try:
                outcomes.append(await astep(api, name, kwargs))
            except errors.BrokerLinkError as exc:
                outcomes.append(exc)
        for facade in facades.values():
            await facade.close()

    with virtual_time(sandbox.clock):
        if asynchronous:
            asyncio.run(arun())
        else:
            for api, name, kwargs in steps:
                if name == "advance":
                    sandbox.clock.advance(sandbox.sandbox.options.token_lifetime + 1)  # type: ignore[attr-defined]
                    continue
                try:
                    outcomes.append(getattr(facades[api], name)(**kwargs))
                except errors.BrokerLinkError as exc:
                    outcomes.append(exc)
            for facade in facades.values():
                facade.close()
    return outcomes


@MODES
def test_no_secret_in_any_log_line_error_or_repr(
    sandbox: SandboxServer, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    outcomes = scenario(sandbox, asynchronous)
    issued = [token for token in sandbox.sandbox.b2core.tokens]
    secrets = [
        *(value for creds in CREDENTIALS.values() for value in creds.values() if "secret" in value),
        ACCOUNT_PASSWORD,
        LOGIN_PASSWORD,
        *issued,
    ]
    assert issued, "the scenario must have fetched B2Core tokens"
    assert any(isinstance(o, errors.InvalidBrokerCredentials) for o in outcomes)
    assert any(isinstance(o, errors.ApiError) and o.vendor == "brokerwork" for o in outcomes)
    texts = [record.getMessage() for record in caplog.records]
    texts += [str(o) + repr(o) for o in outcomes]
    texts += [repr(client(api, "http://x", asynchronous)) for api in CREDENTIALS]
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"secret leaked: {leaks[:2]}"
    ours = [r for r in caplog.records if r.name.startswith("brokerlink.")]
    assert {r.name for r in ours} >= {"brokerlink.http", "brokerlink.wait"}
    sends = [r.getMessage() for r in ours if "attempt" in r.getMessage()]
    assert any("metaapi.createAccount POST /metaapi/users/current/accounts" in s for s in sends)


@MODES
def test_quiet_by_default_one_info_per_wait(
    sandbox: SandboxServer, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="brokerlink")
    scenario(sandbox, asynchronous)
    ours = [r for r in caplog.records if r.name.startswith("brokerlink.")]
    # Waits: the 503 retry, one 202 per create (two creates): nothing else at INFO.
    assert [r.name for r in ours] == ["brokerlink.wait"] * 3
    assert [r.levelno for r in ours] == [logging.INFO] * 3
