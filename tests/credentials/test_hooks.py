"""The guard's hooks decide without I/O: what is checked, when, and which answers are final."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from brokerlink import errors
from brokerlink.credentials import Entry, GuardPolicy, MemoryStore, RateLimit
from brokerlink.generated.metaapi.models import NewMetatraderAccount
from brokerlink.hooks.call import Call, CallOptions, ClientState, Operation, Resend
from brokerlink.hooks.hookspecs import hookimpl
from brokerlink.plugins.metaapi import credential_guard as plugin
from brokerlink.testing import VirtualClock
from tests.credentials.conftest import Api, Responses
from tests.credentials.test_guard_sandbox import account, rejected

BASE = "https://mt.example/users/current/accounts"


def call(operation: str = "createAccount", api: str = "metaapi", **options: Any) -> Call:
    """A call of ``operation`` with the typed body the facade builds for a create."""
    body = NewMetatraderAccount.from_dict(account(password="s3cret"))
    return Call(Operation(api, operation), CallOptions(**options), ClientState(api), 0.0, body=body)


def create_request() -> httpx.Request:
    return httpx.Request("POST", BASE, json=account(password="s3cret"))


def answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


def test_only_the_first_send_of_a_guarded_metaapi_call_is_checked() -> None:
    first = call()
    plugin.brokerlink_before_send(first, create_request())
    assert [type(e) for e in first.effects] == [plugin.Check]
    resend = call()
    resend.attempt = 2
    plugin.brokerlink_before_send(resend, create_request())
    assert resend.effects == []
    for other in (call("listAccounts"), call("createAccount", api="b2core")):
        plugin.brokerlink_before_send(other, create_request())
        assert other.effects == [] and other.state == {}


def test_the_override_skips_the_check_but_not_the_learning() -> None:
    c = call(credential_guard=False)
    plugin.brokerlink_before_send(c, create_request())
    assert c.effects == []
    rejected_auth = answer(400, {"details": "E_AUTH"})
    plugin.brokerlink_on_api_error(c, create_request(), rejected_auth, error("E_AUTH"))
    assert [type(e) for e in c.effects] == [plugin.Learn]
    with_user = call(credential_guard=False, end_user_id="u")
    plugin.brokerlink_before_send(with_user, create_request())
    assert [type(e) for e in with_user.effects] == [plugin.Check]  # the cool-down still applies


def error(
    code: str | None, cls: type[errors.ApiError] = errors.ValidationError, **extra: Any
) -> Any:
    """The typed error MetaApi's error plugin raises for a 400 with ``code`` in ``details``."""
    return cls(
        "rejected", vendor="metaapi", operation="createAccount", status=400, code=code, **extra
    )


def learnt(c: Call) -> Any:
    """The outcome the call deferred learning from, None when it deferred nothing."""
    if not c.effects:
        return None
    (learn,) = c.effects
    assert isinstance(learn, plugin.Learn)
    return learn.outcome


def started() -> Call:
    c = call()
    plugin.brokerlink_before_send(c, create_request())
    c.take_effects()
    return c


def test_which_answers_are_final() -> None:
    successes = [
        (202, {"message": "accepted"}, None),
        (201, {"id": "acc-9", "state": "DEPLOYED"}, (True, None, "acc-9")),
        (204, None, (True, None, None)),
        (400, {"details": "E_AUTH"}, None),  # a failure is learnt from its typed error
        (500, {"details": "E_AUTH"}, None),
    ]
    for status, body, expected in successes:
        c = started()
        plugin.brokerlink_after_response(c, create_request(), answer(status, body))
        outcome = learnt(c)
        assert (outcome and (outcome.success, outcome.code, outcome.created_id)) == expected
        plugin.brokerlink_after_response(c, create_request(), answer(status, body))
        assert len(c.effects) == (0 if expected is None else 1)  # learnt once per call
    slots = error("E_RESOURCE_SLOTS", errors.ResourceSlotsTooLow, recommended_resource_slots=3.0)
    failures = [
        (error("E_SRV_NOT_FOUND", errors.BrokerServerNotFound), None),
        (error(None), None),  # field errors: nothing to remember
        (error("E_AUTH", errors.InvalidBrokerCredentials), (False, "E_AUTH", None)),
        (error("E_AUTH", errors.ValidationError), (False, "E_AUTH", None)),  # remapped class
        (slots, (False, "E_RESOURCE_SLOTS", 3)),
    ]
    for exc, expected in failures:
        c = started()
        plugin.brokerlink_on_api_error(c, create_request(), answer(400, {}), exc)
        outcome = learnt(c)
        got = outcome and (outcome.success, outcome.code, outcome.recommended_slots)
        assert got == expected, exc
        plugin.brokerlink_on_api_error(c, create_request(), answer(400, {}), exc)
        assert len(c.effects) == (0 if expected is None else 1)


def test_the_facts_never_show_secrets() -> None:
    c = call()
    plugin.brokerlink_before_send(c, create_request())
    assert "s3cret" not in repr(c.state) and "50012345" not in repr(c.state)


class Polls:
    """A stand-in for 202 polling: resend at once while the answer is 202."""

    @hookimpl(tryfirst=True)
    def brokerlink_after_response(self, call: Call, request: Any, response: Any) -> Resend | None:
        return Resend(0, "accepted") if response.status_code == 202 else None


class CountingStore(MemoryStore):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.fetches = 0

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        self.fetches += 1
        return super().fetch(keys, now)

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        return self.fetch(keys, now)


async def test_polled_calls_are_checked_once_and_learnt_once(
    sandbox: Any, asynchronous: bool, clock: VirtualClock
) -> None:
    import brokerlink

    store = CountingStore(policy=GuardPolicy(rate_limit=RateLimit(max_rejections=2)))
    cls = brokerlink.AsyncMetaApi if asynchronous else brokerlink.MetaApi
    client = cls(
        token="t", base_url=sandbox.base_url("metaapi"), credential_cache=store, plugins=[Polls()]
    )
    api = Api(client.with_options(end_user_id="carol"), asynchronous, Responses())
    try:
        # Two 202 answers, then the rejection: one check, one remembered rejection, one hit.
        bad = account(password="E_AUTH")
        first = await rejected(api, "create_account", body=bad, transaction_id="accepted2-a")
        assert isinstance(first, errors.InvalidBrokerCredentials)
        assert store.fetches == 1
        assert [e.reason for e in store.entries().values()] == ["E_AUTH"]
        # One counted rejection of max 2: carol is not cooling down.
        created = await api("create_account", body=account(login="2"), transaction_id="accepted1-b")
        assert created.id and store.fetches == 2
    finally:
        await api.close()
