"""What a guarded MetaApi request says about the trading account it concerns (pure, no I/O).

Creating an account carries the whole combination; an update carries the new server, password
and slots; deploy, redeploy and the replica calls carry only the account id in the path, so the
guard completes them from what it remembered when the account was created or updated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

import httpx

Scope = Literal["new", "update", "account"]

GUARDED: dict[str, tuple[Scope, bool]] = {
    "createAccount": ("new", False),
    "updateAccount": ("update", False),
    "deployAccount": ("account", False),
    "redeployAccount": ("account", False),
    "createAccountReplica": ("account", True),
    "updateAccountReplica": ("account", True),
    "deployAccountReplica": ("account", True),
    "redeployAccountReplica": ("account", True),
}
"""operationId -> (scope, replica): the calls MetaApi may charge for when they fail."""


@dataclass(slots=True)
class Attempt:
    """The guard-relevant facts of one request; the secrets never appear in its repr."""

    operation: str
    scope: Scope
    replica: bool = False
    account_id: str | None = None
    platform: str | None = None
    server: str | None = field(default=None, repr=False)
    login: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    account_type: str | None = None
    slots: int | None = None
    uses_profile: bool = False


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _slots(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value == int(value) else None


_ACCOUNTS = b"/current/accounts/"


def account_id_of(request: httpx.Request) -> str | None:
    """``{accountId}`` of ``.../users/current/accounts/{accountId}/...``: the segment after the
    first ``current/accounts`` pair of the path (found, not split: every check pays this)."""
    path = request.url.raw_path
    query = path.find(b"?")
    if query >= 0:
        path = path[:query]
    at = path.find(_ACCOUNTS)
    if at < 0:
        return None
    start = at + len(_ACCOUNTS)
    end = path.find(b"/", start)
    segment = path[start:] if end < 0 else path[start:end]
    return unquote(segment.decode("ascii", "replace")) or None


_DECODER = json.JSONDecoder()


def _body(request: httpx.Request) -> dict[str, Any]:
    """The JSON object the facade sent (it writes compact JSON, so ``raw_decode`` suffices and
    skips ``json.loads``' whitespace scans); {} for anything else."""
    try:
        text = request.content.decode()
        if not text:  # deploy and the like: no body (and no exception to pay for)
            return {}
        try:
            data, end = _DECODER.raw_decode(text)
        except ValueError:
            data, end = json.loads(text), len(text)
    except (ValueError, UnicodeDecodeError, httpx.RequestNotRead):
        return {}
    return data if isinstance(data, dict) and not text[end:].strip() else {}


def attempt_of(operation_id: str, request: httpx.Request) -> Attempt | None:
    """The facts of a guarded request, or None when ``operation_id`` is not guarded."""
    guarded = GUARDED.get(operation_id)
    if guarded is None:
        return None
    scope, replica = guarded
    body = _body(request) if request.method in ("POST", "PUT") else {}
    platform = _text(body.get("platform"))
    if scope == "new":
        return Attempt(
            operation=operation_id,
            scope=scope,
            platform=platform.lower() if platform else None,
            server=_text(body.get("server")),
            login=_text(body.get("login")),
            password=_text(body.get("password")),
            account_type=_text(body.get("type")),
            slots=_slots(body.get("resourceSlots", 1)),
            uses_profile=bool(body.get("provisioningProfileId")),
        )
    account_id = account_id_of(request)
    if account_id is None:
        return None
    if scope == "update":
        return Attempt(
            operation=operation_id,
            scope=scope,
            account_id=account_id,
            server=_text(body.get("server")),
            password=_text(body.get("password")),
            slots=_slots(body.get("resourceSlots")),
        )
    return Attempt(
        operation=operation_id,
        scope=scope,
        replica=replica,
        account_id=account_id,
        slots=_slots(body.get("resourceSlots")),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final answer to a guarded request, as far as the guard cares."""

    success: bool
    code: str | None = None
    recommended_slots: int | None = None
    created_id: str | None = None
