"""Read the specs as data for tests: operations, their success status and example bodies."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parent.parent / "specs"
FILES = {
    "metaapi": "metaapi-provisioning.yaml",
    "brokerwork": "brokerwork.yaml",
    "b2core": "b2core-ib.yaml",
}
FACADES = {"metaapi": "MetaApi", "brokerwork": "BrokerWork", "b2core": "B2Core"}
METHODS = ("get", "put", "post", "delete", "patch")


@functools.cache
def spec(api: str) -> dict[str, Any]:
    return yaml.safe_load((SPECS / FILES[api]).read_text())  # type: ignore[no-any-return]


def resolve(api: str, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec(api)
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(api: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    found = {}
    for path, item in spec(api)["paths"].items():
        for method in METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method.upper(), path, item[method])
    return found


def snake(operation_id: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()


def success(api: str, operation_id: str) -> tuple[int, Any]:
    """The first documented success status (202 aside) and an example body for it (or None)."""
    _, _, op = operations(api)[operation_id]
    for code, response in op["responses"].items():
        if str(code).startswith("2") and str(code) != "202":
            response = resolve(api, response)
            for media in (response.get("content") or {}).values():
                for example in (media.get("examples") or {}).values():
                    return int(code), resolve(api, example)["value"]
                return int(code), minimal(api, media.get("schema", {}))
            return int(code), None
    raise AssertionError(f"{operation_id}: no success response")


def multipart_model(api: str, operation_id: str) -> str | None:
    """The schema name of an operation's multipart (file upload) body, if it has one."""
    _, _, op = operations(api)[operation_id]
    media = (op.get("requestBody") or {}).get("content", {}).get("multipart/form-data")
    return media["schema"]["$ref"].rsplit("/", 1)[-1] if media else None


def without_nulls(value: Any) -> Any:
    """What a body becomes on the wire: a field set to None (absent) is not sent."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return [without_nulls(v) for v in value] if isinstance(value, list) else value


def request_example(api: str, operation_id: str) -> Any:
    _, _, op = operations(api)[operation_id]
    body = resolve(api, op.get("requestBody"))
    if not body:
        return None
    for media in body["content"].values():
        for example in (media.get("examples") or {}).values():
            return resolve(api, example)["value"]
    return {}


def minimal(api: str, schema: Any) -> Any:
    """The smallest value the schema accepts: required fields only, first choices."""
    schema = resolve(api, schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = minimal(api, part)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return minimal(api, schema[key][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal(api, props.get(name, {})) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "string":
        return {"date-time": "2024-01-01T00:00:00+00:00", "decimal": "1.5"}.get(
            schema.get("format", ""), "x"
        )
    return {"integer": 1, "number": 1.5, "boolean": True}[kind]
