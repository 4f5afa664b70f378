"""B2Core: many calls starting at once share one token request; so do calls after expiry."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import brokerlink
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time
from tests.hooks.conftest import CREDENTIALS

CALLS = 40


def token_requests(sandbox: SandboxServer) -> int:
    return len(sandbox.sandbox.b2core.tokens)


async def test_async_first_calls_share_one_token(sandbox: SandboxServer) -> None:
    facade = brokerlink.AsyncB2Core(base_url=sandbox.base_url("b2core"), **CREDENTIALS["b2core"])
    with virtual_time(sandbox.clock):
        async with facade:
            results = await asyncio.gather(*(facade.list_accounts() for _ in range(CALLS)))
            assert all(results) and token_requests(sandbox) == 1
            # Past the token's lifetime, the next wave again makes exactly one request.
            sandbox.clock.advance(sandbox.sandbox.options.token_lifetime)  # type: ignore[attr-defined]
            await asyncio.gather(*(facade.list_accounts() for _ in range(CALLS)))
    assert token_requests(sandbox) == 2


def test_threads_on_one_sync_client_share_one_token(sandbox: SandboxServer) -> None:
    with (
        virtual_time(sandbox.clock),
        brokerlink.B2Core(base_url=sandbox.base_url("b2core"), **CREDENTIALS["b2core"]) as facade,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        results = list(pool.map(lambda _: facade.list_accounts(), range(CALLS)))
        assert all(results) and token_requests(sandbox) == 1
        sandbox.clock.advance(sandbox.sandbox.options.token_lifetime)  # type: ignore[attr-defined]
        list(pool.map(lambda _: facade.list_accounts(), range(CALLS)))
    assert token_requests(sandbox) == 2
