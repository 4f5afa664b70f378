"""``brokerlink guard show`` and ``forget``: refusals learnt by real clients against the sandbox
in the default per-base-URL SQLite files (or a real Redis), inspected and forgotten by the CLI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.credentials import RedisStore, SQLiteStore
from brokerlink.credentials.resolve import scope_of
from brokerlink.credentials.sqlite_store import default_path
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer
from tests.cli.conftest import run_cli

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="platformdirs reads XDG_CACHE_HOME on Linux"
)
SERVER = "ICMarketsSC-Demo"
LOGIN = "50012345"
SECRET = "E_AUTH"  # the sandbox's magic password: the broker rejects it


def body(password: str = SECRET, login: str = LOGIN) -> dict[str, Any]:
    return {"name": "a", "server": SERVER, "magic": 1, "platform": "mt5", "login": login,
            "password": password}  # fmt: skip


@pytest.fixture(autouse=True)
def _default_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_URL")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def create(base_url: str, **fields: Any) -> Exception | Any:
    """createAccount through a real client on the default store: its result or its error."""
    with brokerlink.MetaApi(token="t", base_url=base_url) as meta:
        try:
            return meta.create_account(body=body(**fields))
        except errors.BrokerLinkError as exc:
            return exc


def stored(base_url: str) -> list[bytes]:
    store = SQLiteStore(default_path(scope_of(base_url)))
    try:
        return list(store.entries())
    finally:
        store.close()


@pytest.fixture
def other_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock()) as server:
        yield server


def test_show_on_an_empty_machine_says_so() -> None:
    run = run_cli(["guard", "show"])
    assert run.code == 0 and "holds nothing" in run.stdout


def test_show_counts_refusals_per_base_url_and_prints_no_secret(
    sandbox: SandboxServer, other_sandbox: SandboxServer
) -> None:
    url, other = sandbox.base_url("metaapi"), other_sandbox.base_url("metaapi")
    assert isinstance(create(url), errors.InvalidBrokerCredentials)
    assert isinstance(create(url, login="777"), errors.InvalidBrokerCredentials)
    assert not isinstance(create(other, password="ok-pass-1"), Exception)
    run = run_cli(["guard", "show", "-o", "json"])
    report = {item["base_url"]: item for item in run.json()}
    assert set(report) == {url, other}
    assert report[url]["reasons"] == {
        "E_AUTH": {"total": 2, "< 1 hour": 2, "< 1 day": 0, "< 1 week": 0, "older": 0}
    }
    assert report[other]["reasons"]["record"]["total"] == 1  # the created account's record
    assert "E_AUTH" not in report[other]["reasons"]
    table = run_cli(["guard", "show"])
    assert table.code == 0 and url in table.stdout and "account records" in table.stdout
    only = run_cli(["guard", "show", "--base-url", other + "/"]).stdout
    assert other in only and url not in only
    for text in (run.stdout, table.stdout):
        assert LOGIN not in text and SERVER not in text
        assert not any(key.hex() in text for key in stored(url) + stored(other))


def test_forget_given_the_credentials_lets_them_be_sent_again(sandbox: SandboxServer) -> None:
    url, password = sandbox.base_url("metaapi"), "s3cret-pass-9"
    rejected = {"login": "E_AUTH", "password": password}  # the sandbox rejects this login
    create(url, **rejected)
    assert isinstance(create(url, **rejected), errors.KnownBadCredentials)
    args = ["guard", "forget", "--base-url", url, "--server", SERVER.lower(), "--login", "E_AUTH"]
    wrong = run_cli(args, input="not-the-password\n")
    assert wrong.code == 0 and "Nothing was remembered" in wrong.stdout
    assert isinstance(create(url, **rejected), errors.KnownBadCredentials)
    run = run_cli(args, input=f"{password}\n")  # the hidden prompt
    assert run.code == 0 and "Forgot 1 E_AUTH" in run.stdout and url in run.stdout
    assert password not in run.stdout + run.stderr  # never echoed
    assert isinstance(create(url, **rejected), errors.InvalidBrokerCredentials)  # sent, learnt
    from_env = run_cli([*args, "--platform", "MT5"], env={"BROKERLINK_GUARD_PASSWORD": password})
    assert "Forgot 1 E_AUTH" in from_env.stdout and "Password" not in from_env.stderr
    assert stored(url) == []


def test_forget_in_another_base_url_keeps_this_ones(
    sandbox: SandboxServer, other_sandbox: SandboxServer
) -> None:
    url = sandbox.base_url("metaapi")
    create(url)
    args = ["--server", SERVER, "--login", LOGIN]
    env = {"BROKERLINK_GUARD_PASSWORD": SECRET}
    base = ["--base-url", other_sandbox.base_url("metaapi")]
    run = run_cli(["guard", "forget", *base, *args], env=env)
    assert "Nothing was remembered" in run.stdout
    assert isinstance(create(url), errors.KnownBadCredentials)


def test_forget_by_account_id_lifts_a_deploy_refusal(sandbox: SandboxServer) -> None:
    url = sandbox.base_url("metaapi")
    made = create(url, password="deploy:E_AUTH")
    with brokerlink.MetaApi(token="t", base_url=url) as meta:
        with pytest.raises(errors.InvalidBrokerCredentials):
            meta.redeploy_account(made.id)
        with pytest.raises(errors.KnownBadCredentials):
            meta.deploy_account(made.id)
    sandbox.sandbox.metaapi.accounts[made.id].deploy_error = None  # fixed at the broker
    run = run_cli(["guard", "forget", "--base-url", url, "--account-id", made.id])
    assert run.code == 0 and "Forgot 2 E_AUTH for account" in run.stdout  # the mark, the creds
    with brokerlink.MetaApi(token="t", base_url=url) as meta:
        meta.deploy_account(made.id)
    again = run_cli(["guard", "forget", "--base-url", url, "--account-id", made.id])
    assert "Nothing was remembered" in again.stdout
    assert [e.reason for e in _entries(url)] == ["record"]  # the record stays


def _entries(base_url: str) -> list[Any]:
    store = SQLiteStore(default_path(scope_of(base_url)))
    try:
        return list(store.entries().values())
    finally:
        store.close()


@pytest.fixture
def redis_url() -> str:
    """The real Redis of the credential tests (``$BROKERLINK_TEST_REDIS_URL``)."""
    return os.environ.get("BROKERLINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_a_redis_store_is_shown_and_forgotten_for_its_base_url(
    sandbox: SandboxServer, redis_url: str
) -> None:
    key = "cli-guard-test-key-0123456789"
    env = {"BROKERLINK_CACHE_URL": redis_url, "BROKERLINK_CACHE_KEY": key}
    url = sandbox.base_url("metaapi")
    scoped = RedisStore(redis_url, key=key, prefix=f"brokerlink:guard:{scope_of(url)}:")
    try:
        meta = brokerlink.MetaApi(token="t", base_url=url, credential_cache=scoped)
        with meta, pytest.raises(errors.InvalidBrokerCredentials):
            meta.create_account(body=body())
        show = run_cli(["guard", "show", "--base-url", url, "-o", "json"], env=env)
        (item,) = show.json()
        assert item["base_url"] == url and item["reasons"]["E_AUTH"]["total"] == 1
        assert "cli-guard-test-key" not in show.stdout
        forget = ["guard", "forget", "--base-url", url, "--server", SERVER, "--login", LOGIN]
        run = run_cli(forget, env={**env, "BROKERLINK_GUARD_PASSWORD": SECRET})
        assert "Forgot 1 E_AUTH" in run.stdout
        assert scoped.entries() == {}
    finally:
        scoped.close()
        import redis

        with redis.Redis.from_url(redis_url) as client:
            names = list(client.scan_iter(match=f"brokerlink:guard:{scope_of(url)}:*"))
            if names:
                client.delete(*names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forget"], "give --account-id, or --server"),
        (["forget", "--account-id", "x", "--server", "s"], "give --account-id, or --server"),
        (["forget", "--login", "1", "--account-id", "x"], "--login needs --server"),
        (["show", "--base-url", "ftp://nowhere"], "InvalidRequest: base URL"),
        (["show", "--credential-cache", "memory://"], "memory:// keeps nothing"),
        (["show", "--credential-cache", "nosuch://x"], "unknown scheme"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    run = run_cli(["guard", *args])
    assert run.code == 2 and message in run.stderr


def test_a_file_you_name_serves_every_base_url(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "mine.db"
    url = sandbox.base_url("metaapi")
    meta = brokerlink.MetaApi(token="t", base_url=url, credential_cache=f"sqlite://{path}")
    with meta, pytest.raises(errors.InvalidBrokerCredentials):
        meta.create_account(body=body())
    cache = ["--credential-cache", f"sqlite://{path}"]
    (item,) = run_cli(["guard", "show", *cache, "-o", "json"]).json()
    assert item["base_url"] is None and item["store"] == str(path)
    assert item["reasons"]["E_AUTH"]["total"] == 1
    assert "every base URL" in run_cli(["guard", "show", *cache]).stdout
    forget = ["guard", "forget", *cache, "--server", SERVER, "--login", LOGIN]  # any base URL
    run = run_cli(forget, env={"BROKERLINK_GUARD_PASSWORD": SECRET})
    assert "Forgot 1 E_AUTH" in run.stdout and str(path) in run.stdout
    missing = ["--credential-cache", f"sqlite://{tmp_path}/none.db"]
    (empty,) = run_cli(["guard", "show", *missing, "-o", "json"]).json()
    assert empty["reasons"] == {} and not (tmp_path / "none.db").exists()
