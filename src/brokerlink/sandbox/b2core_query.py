"""B2Core list conventions: ``filter[field]``, ``sort_by``/``sort_order``, ``query[expansion]``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import QueryParams

from brokerlink.sandbox.clock import parse_iso
from brokerlink.sandbox.state import B2Account

FILTER_KEYS = frozenset(
    {
        "archived",
        "startTime",
        "endTime",
        "currency",
        "number",
        "enabled",
        "platformId",
        "platformGroupId",
        "platformGroupName",
        "profileId",
        "userId",
        "type",
        "uuid",
    }
)
EXPANSIONS = frozenset({"platform", "profile", "contacts", "metrics"})
SORT_KEYS: dict[str, Callable[[B2Account], Any]] = {
    "accountId": lambda a: a.doc["accountId"],
    "archived": lambda a: a.doc["archived"],
    "createTime": lambda a: a.created,
    "enabled": lambda a: a.doc["enabled"],
    "number": lambda a: a.doc["number"],
    "trades": lambda a: a.trades,
}
_BRACKET = re.compile(r"^(filter|query)\[([^\]]*)\]$")


class QueryError(Exception):
    """A list parameter the API rejects with 400; ``errors`` maps parameter -> problems."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("Invalid query parameters")
        self.errors = errors


def parse_flag(value: str) -> bool | None:
    """``1/0/true/false`` -> bool; anything else -> None."""
    return {"1": True, "true": True, "0": False, "false": False}.get(value.strip().lower())


def bracketed(params: QueryParams) -> tuple[dict[str, str], set[str]]:
    """Split ``filter[x]=..`` and ``query[y]=1`` params (a bare ``type=`` counts as a filter)."""
    filters: dict[str, str] = {}
    expansions: set[str] = set()
    errors: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        match = _BRACKET.match(key)
        if match is None:
            if key == "type":
                filters.setdefault("type", value)
            continue
        kind, name = match.groups()
        if kind == "filter":
            if name not in FILTER_KEYS:
                errors[key] = [f"Unknown filter; use one of {sorted(FILTER_KEYS)}"]
            filters[name] = value
        elif name not in EXPANSIONS:
            errors[key] = [f"Unknown expansion; use one of {sorted(EXPANSIONS)}"]
        else:
            flag = parse_flag(value)
            if flag is None:
                errors[key] = ["Must be 1 or 0"]
            elif flag:
                expansions.add(name)
    if errors:
        raise QueryError(errors)
    return filters, expansions


def _timestamp(value: str, key: str) -> float:
    # A literal '+' of an unencoded offset arrives as a space.
    parsed = parse_iso(value.strip().replace(" ", "+"))
    if parsed is None:
        raise QueryError({f"filter[{key}]": ["Must be an ISO 8601 date-time"]})
    return parsed


Test = Callable[[B2Account], bool]


def _flag_test(key: str, flag: bool) -> Test:
    return lambda account: account.doc[key] is flag


def _time_test(threshold: float, *, after: bool) -> Test:
    if after:
        return lambda account: account.created >= threshold
    return lambda account: account.created <= threshold


def _equal_test(key: str, value: Any) -> Test:
    return lambda account: account.doc.get(key) == value


def _user_test(user_id: str) -> Test:
    return lambda account: account.user_id == user_id


def predicate(filters: dict[str, str]) -> Test:
    """Compile ``filters`` into one test; raises :class:`QueryError` on bad values."""
    tests: list[Test] = []
    for key, value in filters.items():
        if key in ("archived", "enabled"):
            flag = parse_flag(value)
            if flag is None:
                raise QueryError({f"filter[{key}]": ["Must be 1 or 0"]})
            tests.append(_flag_test(key, flag))
        elif key in ("startTime", "endTime"):
            tests.append(_time_test(_timestamp(value, key), after=key == "startTime"))
        elif key == "type":
            if not value.strip().lstrip("-").isdigit():
                raise QueryError({"filter[type]": ["Must be an integer"]})
            tests.append(_equal_test("type", int(value)))
        elif key == "userId":
            tests.append(_user_test(value))
        else:
            tests.append(_equal_test(key, value))
    return lambda account: all(test(account) for test in tests)


def sorter(params: QueryParams) -> tuple[Callable[[B2Account], Any], bool]:
    """The sort key and ``reverse`` flag; default newest ``createTime`` first."""
    sort_by = params.get("sort_by", "createTime")
    order = params.get("sort_order", "desc").lower()
    errors: dict[str, list[str]] = {}
    if sort_by not in SORT_KEYS:
        errors["sort_by"] = [f"Use one of {sorted(SORT_KEYS)}"]
    if order not in ("asc", "desc"):
        errors["sort_order"] = ["Use asc or desc"]
    if errors:
        raise QueryError(errors)
    return SORT_KEYS[sort_by], order == "desc"
