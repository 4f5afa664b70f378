"""Fixtures of the credential guard tests: one store per backend (Redis is a real server),
a sandbox, virtual time, and MetaApi clients (sync or async) behind one awaitable adapter."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import brokerlink
from brokerlink.credentials import (
    CredentialStore,
    GuardPolicy,
    MemoryStore,
    RedisStore,
    SQLiteStore,
)
from brokerlink.hooks.call import Call
from brokerlink.hooks.hookspecs import hookimpl
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import VirtualClock, virtual_time

REDIS_ENV = "BROKERLINK_TEST_REDIS_URL"
SHARED_KEY = "test-shared-hmac-key-0123456789abcdef"
BACKENDS = ("memory", "sqlite", "redis")
START = 1_750_000_000.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reachable(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``$BROKERLINK_TEST_REDIS_URL``, else 127.0.0.1:6379, else a redis-server of our own."""
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    if _reachable(url):
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail(
            f"The credential guard tests need a real Redis: none answers at {url} and "
            f"redis-server is not on PATH. Set {REDIS_ENV} or install redis-server."
        )
    port = free_port()
    own = f"redis://127.0.0.1:{port}/0"
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _reachable(own):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)  # waiting for a process to start, not for test time to pass
        yield own
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; everything under it is deleted afterwards."""
    import redis

    prefix = f"brokerlink-test:{uuid.uuid4().hex}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        names = list(client.scan_iter(match=prefix + "*", count=1000))
        if names:
            client.delete(*names)


StoreFactory = Callable[..., CredentialStore]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """``new_store(policy=...)``: an empty store of the backend under test (closed afterwards);
    every call with the same ``name`` opens the same data (file, Redis prefix)."""
    made: list[CredentialStore] = []
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else ""
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""

    def make(policy: GuardPolicy | None = None, name: str = "main", **options: Any) -> Any:
        store: CredentialStore
        if backend == "memory":
            store = MemoryStore(policy=policy, **options)
        elif backend == "sqlite":
            store = SQLiteStore(tmp_path / f"{name}.sqlite3", policy=policy, **options)
        else:
            options.setdefault("key", SHARED_KEY)
            store = RedisStore(url, prefix=f"{prefix}{name}:", policy=policy, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
async def aclose_stores() -> AsyncIterator[list[CredentialStore]]:
    """Stores used from async code: closed with ``aclose`` in the test's own event loop."""
    stores: list[CredentialStore] = []
    yield stores
    for store in stores:
        await store.aclose()


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    """brokerlink's clocks under the test's control (the guard reads wall time from them)."""
    with virtual_time(VirtualClock(START)) as used:
        assert isinstance(used, VirtualClock)
        yield used


@pytest.fixture(scope="session")
def _guard_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock()) as server:
        yield server


@pytest.fixture
def sandbox(_guard_sandbox: SandboxServer) -> SandboxServer:
    _guard_sandbox.reset()
    return _guard_sandbox


class Responses:
    """A plugin counting the answers that came back over the network, per operation."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def brokerlink_after_response(self, call: Call, request: Any, response: Any) -> None:
        self.seen.append(call.operation_id)

    def count(self, operation: str) -> int:
        return self.seen.count(operation)


class Api:
    """One MetaApi client, sync or async, called the same way: ``await api("create_account")``."""

    def __init__(self, client: Any, asynchronous: bool, responses: Responses) -> None:
        self.client = client
        self.asynchronous = asynchronous
        self.responses = responses

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        if self.asynchronous:
            result = await result
        return result

    def with_options(self, **options: Any) -> Api:
        return Api(self.client.with_options(**options), self.asynchronous, self.responses)

    async def close(self) -> None:
        if self.asynchronous:
            await self.client.close()
        else:
            self.client.close()


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def asynchronous(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
async def make_api(sandbox: SandboxServer, asynchronous: bool) -> AsyncIterator[Callable[..., Api]]:
    """``make_api(credential_cache)``: a MetaApi client of the sandbox, closed afterwards."""
    made: list[Api] = []

    def make(credential_cache: Any, base_url: str | None = None) -> Api:
        responses = Responses()
        cls = brokerlink.AsyncMetaApi if asynchronous else brokerlink.MetaApi
        client = cls(
            token="t",
            base_url=base_url or sandbox.base_url("metaapi"),
            credential_cache=credential_cache,
            plugins=[responses],
        )
        api = Api(client, asynchronous, responses)
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()
