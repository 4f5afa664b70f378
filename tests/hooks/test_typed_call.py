"""Hooks see the typed request the facade built (the attrs body, the path parameters) and one
typed per-client state; nothing of a plugin's is written back into the facade."""

from __future__ import annotations

from typing import Any

import httpx

import brokerlink
from brokerlink.generated.metaapi.models import MetatraderAccountUpdate, NewMetatraderAccount
from brokerlink.hooks import Call, ClientState, Operation
from brokerlink.sandbox.testing import SandboxServer
from tests.hooks.conftest import MODES, run

ACCOUNT = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"  # seeded in the sandbox
BODY = {"name": "Typed", "server": "ICMarketsSC-Demo", "magic": 0}


class Seen:
    """Records what each first send of a call showed the hooks."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    @brokerlink.hookimpl
    def brokerlink_before_send(self, call: Call, request: httpx.Request) -> None:
        if call.attempt == 1:
            self.calls.append(call)


@MODES
def test_hooks_read_the_typed_body_and_path(sandbox: SandboxServer, asynchronous: bool) -> None:
    seen = Seen()
    run(
        "metaapi",
        sandbox.base_url("metaapi"),
        asynchronous,
        lambda c: c.update_account(ACCOUNT, body=BODY),
        plugins=[seen],
        credential_cache="memory://",
    )
    (call,) = seen.calls
    assert isinstance(call.body, MetatraderAccountUpdate)  # the model, not request bytes
    assert call.body.server == "ICMarketsSC-Demo"
    assert call.path == {"account_id": ACCOUNT}
    assert call.operation == Operation("metaapi", "updateAccount", idempotent=True, polls=False)
    assert isinstance(call.client, ClientState) and call.client.api == "metaapi"


def test_a_body_given_as_a_model_reaches_the_hooks_as_that_model(sandbox: SandboxServer) -> None:
    seen = Seen()
    body = NewMetatraderAccount.from_dict({**BODY, "platform": "mt5"})
    with brokerlink.MetaApi(
        token="t",
        base_url=sandbox.base_url("metaapi"),
        plugins=[seen],
        credential_cache="memory://",
    ) as meta:
        meta.create_account(body=body)
    assert seen.calls[0].body is body
    assert seen.calls[0].path == {}


def test_calls_without_a_body_show_none(sandbox: SandboxServer) -> None:
    seen = Seen()
    run("metaapi", sandbox.base_url("metaapi"), False, lambda c: c.list_regions(), plugins=[seen])
    assert seen.calls[0].body is None and seen.calls[0].path == {}


def test_plugin_state_lives_in_the_client_state_never_in_the_facade(
    sandbox: SandboxServer,
) -> None:
    seen = Seen()
    meta = brokerlink.MetaApi(
        token="t",
        base_url=sandbox.base_url("metaapi"),
        plugins=[seen],
        credential_cache="memory://",
    )
    before = dict(vars(meta))
    copy = meta.with_options(end_user_id="user-1")
    copy.create_account(body={**BODY, "login": "1", "password": "p", "platform": "mt5"})
    meta.get_account(ACCOUNT)
    assert vars(meta) == before  # the guard made on the first guarded call is not in the facade
    first, second = seen.calls
    assert first.client is second.client  # a copy shares its client's state
    assert first.client.guard is not None  # ...where the credential guard plugin keeps its guard
    meta.close()
    assert first.client.guard is None  # closed with the client


def test_scratch_state_is_per_call(sandbox: SandboxServer) -> None:
    seen = Seen()

    def twice(client: Any) -> None:
        client.list_regions()
        client.list_regions()

    run("metaapi", sandbox.base_url("metaapi"), False, twice, plugins=[seen])
    first, second = seen.calls
    assert first is not second and first.state is not second.state
