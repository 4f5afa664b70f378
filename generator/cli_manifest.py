"""The command line's view of the specs: ``generated/cli_manifest.py``, plain data, no imports.

``brokerlink call <api> <operation> --help`` is built from this module alone, so help stays fast
(no httpx, no generated client). Everything in it comes from the parsed spec: operation names,
parameters with their wire and Python names, types, enums, required flags, body shape and texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.apis import Api
from generator.facades import snake_case

MANIFEST_FILE = "cli_manifest.py"
_SIMPLE_FORMATS = {"decimal", "date-time", "date", "binary"}

MODULE_DOC = '''"""What ``brokerlink call`` knows about every operation, as plain data.

Written by generator/cli_manifest.py.

``APIS[api]["operations"][command]`` describes one operation: its facade method, parameters
(wire name, Python name, location, type, enum, required, description), body and help texts.
"""

from typing import Any

'''


def _text(value: Any) -> str:
    """Spec prose folded onto one paragraph per blank-line-separated block."""
    if not value:
        return ""
    blocks = re.split(r"\n\s*\n", str(value).strip())
    return "\n\n".join(" ".join(block.split()) for block in blocks)


class _Resolver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def __call__(self, obj: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj:
            node: Any = self.spec
            for part in obj["$ref"].lstrip("#/").split("/"):
                node = node[part]
            obj = node
            seen += 1
            if seen > 20:
                raise ValueError("$ref loop")
        return dict(obj) if isinstance(obj, dict) else {}

    def kind(self, schema: Any) -> dict[str, Any]:
        """A small type descriptor: ``{"type": ..., "enum"?: [...], "items"?: {...}}``."""
        s = self(schema)
        if "allOf" in s and len(s["allOf"]) == 1:
            return self.kind(s["allOf"][0])
        raw_type = s.get("type")
        listed = raw_type if isinstance(raw_type, list) else [raw_type]
        types = [str(t) for t in listed if t and t != "null"]
        if not types and ("oneOf" in s or "anyOf" in s):
            types = ["any"]
        kind = "|".join(types) if types else "any"
        if kind == "string" and s.get("format") in _SIMPLE_FORMATS:
            kind = str(s["format"])
        entry: dict[str, Any] = {"type": kind}
        if "enum" in s:
            entry["enum"] = [v for v in s["enum"] if v is not None]
        if kind == "array":
            entry["items"] = self.kind(s.get("items", {}))
        return entry

    def properties(self, schema: Any) -> list[dict[str, Any]]:
        s = self(schema)
        required = set(s.get("required", []))
        fields = []
        for name, prop in s.get("properties", {}).items():
            resolved = self(prop)
            fields.append(
                {
                    "name": name,
                    **self.kind(prop),
                    "required": name in required,
                    "description": _text(prop.get("description") or resolved.get("description")),
                }
            )
        return fields


def _param(
    resolve: _Resolver, raw: dict[str, Any], python_name: str, location: str
) -> dict[str, Any]:
    schema = resolve(raw.get("schema", {}))
    entry: dict[str, Any] = {
        "name": raw["name"],
        "python": python_name,
        "in": location,
        "required": bool(raw.get("required", location == "path")),
        **resolve.kind(schema),
        "description": _text(raw.get("description") or schema.get("description")),
    }
    if raw.get("x-brokerlink-autogenerate"):
        entry["autogenerate"] = True
    if raw.get("style") == "deepObject":
        entry["type"] = "object"
        entry["keys"] = resolve.properties(schema)
    return entry


def _body(resolve: _Resolver, endpoint: Any, raw_op: dict[str, Any]) -> dict[str, Any] | None:
    raw_body = resolve(raw_op.get("requestBody"))
    if not endpoint.bodies or not raw_body:
        return None
    content_type, media = next(iter(raw_body.get("content", {}).items()))
    body = endpoint.bodies[0]
    model = body.prop.get_type_string(no_optional=True)
    schema = resolve(media.get("schema", {}))
    return {
        "required": bool(raw_body.get("required")),
        "content": "multipart" if content_type.startswith("multipart/") else "json",
        "model": str(model.as_unembedded_code() if hasattr(model, "as_unembedded_code") else model),
        "description": _text(raw_body.get("description") or schema.get("description")),
        "fields": resolve.properties(schema),
    }


def command_name(operation_id: str) -> str:
    """``createMt4DemoAccount`` -> ``create-mt4-demo-account``."""
    return snake_case(operation_id).replace("_", "-")


def api_manifest(
    api: Api,
    spec: dict[str, Any],
    openapi: Any,
    raw_operation: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """The manifest entry of one API (its operations sorted by command name)."""
    resolve = _Resolver(spec)
    operations: dict[str, dict[str, Any]] = {}
    for collection in openapi.endpoint_collections_by_tag.values():
        for endpoint in collection.endpoints:
            raw_op = raw_operation(endpoint)
            raw_params = {
                (p["name"], p["in"]): p for p in (resolve(p) for p in raw_op["parameters"])
            }
            params = []
            for location, props in (
                ("path", endpoint.path_parameters),
                ("query", endpoint.query_parameters),
                ("header", endpoint.header_parameters),
            ):
                for prop in props:
                    wire = prop.name.get_untrusted_value()
                    if wire == raw_op.get("x-brokerlink-page-form", {}).get("header"):
                        continue  # the facade method of the plain form does not take it
                    params.append(
                        _param(resolve, raw_params[(wire, location)], prop.python_name, location)
                    )
            operation_id = raw_op["operationId"]
            operations[command_name(operation_id)] = {
                "operation_id": operation_id,
                "method": snake_case(operation_id),
                "http": f"{endpoint.method.upper()} {raw_op['x-path']}",
                "summary": _text(raw_op.get("summary")),
                "description": _text(raw_op.get("description")),
                "params": params,
                "body": _body(resolve, endpoint, raw_op),
                "polls": "202" in raw_op.get("responses", {}),
            }
    return {
        "title": api.title,
        "facade_module": f"brokerlink.generated.{api.name}.facade",
        "facade": api.facade,
        "credentials": [{"name": c.name, "description": c.doc} for c in api.credentials],
        "default_base_url": api.default_base_url,
        "polls": api.polls,
        "guarded": api.guarded,
        "operations": dict(sorted(operations.items())),
    }


def write_manifest(target: Path, apis: dict[str, dict[str, Any]], header: str) -> Path:
    """Write ``APIS = {...}`` as a Python literal (the caller formats the file with ruff)."""
    path = target / MANIFEST_FILE
    literal = repr(apis)  # one line; ruff format lays it out without splitting strings
    path.write_text(f"{header}{MODULE_DOC}APIS: dict[str, Any] = {literal}\n", encoding="utf-8")
    return path
