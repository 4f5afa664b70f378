"""The default store is scoped by the API's base URL: the sandbox and production (or two MetaApi
regions) never share refusals; the files brokerlink creates are the owner's only."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.credentials import Entry, RedisStore, SQLiteStore, Write
from brokerlink.credentials.resolve import open_store, scope_of, store_from_url
from brokerlink.credentials.sqlite_store import default_path
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer
from tests.credentials.conftest import SHARED_KEY
from tests.credentials.test_guard_sandbox import account

KEY = b"k" * 32
NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai", None),
        ("HTTPS://MT-Provisioning-API-v1.agiliumtrade.agiliumtrade.ai:443/", None),
        ("https://user:pw@mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai?x=1#f", None),
        ("http://127.0.0.1:8787/metaapi/", "http://127.0.0.1:8787/metaapi"),
        ("http://[::1]/metaapi", "http://[::1]:80/metaapi"),
    ],
)
def test_a_scope_is_the_normalised_base_url(url: str, scope: str | None) -> None:
    expected = scope or "https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai:443"
    assert scope_of(url) == expected
    assert "pw" not in scope_of(url) and "x=1" not in scope_of(url)


def test_other_hosts_ports_and_paths_are_other_scopes() -> None:
    scopes = {
        scope_of(url)
        for url in (
            "https://a.example",
            "https://b.example",
            "https://a.example:8443",
            "http://a.example:443",
            "https://a.example/v2",
        )
    }
    assert len(scopes) == 5
    assert len({default_path(scope) for scope in scopes}) == 5


@pytest.mark.parametrize("url", ["", "no-scheme", "https://", "ftp://h/x", "https://h:99999"])
def test_a_bad_base_url_is_a_typed_error(url: str) -> None:
    with pytest.raises(errors.InvalidRequest, match="base URL"):
        scope_of(url)


def test_the_default_sqlite_file_is_per_scope_and_named_files_are_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_URL", raising=False)
    scope = scope_of("https://a.example")
    for setting in (None, "sqlite://"):
        store, owned = open_store(setting, scope="https://A.example/")
        assert isinstance(store, SQLiteStore) and owned
        assert store.path == default_path(scope) and store.scope == scope
    named, _ = open_store(f"sqlite://{tmp_path}/mine.db", scope="https://a.example")
    assert isinstance(named, SQLiteStore) and named.scope is None


def test_the_redis_default_prefix_is_per_scope(redis_url: str, redis_prefix: str) -> None:
    a = store_from_url(f"{redis_url}", scope=scope_of("https://a.example"))
    assert isinstance(a, RedisStore)
    assert a.prefix == "brokerlink:guard:https://a.example:443:"
    named = store_from_url(f"{redis_url}?prefix={redis_prefix}", scope="https://a.example:443")
    assert isinstance(named, RedisStore) and named.prefix == redis_prefix


def test_redis_stores_of_two_scopes_share_nothing(redis_url: str, redis_prefix: str) -> None:
    import redis

    made = [
        RedisStore(redis_url, key=SHARED_KEY, prefix=f"{redis_prefix}{scope_of(url)}:")
        for url in ("http://127.0.0.1:1/metaapi", "http://127.0.0.1:2/metaapi")
    ]
    one, two = made
    try:
        one.apply([Write(b"\x01" * 32, Entry("E_AUTH", NOW))], NOW)
        assert one.fetch([b"\x01" * 32], NOW)[0] is not None
        assert two.fetch([b"\x01" * 32], NOW) == [None]
        assert one.entries() == {b"\x01" * 32: Entry("E_AUTH", NOW)}
        assert two.entries() == {}
        with redis.Redis.from_url(redis_url) as client:  # not an entry: entries() skips it
            client.set(f"{redis_prefix}{scope_of('http://127.0.0.1:1/metaapi')}:limits/x", "1")
        assert len(one.entries()) == 1
    finally:
        for store in made:
            store.close()


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_files_are_the_owners_only_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "made" / "guard.sqlite3"
    store = SQLiteStore(path, scope="https://a.example:443")
    try:
        store.open()
        store.apply([Write(b"\x02" * 32, Entry("E_AUTH", NOW))], NOW)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.key")]
        assert all(f.exists() for f in files)
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files
        }
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert store.recorded_scope() == "https://a.example:443"
        assert store.entries() == {b"\x02" * 32: Entry("E_AUTH", NOW)}
    finally:
        store.close()


@pytest.fixture
def second_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock()) as server:
        yield server


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs reads XDG_CACHE_HOME on Linux")
def test_two_sandboxes_never_share_refusals(
    sandbox: SandboxServer,
    second_sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_URL")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    body = account(password="E_AUTH")
    urls = (sandbox.base_url("metaapi"), second_sandbox.base_url("metaapi"))
    with brokerlink.MetaApi(token="t", base_url=urls[0]) as first:
        with pytest.raises(errors.InvalidBrokerCredentials):
            first.create_account(body=body)
        with pytest.raises(errors.KnownBadCredentials):
            first.create_account(body=body)
    other = brokerlink.MetaApi(token="t", base_url=urls[1] + "/")
    with other, pytest.raises(errors.InvalidBrokerCredentials):  # sent: not refused locally
        other.create_account(body=body)
    files = sorted((tmp_path / "brokerlink" / "guard").glob("*.sqlite3"))
    assert files == sorted(default_path(scope_of(url)) for url in urls)
    for url in urls:
        held = SQLiteStore(default_path(scope_of(url)))
        try:
            assert held.recorded_scope() == url
            assert [e.reason for e in held.entries().values()] == ["E_AUTH"]
        finally:
            held.close()
