"""The facts of a guarded request, read by the MetaApi plugin from the typed body the facade
built (``call.body``, an attrs model) and its path parameters (``call.path``)."""

from __future__ import annotations

from typing import Any

import pytest

from brokerlink.credentials.plan import Attempt
from brokerlink.generated.metaapi import models
from brokerlink.hooks import Call, CallOptions, ClientState, Operation
from brokerlink.plugins.metaapi.guarded import GUARDED, attempt_of
from tests.credentials.test_guard_sandbox import account


def call(operation: str, body: Any = None, **path: str) -> Call:
    return Call(
        Operation("metaapi", operation),
        CallOptions(),
        ClientState(api="metaapi"),
        0.0,
        body=body,
        path=path,
    )


def test_a_create_carries_the_whole_combination() -> None:
    body = models.NewMetatraderAccount.from_dict(
        account(platform="mt4", type="cloud-g2", resourceSlots=2, login="123")
    )
    got = attempt_of(call("createAccount", body))
    assert got == Attempt(
        "createAccount",
        "new",
        platform="mt4",
        server="ICMarketsSC-Demo",
        login="123",
        password="pw-good-1",
        account_type="cloud-g2",
        slots=2,
    )
    assert "pw-good-1" not in repr(got) and "123" not in repr(got)


def test_a_create_defaults_slots_and_sees_a_provisioning_profile() -> None:
    body = models.NewMetatraderAccount.from_dict(account(provisioningProfileId="prof-1"))
    got = attempt_of(call("createAccount", body))
    assert got is not None and got.slots == 1 and got.uses_profile and got.account_type is None


def test_an_update_carries_server_password_and_slots() -> None:
    fields = {"name": "n", "server": "S", "password": "p2", "resourceSlots": 3}
    body = models.MetatraderAccountUpdate.from_dict(fields)
    got = attempt_of(call("updateAccount", body, account_id="acc-1"))
    assert got == Attempt(
        "updateAccount", "update", account_id="acc-1", server="S", password="p2", slots=3
    )
    keeps = models.MetatraderAccountUpdate.from_dict({"name": "n", "server": "S"})
    assert attempt_of(call("updateAccount", keeps, account_id="a")).password is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "operation", [op for op, (scope, _) in GUARDED.items() if scope == "account"]
)
def test_account_calls_carry_their_account_id(operation: str) -> None:
    body = None
    if operation == "createAccountReplica":
        body = models.NewMetatraderAccountReplica.from_dict(
            {"magic": 1, "region": "london", "resourceSlots": 2}
        )
    got = attempt_of(call(operation, body, account_id="acc-7"))
    assert got is not None and got.scope == "account" and got.account_id == "acc-7"
    assert got.replica == operation.endswith("Replica")
    assert got.slots == (2 if body is not None else None)


def test_other_operations_and_calls_without_an_account_id_are_not_guarded() -> None:
    assert attempt_of(call("listAccounts")) is None
    assert attempt_of(call("deployAccount")) is None
    assert attempt_of(call("updateAccount", None, account_id="")) is None
