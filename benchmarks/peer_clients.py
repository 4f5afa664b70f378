"""The clients of the peer benchmark, each doing the same exchanges with the sandbox.

    python -m benchmarks.peer_clients CLIENT BASE_URL   (started by ``benchmarks.peer``)

CLIENT is ``brokerlink`` (``AsyncMetaApi`` as installed: default transport, built-in plugins,
the credential guard on SQLite in a temporary folder), ``metaapi-cloud-sdk`` (the official SDK's
``MetatraderAccountClient``, which has no public base-URL option: its ``_host`` is pointed at
the sandbox, which also skips the websocket client ``MetaApi()`` would start) or ``raw httpx``
(one ``httpx.AsyncClient``, the 202s handled by hand). One client per process, so that its
process time is its own CPU. The process reads one JSON command per line on stdin,
``{"workload": name, "round": n}``, runs it and answers one JSON line ``{"wall", "cpu"}``
(seconds); the SDK's own prints go to stderr.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

TOKEN = "bench.peer.token"  # JWT-shaped: the SDK refuses create/redeploy for other tokens
ACCOUNT = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"  # seeded by the sandbox, DEPLOYED
CLIENTS = ("brokerlink", "metaapi-cloud-sdk", "raw httpx")
LOGIN_BASE = {name: 60_000_000 + 10_000_000 * n for n, name in enumerate(CLIENTS)}


class Peer(Protocol):
    """One client's way of making each exchange; each returns what the answer says."""

    async def get(self, account_id: str) -> str: ...

    async def redeploy(self, account_id: str) -> None: ...

    async def create(self, body: dict[str, Any]) -> str: ...

    async def close(self) -> None: ...


class BrokerlinkPeer:
    def __init__(self, base_url: str, credential_cache: str) -> None:
        import brokerlink

        self.client = brokerlink.AsyncMetaApi(
            base_url=base_url + "/metaapi", token=TOKEN, credential_cache=credential_cache
        )

    async def get(self, account_id: str) -> str:
        return (await self.client.get_account(account_id)).id

    async def redeploy(self, account_id: str) -> None:
        await self.client.redeploy_account(account_id)

    async def create(self, body: dict[str, Any]) -> str:
        return (await self.client.create_account(body=body)).id

    async def close(self) -> None:
        await self.client.close()


class SdkPeer:
    def __init__(self, base_url: str) -> None:
        from metaapi_cloud_sdk.clients.domain_client import DomainClient
        from metaapi_cloud_sdk.clients.http_client import HttpClient
        from metaapi_cloud_sdk.clients.metaapi.metatrader_account_client import (
            MetatraderAccountClient,
        )
        from metaapi_cloud_sdk.logger import LoggerManager

        LoggerManager.use_logging()  # its default logger prints every 202 to stdout
        http = HttpClient()
        self.client = MetatraderAccountClient(http, DomainClient(http, TOKEN))
        self.client._host = base_url + "/metaapi"

    async def get(self, account_id: str) -> str:
        answer: dict[str, Any] = await self.client.get_account(account_id)
        return str(answer["_id"])

    async def redeploy(self, account_id: str) -> None:
        await self.client.redeploy_account(account_id)

    async def create(self, body: dict[str, Any]) -> str:
        answer: dict[str, Any] = await self.client.create_account(body)
        return str(answer["id"])

    async def close(self) -> None:
        return None  # it opens and closes an httpx.AsyncClient per request


class HttpxPeer:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url + "/metaapi", headers={"auth-token": TOKEN}, timeout=30.0
        )

    async def get(self, account_id: str) -> str:
        answer = await self.client.get(f"/users/current/accounts/{account_id}")
        answer.raise_for_status()
        return str(answer.json()["_id"])

    async def redeploy(self, account_id: str) -> None:
        answer = await self.client.post(f"/users/current/accounts/{account_id}/redeploy")
        answer.raise_for_status()

    async def create(self, body: dict[str, Any]) -> str:
        headers = {"transaction-id": uuid.uuid4().hex}
        while True:
            answer = await self.client.post("/users/current/accounts", json=body, headers=headers)
            answer.raise_for_status()
            if answer.status_code != 202:
                return str(answer.json()["id"])
            await asyncio.sleep(float(answer.headers["retry-after"]))

    async def close(self) -> None:
        await self.client.aclose()


async def make_peer(name: str, base_url: str, folder: str) -> Peer:
    """Made inside the event loop that will use it (aiohttp's pool belongs to one loop)."""
    if name == "brokerlink":
        return BrokerlinkPeer(base_url, f"sqlite:///{folder}/guard.sqlite3")
    if name == "metaapi-cloud-sdk":
        return SdkPeer(base_url)
    if name == "raw httpx":
        return HttpxPeer(base_url)
    raise SystemExit(f"unknown client {name!r}; use one of {', '.join(CLIENTS)}")


def body(login: int) -> dict[str, Any]:
    return {
        "login": str(login),
        "password": "bench-password",
        "name": f"bench {login}",
        "server": "ICMarketsSC-Demo",
        "platform": "mt5",
        "magic": 0,
    }


async def sequential_get(peer: Peer, calls: int) -> None:
    for _ in range(calls):
        if await peer.get(ACCOUNT) != ACCOUNT:
            raise AssertionError("getAccount answered another account")


async def sequential_redeploy(peer: Peer, calls: int) -> None:
    for _ in range(calls):
        await peer.redeploy(ACCOUNT)


async def concurrent_get(peer: Peer, calls: int) -> None:
    ids = await asyncio.gather(*(peer.get(ACCOUNT) for _ in range(calls)))
    if set(ids) != {ACCOUNT}:
        raise AssertionError("getAccount answered another account")


async def concurrent_create(peer: Peer, logins: range) -> list[str]:
    ids = await asyncio.gather(*(peer.create(body(login)) for login in logins))
    if len(set(ids)) != len(logins):
        raise AssertionError("two creates answered the same account")
    return list(ids)


# name -> (what it is, how many calls, per call or in all)
WORKLOADS: dict[str, tuple[str, int, bool]] = {
    "sequential get": ("sequential getAccount", 30, True),
    "sequential redeploy": ("sequential redeployAccount", 30, True),
    "concurrent get": ("concurrent getAccount", 200, False),
    "concurrent create": ("concurrent createAccount (202 once, then 201)", 100, False),
}


def workload(
    peer: Peer, client: str, name: str, n: int, calls: int | None = None
) -> Callable[[], Awaitable[object]]:
    """Workload ``name`` of round ``n`` (``calls`` instead of its size, for a smoke test)."""
    calls = WORKLOADS[name][1] if calls is None else calls
    if name == "sequential get":
        return lambda: sequential_get(peer, calls)
    if name == "sequential redeploy":
        return lambda: sequential_redeploy(peer, calls)
    if name == "concurrent get":
        return lambda: concurrent_get(peer, calls)
    if name == "concurrent create":
        first = LOGIN_BASE[client] + n * calls  # new credentials every round
        return lambda: concurrent_create(peer, range(first, first + calls))
    raise SystemExit(f"unknown workload {name!r}")


async def measure(run: Callable[[], Awaitable[object]]) -> dict[str, float]:
    gc.collect()  # the previous round's garbage is not this round's cost
    wall, cpu = time.perf_counter(), time.process_time()
    await run()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def main(client: str, base_url: str) -> None:
    os.environ["BROKERLINK_PLUGINS"] = "none"  # built-in plugins only
    answers, sys.stdout = sys.stdout, sys.stderr  # nothing but answers on the pipe
    with tempfile.TemporaryDirectory() as folder, asyncio.Runner() as runner:
        peer = runner.run(make_peer(client, base_url, folder))
        for line in sys.stdin:
            command = json.loads(line)
            run = workload(peer, client, command["workload"], int(command["round"]))
            print(json.dumps(runner.run(measure(run))), file=answers, flush=True)
        runner.run(peer.close())


if __name__ == "__main__":
    main(*sys.argv[1:3])
