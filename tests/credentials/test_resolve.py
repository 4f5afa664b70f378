"""``credential_cache=`` settings: URL forms, the environment variable, store objects, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from brokerlink.credentials import GuardPolicy, MemoryStore, RedisStore, SQLiteStore, open_store
from brokerlink.credentials.sqlite_store import default_path
from brokerlink.errors import InvalidRequest


def test_memory_url() -> None:
    store, owned = open_store("memory://")
    assert isinstance(store, MemoryStore) and owned


def test_sqlite_urls(tmp_path: Path) -> None:
    absolute, _ = open_store(f"sqlite://{tmp_path}/g.db")
    assert isinstance(absolute, SQLiteStore) and absolute.path == tmp_path / "g.db"
    relative, _ = open_store("sqlite://cache/g.db?timeout=2.5")
    assert isinstance(relative, SQLiteStore)
    assert relative.path == Path("cache/g.db") and relative.timeout == 2.5
    default, _ = open_store("sqlite://")
    assert isinstance(default, SQLiteStore) and default.path == default_path()
    assert default.path.name == "shared.sqlite3" and default.scope is None
    memory, _ = open_store("sqlite:///:memory:")
    assert isinstance(memory, SQLiteStore) and memory.path == ":memory:"


def test_redis_url_with_options_and_policy() -> None:
    url = "redis://:hunter2pass@cache.local:6380/3?prefix=app:&timeout=0.5&on_error=raise&ttl_E_AUTH=60"
    store, owned = open_store(url)
    assert isinstance(store, RedisStore) and owned
    assert store.prefix == "app:" and store.url == "redis://:hunter2pass@cache.local:6380/3"
    assert store.policy.on_error == "raise" and store.policy.ttls == {"E_AUTH": 60}
    assert "hunter2pass" not in repr(store)


def test_policy_parameters() -> None:
    store, _ = open_store("memory://?max_rejections=2&window=60&cooldown=30&record_ttl=99")
    policy = store.policy  # type: ignore[attr-defined]
    assert policy.rate_limit.max_rejections == 2 and policy.rate_limit.window == 60
    assert policy.rate_limit.cooldown == 30 and policy.record_ttl == 99
    store, _ = open_store("memory://?rate_limit=off&ttl_e_no_symbols=5")
    assert store.policy.rate_limit is None  # type: ignore[attr-defined]
    assert store.policy.ttls == {"E_NO_SYMBOLS": 5}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuch://x", "unknown scheme"),
        ("just-a-path", "not a URL"),
        ("memory://?colour=red", "unknown parameter"),
        ("memory://somewhere", "no path"),
        ("sqlite:///x.db?mode=ro", "unknown sqlite"),
        ("memory://?ttl_E_AUTH=-1", "positive"),
        ("memory://?window=soon", "number"),
        ("memory://?max_rejections=0", "at least 1"),
        ("memory://?on_error=ignore", "on_error"),
        ("redis://:s3cr3t-pw@h:1/0?timeout=x", "number"),
    ],
)
def test_bad_settings_are_typed_errors(url: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as caught:
        open_store(url)
    assert "s3cr3t-pw" not in str(caught.value)


def test_environment_variable_and_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKERLINK_CACHE_URL", "memory://?cooldown=7")
    store, owned = open_store(None)
    assert isinstance(store, MemoryStore) and owned
    monkeypatch.delenv("BROKERLINK_CACHE_URL")
    store, owned = open_store(None)
    assert isinstance(store, SQLiteStore) and store.path == default_path()
    mine = MemoryStore(policy=GuardPolicy(on_error="raise"))
    assert open_store(mine) == (mine, False)
    with pytest.raises(InvalidRequest, match="credential_cache must be"):
        open_store(42)


def test_ttls_are_checked_against_the_vendor_reasons_when_the_guard_is_made() -> None:
    from brokerlink.credentials import Guard
    from brokerlink.plugins.metaapi.guard_reasons import REASONS

    store, _ = open_store("memory://?ttl_E_AUTH=60")
    assert Guard(store, reasons=REASONS).reasons["E_AUTH"].ttl == 60
    assert Guard(store, reasons=REASONS).reasons["E_NO_SYMBOLS"] == REASONS["E_NO_SYMBOLS"]
    for policy in (open_store("memory://?ttl_E_NOPE=3")[0].policy, GuardPolicy(ttls={"X": 1})):
        with pytest.raises(InvalidRequest, match="unknown reason"):
            Guard(MemoryStore(policy=policy), reasons=REASONS)  # type: ignore[arg-type]
