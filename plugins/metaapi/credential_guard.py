"""Built-in plugin: the MetaApi credential guard (decisions only; the I/O runs as effects).

Before the first send of a guarded call (createAccount, updateAccount, deploy/redeploy and the
replica twins) it defers a check that may refuse the call locally; on the final answer it defers
learning from it: a success (not a 202), or the typed error MetaApi's error plugin raised (its
code and recommended slots, so the body is not read again). Resends (retries, 202 polls) are
neither checked nor counted twice. See ``docs/credential-guard.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from brokerlink.credentials.plan import Attempt, Outcome
from brokerlink.errors import ApiError
from brokerlink.hooks import Call, ClientState, hookimpl
from brokerlink.plugins.metaapi.guard_reasons import REASONS, VENDOR_TEXT, rejection_of, success_of
from brokerlink.plugins.metaapi.guarded import attempt_of

if TYPE_CHECKING:
    from brokerlink.credentials.guard import Guard

VENDOR = "metaapi"
STATE = "credential_guard"  # this plugin's key in call.state


def _guard_for(client: ClientState) -> Guard:
    """The client's guard, made from its ``credential_cache`` setting on first use (thread-safe;
    parsing only, the store opens on its first lookup; the guard module loads only then). The
    default store is scoped by the client's base URL: the sandbox never refuses for production."""
    guard = client.guard
    if guard is None:
        from brokerlink.credentials.guard import Guard
        from brokerlink.credentials.resolve import open_store

        with client.lock:
            if client.guard is None:
                store, owned = open_store(client.credential_cache, scope=client.base_url or None)
                client.guard = Guard(store, owned=owned, reasons=REASONS, vendor=VENDOR_TEXT)
            guard = client.guard
    return guard


@dataclass(slots=True)
class _Pending:
    """What the check worked out, for the record at the end of the call."""

    attempt: Attempt
    prepared: Any = None


@dataclass(slots=True)
class Check:
    """Effect: look the attempt up and raise a local refusal when it is known bad."""

    call: Call
    pending: _Pending

    def run(self) -> None:
        c = self.call
        self.pending.prepared = _guard_for(c.client).check(self.pending.attempt, **_checking(c))

    async def arun(self) -> None:
        c = self.call
        guard = _guard_for(c.client)
        self.pending.prepared = await guard.acheck(self.pending.attempt, **_checking(c))


def _checking(call: Call) -> dict[str, Any]:
    options = call.options
    return {
        "timing": call.timing,
        "guard": options.credential_guard,
        "end_user_id": options.end_user_id,
        "error_classes": call.client.error_classes,
    }


@dataclass(slots=True)
class Learn:
    """Effect: remember a rejection (and count it for the end user), or clear after a success."""

    call: Call
    pending: _Pending
    outcome: Outcome

    def run(self) -> None:
        c, p = self.call, self.pending
        _guard_for(c.client).learn(
            p.attempt, p.prepared, self.outcome, timing=c.timing, end_user_id=c.options.end_user_id
        )

    async def arun(self) -> None:
        c, p = self.call, self.pending
        await _guard_for(c.client).alearn(
            p.attempt, p.prepared, self.outcome, timing=c.timing, end_user_id=c.options.end_user_id
        )


@hookimpl
def brokerlink_before_send(call: Call, request: httpx.Request) -> None:
    if call.api != VENDOR or call.attempt != 1 or STATE in call.state:
        return
    attempt = attempt_of(call)
    if attempt is None:
        return
    pending = _Pending(attempt)
    call.state[STATE] = pending
    if call.options.credential_guard or call.options.end_user_id is not None:
        call.defer(Check(call, pending))


def _learn(call: Call, outcome: Outcome | None) -> None:
    pending = call.state.get(STATE)
    if outcome is not None and isinstance(pending, _Pending):
        del call.state[STATE]  # one final answer per call
        call.defer(Learn(call, pending, outcome))


@hookimpl
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    if STATE in call.state:
        _learn(call, success_of(response))


@hookimpl
def brokerlink_on_api_error(
    call: Call, request: httpx.Request, response: httpx.Response, error: ApiError
) -> None:
    if STATE in call.state:
        _learn(call, rejection_of(error))
