"""Small, fast helpers for JSON answers and request bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON = dict[str, Any]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class BodyError(Exception):
    """The request body is not the JSON (or form) the operation needs."""


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Serialise ``data`` compactly as ``application/json``."""
    return Response(_dumps(data).encode(), status, headers, "application/json")


def empty_response(status: int = 204) -> Response:
    """A body-less answer (204 by default)."""
    return Response(b"", status)


async def read_json(request: Request) -> Any:
    """The parsed JSON body; an empty body reads as ``{}``. Raises :class:`BodyError`."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BodyError(f"request body is not valid JSON: {exc}") from exc


async def read_object(request: Request) -> JSON:
    """Like :func:`read_json` but the body must be a JSON object."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BodyError("request body must be a JSON object")
    return data


def as_bool(value: str | None, default: bool) -> bool:
    """Parse ``true/false/1/0`` query values."""
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def as_int(value: Any, default: int | None = None) -> int | None:
    """``int(value)`` or ``default`` when it does not convert (bools never convert)."""
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def split_list(values: list[str]) -> list[str]:
    """Flatten repeated and comma-joined query values: ``["1,2", "3"] -> ["1", "2", "3"]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
