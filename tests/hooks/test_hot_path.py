"""The per-call path does no import work and rebuilds nothing: after the first call, a call
costs what the exchange and the hooks cost, nothing of setup."""

from __future__ import annotations

import asyncio
import importlib.abc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

import pytest

from brokerlink.sandbox.testing import SandboxServer
from tests.hooks.conftest import MODES, client

CALLS = 5


class ImportWatcher(importlib.abc.MetaPathFinder):
    """Sees every module lookup the import system makes (cached imports make none)."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.looked_up.append(fullname)
        return None


@contextmanager
def watching_imports() -> Iterator[ImportWatcher]:
    watcher = ImportWatcher()
    sys.meta_path.insert(0, watcher)
    try:
        yield watcher
    finally:
        sys.meta_path.remove(watcher)


@MODES
def test_calls_after_the_first_import_nothing(sandbox: SandboxServer, asynchronous: bool) -> None:
    facade = client("metaapi", sandbox.base_url("metaapi"), asynchronous)
    if not asynchronous:
        with facade:
            facade.list_regions()
            with watching_imports() as watcher:
                for _ in range(CALLS):
                    facade.list_regions()
        assert watcher.looked_up == []
        return

    async def go() -> list[str]:
        async with facade:
            await facade.list_regions()
            with watching_imports() as watcher:
                for _ in range(CALLS):
                    await facade.list_regions()
        return watcher.looked_up

    # httpcore asks for sniffio on every async lock: a failed import each time without it
    assert asyncio.run(go()) == []


@pytest.mark.parametrize("api", ["metaapi", "brokerwork"])
def test_clients_share_their_api_manager_and_copies_share_the_hooks(api: str) -> None:
    first = client(api, "http://127.0.0.1:9", False)
    second = client(api, "http://127.0.0.1:9", False)
    copy = first.with_options(max_retries=0)
    try:
        assert first._manager is second._manager  # one manager per API, built once
        assert copy._hooks is first._hooks  # collected from pluggy once per client
        assert copy._state is first._state
        assert second._hooks is not first._hooks
    finally:
        first.close()
        second.close()
