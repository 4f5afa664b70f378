"""The store behind ``credential_cache=`` opens lazily, once per client, and closes with it."""

from __future__ import annotations

import asyncio
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import brokerlink
from brokerlink.credentials import GuardPolicy, SQLiteStore
from brokerlink.credentials.guard import Guard
from brokerlink.credentials.plan import Attempt
from brokerlink.errors import CredentialCacheUnavailable
from brokerlink.hooks import ClientState
from brokerlink.plugins.metaapi.credential_guard import _guard_for
from brokerlink.plugins.metaapi.guard_reasons import REASONS
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.timing import SYSTEM
from tests.credentials.drive import PlainStore
from tests.credentials.test_guard_sandbox import account


def guard_of(api: Any) -> Any:
    return api.client._state.guard


async def test_opened_on_the_first_guarded_call_and_closed_with_the_client(
    make_api: Any, tmp_path: Path
) -> None:
    path = tmp_path / "cache" / "guard.db"
    api = make_api(f"sqlite://{path}")
    await api("list_accounts")
    assert not path.parent.exists() and guard_of(api) is None
    copy = api.with_options(end_user_id="u1")
    await copy("create_account", body=account())
    assert path.exists()
    key_file = Path(f"{path}.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    guard = guard_of(api)
    assert guard is guard_of(copy) and guard.owned
    await api("create_account", body=account(login="2"))
    assert guard_of(api) is guard
    await copy.close()  # a copy leaves the pool and the store to the original
    assert guard.store._conn is not None
    await api.close()
    assert guard.store._conn is None and guard_of(api) is None


async def test_a_store_object_stays_open_for_its_owner(make_api: Any, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "mine.db")
    api = make_api(store)
    await api("create_account", body=account())
    await api.close()
    assert store._conn is not None
    store.close()


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs reads XDG_CACHE_HOME on Linux")
async def test_the_default_is_a_file_per_base_url_in_the_user_cache_directory(
    make_api: Any, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_URL")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    api = make_api(None)
    await api("create_account", body=account())
    (made,) = (tmp_path / "brokerlink" / "guard").glob("*.sqlite3")
    assert guard_of(api).store.path == made
    assert guard_of(api).store.recorded_scope() == sandbox.base_url("metaapi")


def test_other_apis_never_open_a_store(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKERLINK_CACHE_URL", f"sqlite://{tmp_path}/never.db")
    headers = {"tenant_id": "T001117", "token": "bw-token"}
    with brokerlink.BrokerWork(base_url=sandbox.base_url("brokerwork"), **headers) as bw:
        bw.list_levels()
    assert not (tmp_path / "never.db").exists()


def test_resolution_is_once_per_client_across_threads() -> None:
    client = ClientState(api="metaapi", credential_cache="memory://")
    barrier = threading.Barrier(8)
    seen: list[Any] = []

    def resolve() -> None:
        barrier.wait()
        seen.append(_guard_for(client))

    threads = [threading.Thread(target=resolve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(g is seen[0] for g in seen)
    assert client.guard is seen[0]


class SlowToOpen(PlainStore):
    """Opening takes a moment (a file, a server): every call of a burst arrives meanwhile."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.opens, self.fail = 0, fail

    async def aopen(self) -> bytes:
        self.opens += 1
        for _ in range(3):
            await asyncio.sleep(0)
        if self.fail:
            raise CredentialCacheUnavailable("cannot open")
        return self.key


def creates(n: int) -> list[Attempt]:
    return [
        Attempt("createAccount", "new", platform="mt5", server="S", login=str(i)) for i in range(n)
    ]


async def test_a_burst_of_first_calls_opens_the_store_once() -> None:
    store = SlowToOpen()
    guard = Guard(store, reasons=REASONS)
    checked = await asyncio.gather(*(guard.acheck(a, timing=SYSTEM) for a in creates(50)))
    assert store.opens == 1 and all(p is not None and p.cred is None for p in checked)
    await guard.acheck(creates(1)[0], timing=SYSTEM)
    assert store.opens == 1


async def test_a_failed_opening_fails_its_burst_once_and_is_tried_again() -> None:
    store = SlowToOpen(fail=True)
    guard = Guard(store, reasons=REASONS, policy=GuardPolicy(on_error="raise", store_retry_after=0))
    outcomes = await asyncio.gather(
        *(guard.acheck(a, timing=SYSTEM) for a in creates(10)), return_exceptions=True
    )
    assert store.opens == 1
    assert all(isinstance(o, CredentialCacheUnavailable) for o in outcomes)
    store.fail = False
    assert await guard.acheck(creates(1)[0], timing=SYSTEM) is not None
    assert store.opens == 2
