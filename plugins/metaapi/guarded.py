"""What the credential guard needs to know about MetaApi's operations: which ones it guards, and
the facts of a guarded request, read from the typed body and path the facade built."""

from __future__ import annotations

from typing import Any

from brokerlink.credentials.plan import Attempt, Scope
from brokerlink.hooks import Call

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


def _text(value: Any) -> str | None:
    """A non-empty string field (an enum member is one), or an integer sent as a number."""
    if isinstance(value, str) and value:
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _slots(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value == int(value) else None


def attempt_of(call: Call) -> Attempt | None:
    """The facts of a guarded call, or None when its operation is not guarded."""
    guarded = GUARDED.get(call.operation_id)
    if guarded is None:
        return None
    scope, replica = guarded
    body = call.body
    operation = call.operation_id

    def field(name: str) -> Any:
        return getattr(body, name, None)

    if scope == "new":
        platform = _text(field("platform"))
        raw_slots = field("resource_slots")  # an unset field is falsy and not a number
        slots = _slots(raw_slots) if raw_slots or raw_slots == 0 else 1  # MetaApi's default
        return Attempt(
            operation=operation,
            scope=scope,
            platform=platform.lower() if platform else None,
            server=_text(field("server")),
            login=_text(field("login")),
            password=_text(field("password")),
            account_type=_text(field("type_")),
            slots=slots,
            uses_profile=bool(_text(field("provisioning_profile_id"))),
        )
    account_id = call.path.get("account_id") or None
    if account_id is None:
        return None
    if scope == "update":
        return Attempt(
            operation=operation,
            scope=scope,
            account_id=account_id,
            server=_text(field("server")),
            password=_text(field("password")),
            slots=_slots(field("resource_slots")),
        )
    return Attempt(
        operation=operation,
        scope=scope,
        replica=replica,
        account_id=account_id,
        slots=_slots(field("resource_slots")),
    )
