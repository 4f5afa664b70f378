"""A store that is down never crashes a call nor refuses one wrongly: it logs and lets the
request through (default) or raises ``CredentialCacheUnavailable`` (``on_error="raise"``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.credentials import Entry, GuardPolicy, MemoryStore, RedisStore, SQLiteStore, Write
from brokerlink.testing import VirtualClock
from tests.credentials.conftest import SHARED_KEY, free_port
from tests.credentials.drive import Driver, on_account, update
from tests.credentials.test_guard_sandbox import account, rejected

LOGGER = "brokerlink.credentials"


class Flaky(MemoryStore):
    """A real in-memory store whose reads and/or writes can be switched off."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.reads_fail = self.writes_fail = False

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if self.reads_fail:
            raise ConnectionError("backend unreachable")
        return super().fetch(keys, now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        if self.writes_fail:
            raise errors.CredentialCacheUnavailable("backend is read-only")
        super().apply(writes, now)


def broken(kind: str, tmp_path: Path, policy: GuardPolicy) -> Any:
    if kind == "sqlite":
        (tmp_path / "file").write_text("not a directory")
        return SQLiteStore(tmp_path / "file" / "guard.db", policy=policy)
    if kind == "redis":
        return RedisStore(
            f"redis://127.0.0.1:{free_port()}/0", key=SHARED_KEY, policy=policy, timeout=0.5
        )
    store = Flaky(policy=policy)
    store.reads_fail = store.writes_fail = True
    return store


KINDS = pytest.mark.parametrize("kind", ["sqlite", "redis", "custom"])


@KINDS
async def test_a_down_store_lets_requests_through_with_a_warning(
    kind: str,
    tmp_path: Path,
    make_api: Any,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    api = make_api(broken(kind, tmp_path, GuardPolicy(store_retry_after=5)))
    body = account(password="E_AUTH")
    for _ in range(2):
        sent = await rejected(api, "create_account", body=body)
        assert isinstance(sent, errors.InvalidBrokerCredentials)
    assert len(caplog.records) == 1  # then left alone for store_retry_after seconds
    assert "sending without the credential guard" in caplog.records[0].getMessage()
    clock.advance(6)
    assert isinstance(await rejected(api, "create_account", body=body), errors.BrokerLinkError)
    assert len(caplog.records) == 2
    assert api.responses.count("createAccount") == 3


@KINDS
async def test_a_down_store_can_refuse_instead(
    kind: str, tmp_path: Path, make_api: Any, clock: VirtualClock
) -> None:
    api = make_api(broken(kind, tmp_path, GuardPolicy(on_error="raise")))
    for _ in range(2):
        refused = await rejected(api, "create_account", body=account())
        assert isinstance(refused, errors.CredentialCacheUnavailable)
    assert api.responses.count("createAccount") == 0
    # Calls the guard does not cover are unaffected.
    assert isinstance(await api("list_accounts"), list)


async def test_failed_writes_never_fail_a_successful_call(
    make_api: Any, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    store = Flaky(policy=GuardPolicy(on_error="raise"))
    store.writes_fail = True
    api = make_api(store)
    created = await api("create_account", body=account())
    assert created.id
    assert "answer not remembered" in caplog.records[0].getMessage()


async def test_entries_written_before_an_outage_still_count_after_it(
    make_api: Any, clock: VirtualClock
) -> None:
    store = Flaky(policy=GuardPolicy(store_retry_after=5))
    api = make_api(store)
    body = account(password="E_TRADING_ACCOUNT_DISABLED")
    await rejected(api, "create_account", body=body)
    store.reads_fail = True
    assert isinstance(
        await rejected(api, "create_account", body=body), errors.TradingAccountDisabled
    )
    store.reads_fail = False
    clock.advance(6)
    assert isinstance(await rejected(api, "create_account", body=body), errors.KnownBadCredentials)


async def test_a_misconfigured_store_is_an_error_not_an_outage(
    make_api: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_KEY", raising=False)
    api = make_api(redis_url)
    refused = await rejected(api, "create_account", body=account())
    assert isinstance(refused, errors.InvalidRequest)
    assert "BROKERLINK_CACHE_KEY" in str(refused)
    api = make_api("nosuch://here")
    assert isinstance(await rejected(api, "deploy_account", "x"), errors.InvalidRequest)
    assert api.responses.count("deployAccount") == 0


@KINDS
@pytest.mark.parametrize(
    "attempt",
    [update("acc-1", password="pw"), on_account("deployAccount", "acc-1")],
    ids=["update", "deploy"],
)
async def test_the_record_first_checks_of_a_down_store_pass_or_raise(
    kind: str,
    attempt: Any,
    tmp_path: Path,
    asynchronous: bool,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update's and a deploy's reads (the record, then its keys) fail like any other: the
    check lets the request through with a warning, or raises when so configured."""
    caplog.set_level(logging.WARNING, LOGGER)
    for name in ("a", "r"):
        (tmp_path / name).mkdir()
    allowing = Driver(broken(kind, tmp_path / "a", GuardPolicy()), asynchronous)
    assert await allowing.check(attempt) is None
    assert "sending without the credential guard" in caplog.records[-1].getMessage()
    raising = Driver(broken(kind, tmp_path / "r", GuardPolicy(on_error="raise")), asynchronous)
    with pytest.raises(errors.CredentialCacheUnavailable):
        await raising.check(attempt)
