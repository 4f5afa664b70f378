"""Results on stdout: JSON (exact decimals, ISO timestamps) or a rich table."""

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


def dump_json(value: Any, *, compact: bool = False) -> str:
    data = to_jsonable(value)
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=2)


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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def print_table(value: Any, stream: IO[str], title: str) -> None:
    """A table of the records of a list result (envelopes unwrapped), else of the fields."""
    from rich.console import Console
    from rich.table import Table

    data = to_jsonable(value)
    table = Table(title=title, show_lines=False)
    rows = _rows(data)
    if rows is not None:
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
    else:
        table.add_column("field")
        table.add_column("value", overflow="fold")
        items = data.items() if isinstance(data, dict) else [("result", data)]
        for key, item in items:
            table.add_row(str(key), _cell(item))
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
