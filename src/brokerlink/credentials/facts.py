"""What a guarded request says about the trading account it concerns, and its final answer.

Creating an account carries the whole combination; an update carries the new server, password
and slots; deploy, redeploy and the replica calls carry only the account id, so the guard
completes them from what it remembered when the account was created or updated. The vendor
plugin fills these in from the typed request and the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["new", "update", "account"]


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


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final answer to a guarded request, as far as the guard cares: a success (with the id
    of a created account) or a rejection with a vendor code of the guard's reasons table."""

    success: bool
    code: str | None = None
    recommended_slots: int | None = None
    created_id: str | None = None
