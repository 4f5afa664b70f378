"""Results on stdout: JSON as the server sent it, or a rich table of readable columns.

The typed result proves the answer matches the spec; what is printed is the answer's own JSON
(``as_sent``), so timestamps, number digits and field order are the server's. Without a JSON
body (204, a result built locally) the typed result is printed through ``to_dict()``.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any


def to_jsonable(value: Any) -> Any:
    """The typed result as JSON values: models through ``to_dict()``, decimals as exact strings."""
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")  # the wire form of money: never through float
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def as_sent(result: Any, body: bytes | None) -> Any:
    """The JSON the server answered with (numbers keep their digits), else ``result``'s."""
    if body:
        from brokerlink.cli.arguments import JsonNumber

        try:
            return json.loads(body, parse_float=JsonNumber)
        except (ValueError, RecursionError):
            pass
    return to_jsonable(result)


def _emit(value: Any, indent: str | None, level: int) -> str:
    if isinstance(value, float) and hasattr(value, "text"):  # a JsonNumber: the digits sent
        return str(value)
    if isinstance(value, Mapping) and value:
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}:{'' if indent is None else ' '}"
            f"{_emit(v, indent, level + 1)}"
            for k, v in value.items()
        ]
        return _block("{", items, "}", indent, level)
    if isinstance(value, list | tuple) and value:
        return _block("[", [_emit(v, indent, level + 1) for v in value], "]", indent, level)
    return json.dumps(to_jsonable(value), ensure_ascii=False)


def _block(start: str, items: list[str], end: str, indent: str | None, level: int) -> str:
    if indent is None:
        return start + ",".join(items) + end
    inner = "\n" + indent * (level + 1)
    return start + inner + ("," + inner).join(items) + "\n" + indent * level + end


def dump_json(value: Any, *, compact: bool = False) -> str:
    """JSON text of ``value`` (typed results through ``to_jsonable``; sent numbers verbatim)."""
    data = value if isinstance(value, dict | list) else to_jsonable(value)
    return _emit(data, None if compact else "  ", 0)


_ENVELOPE_KEYS = ("data", "items", "list")  # Broker Work / B2Core / MetaApi v2 wrappers


def _rows(data: Any) -> list[dict[str, Any]] | None:
    """The records of a list result, also inside the vendors' envelopes; None for one object."""
    for _ in range(3):
        if isinstance(data, list):
            return data if data and all(isinstance(r, dict) for r in data) else None
        if not isinstance(data, dict):
            return None
        inner = next(
            (data[k] for k in _ENVELOPE_KEYS if isinstance(data.get(k), list | dict)), None
        )
        if inner is None:
            return None
        data = inner
    return None


# The columns ``-o table`` shows by default, per list operation ("api.operationId"); other
# results show the first columns of _PREFERRED they have, else their first scalar columns.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "metaapi.listAccounts": (
        "_id",
        "name",
        "login",
        "server",
        "platform",
        "state",
        "connectionStatus",
    ),
    "metaapi.listAccountReplicas": ("_id", "region", "state", "connectionStatus", "magic"),
    "metaapi.listProvisioningProfiles": ("_id", "name", "version", "status", "brokerTimezone"),
    "b2core.listAccounts": (
        "accountId",
        "number",
        "platformName",
        "currency",
        "balance",
        "equity",
        "enabled",
    ),
}
_PREFERRED = (
    "_id",
    "id",
    "accountId",
    "userId",
    "login",
    "number",
    "name",
    "server",
    "platform",
    "region",
    "state",
    "status",
    "connectionStatus",
    "currency",
    "balance",
    "equity",
)
_MIN_PREFERRED = 3
_MAX_AUTO_COLUMNS = 8
_MAX_CELL = 40


def _lookup(row: Mapping[str, Any], column: str) -> Any:
    """``row[column]``, or a nested value for ``a.b`` (``a.0`` for a list's first item)."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def default_columns(rows: list[dict[str, Any]], resource: str | None) -> list[str]:
    present: list[str] = []
    for row in rows:
        present.extend(k for k in row if k not in present)
    chosen = [c for c in DEFAULT_COLUMNS.get(resource or "", ()) if c in present]
    if chosen:
        return chosen
    preferred = [c for c in _PREFERRED if c in present]
    if len(preferred) >= _MIN_PREFERRED:
        return preferred[:_MAX_AUTO_COLUMNS]
    scalar = [c for c in present if not any(isinstance(r.get(c), dict | list) for r in rows)]
    return (scalar or present)[:_MAX_AUTO_COLUMNS]


def _cell(value: Any, limit: int | None = _MAX_CELL) -> str:
    """A cell: nested values as compact JSON, shortened to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = dump_json(value, compact=True)
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "…"
        return text
    return str(value)


def print_table(
    value: Any,
    stream: IO[str],
    title: str,
    columns: list[str] | None = None,
    resource: str | None = None,
) -> None:
    """A table of the records of a list result (envelopes unwrapped), else of the fields.

    ``columns`` chooses the columns (``a.b`` reaches into nested objects); by default those of
    ``DEFAULT_COLUMNS[resource]``, else a readable few. Nested values are shortened.
    """
    from rich.console import Console
    from rich.table import Table

    data = value if isinstance(value, dict | list) else to_jsonable(value)
    table = Table(title=title, show_lines=False)
    rows = _rows(data)
    if rows is not None:
        shown = columns or default_columns(rows, resource)
        for column in shown:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(_lookup(row, c)) for c in shown))
    else:
        table.add_column("field")
        table.add_column("value", overflow="fold")
        items = data.items() if isinstance(data, dict) else [("result", data)]
        for key, item in items:
            if columns and key not in columns:
                continue
            table.add_row(str(key), _cell(item, limit=None if columns else _MAX_CELL * 2))
    console = Console(file=stream, soft_wrap=False)
    if not console.is_terminal:  # piped: as wide as the content, never folded into slivers
        console = Console(file=stream, soft_wrap=False, width=_natural_width(table))
    console.print(table)


def _natural_width(table: Any) -> int:
    widths = [
        max([len(str(column.header)), *(len(str(cell)) for cell in column.cells)])
        for column in table.columns
    ]
    return min(sum(widths) + 3 * len(widths) + 1, 1000)
