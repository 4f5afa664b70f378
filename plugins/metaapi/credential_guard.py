"""Built-in plugin: the MetaApi credential guard (decisions only; the I/O runs as effects).

Before the first send of a guarded call (createAccount, updateAccount, deploy/redeploy and the
replica twins) it defers a check that may refuse the call locally; on the final answer (not a
202) it defers learning from it. Resends (retries, 202 polls) are neither checked nor counted
twice. See ``docs/credential-guard.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from brokerlink.credentials.facts import Attempt, Outcome
from brokerlink.credentials.policy import REASONS
from brokerlink.hooks import Call, ClientState, hookimpl
from brokerlink.plugins.error_body import json_object
from brokerlink.plugins.metaapi.errors import details_code
from brokerlink.plugins.metaapi.guarded import attempt_of

if TYPE_CHECKING:
    from brokerlink.credentials.guard import Guard

VENDOR = "metaapi"
STATE = "credential_guard"  # this plugin's key in call.state


def _guard_for(client: ClientState) -> Guard:
    """The client's guard, made from its ``credential_cache`` setting on first use (thread-safe;
    parsing only, the store opens on its first lookup; the guard module loads only then)."""
    guard = client.guard
    if guard is None:
        from brokerlink.credentials.guard import Guard
        from brokerlink.credentials.resolve import open_store

        with client.lock:
            if client.guard is None:
                store, owned = open_store(client.credential_cache)
                client.guard = Guard(store, owned=owned)
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
        guard = _guard_for(c.client)
        self.pending.prepared = guard.check(
            self.pending.attempt, c.options, c.timing, c.client.error_classes
        )

    async def arun(self) -> None:
        c = self.call
        guard = _guard_for(c.client)
        self.pending.prepared = await guard.acheck(
            self.pending.attempt, c.options, c.timing, c.client.error_classes
        )


@dataclass(slots=True)
class Learn:
    """Effect: remember a rejection (and count it for the end user), or clear after a success."""

    call: Call
    pending: _Pending
    outcome: Outcome

    def run(self) -> None:
        c, p = self.call, self.pending
        _guard_for(c.client).learn(p.attempt, p.prepared, self.outcome, c.options, c.timing)

    async def arun(self) -> None:
        c, p = self.call, self.pending
        await _guard_for(c.client).alearn(
            p.attempt, p.prepared, self.outcome, c.options, c.timing
        )


def outcome_of(response: httpx.Response) -> Outcome | None:
    """A success (2xx but 202), a rejection with a remembered code, or None (nothing learnt)."""
    status = response.status_code
    if 200 <= status < 300:
        if status == 202:
            return None
        body = json_object(response) if status == 201 else None
        created = body.get("id") if body else None
        return Outcome(True, created_id=created if isinstance(created, str) else None)
    if not 400 <= status < 500:
        return None
    body = json_object(response)
    details = body.get("details") if body else None
    code = details_code(details)
    if code not in REASONS:
        return None
    recommended = details.get("recommendedResourceSlots") if isinstance(details, dict) else None
    if isinstance(recommended, bool) or not isinstance(recommended, int | float):
        recommended = None
    return Outcome(
        False, code=code, recommended_slots=None if recommended is None else int(recommended)
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


@hookimpl
def brokerlink_after_response(call: Call, request: httpx.Request, response: httpx.Response) -> None:
    pending = call.state.get(STATE)
    if not isinstance(pending, _Pending):
        return
    outcome = outcome_of(response)
    if outcome is not None:
        del call.state[STATE]  # one final answer per call
        call.defer(Learn(call, pending, outcome))
