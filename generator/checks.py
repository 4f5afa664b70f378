"""What the templates need to check bodies against the spec and to hide secrets.

``kind(property)`` is the Python expression of the ``..types`` checker of one property (``STR``,
``list_of(model(Account))``, ``one_of(NULL, DECIMAL)``); the generated ``from_dict`` hands every
field to ``types.take`` with it, so a value of the wrong type raises ``FieldTypeError`` with its
JSON path. ``is_secret(model, property)`` reads ``x-brokerlink-secret: true`` off the property's
schema (the model's own or an ``allOf`` part).
"""

from __future__ import annotations

from typing import Any

from openapi_python_client.parser.properties import (
    AnyProperty,
    BooleanProperty,
    ConstProperty,
    DateProperty,
    DateTimeProperty,
    EnumProperty,
    FileProperty,
    FloatProperty,
    IntProperty,
    ListProperty,
    ModelProperty,
    NoneProperty,
    StringProperty,
    UnionProperty,
)

from generator.decimal_support import DecimalProperty

SECRET = "x-brokerlink-secret"
_SIMPLE = {
    StringProperty: "STR",
    IntProperty: "INT",
    FloatProperty: "NUM",
    BooleanProperty: "BOOL",
    NoneProperty: "NULL",
    AnyProperty: "ANY",
    DateTimeProperty: "DATETIME",
    DateProperty: "DATE",
    DecimalProperty: "DECIMAL",
    ConstProperty: "ANY",
    FileProperty: "FILE",
}


class UnknownProperty(Exception):
    """A property class the checks do not know: teach ``kind`` instead of skipping the check."""


def _name(prop: Any) -> str:
    name = prop.name
    return str(name.get_untrusted_value() if hasattr(name, "get_untrusted_value") else name)


def kind(prop: Any) -> str:
    """The checker expression of ``prop`` (built from the names of ``..types``)."""
    for cls, name in _SIMPLE.items():
        if type(prop) is cls:
            return name
    if isinstance(prop, EnumProperty):
        return f"enum({prop.class_info.name})"
    if isinstance(prop, ModelProperty):
        return f"model({prop.class_info.name})"
    if isinstance(prop, ListProperty):
        return f"list_of({kind(prop.inner_property)})"
    if isinstance(prop, UnionProperty):
        return f"one_of({', '.join(kind(p) for p in prop.inner_properties)})"
    raise UnknownProperty(f"{_name(prop)}: {type(prop).__name__}")


def _schemas(spec: dict[str, Any], schema: Any) -> list[dict[str, Any]]:
    """``schema`` (a pydantic model of the parser) and its ``allOf`` parts, as raw dicts."""
    raw = schema.model_dump(by_alias=True, exclude_none=True)
    if "$ref" in raw or "ref" in raw:
        name = str(raw.get("$ref") or raw["ref"]).rsplit("/", 1)[-1]
        raw = spec.get("components", {}).get("schemas", {}).get(name, {})
    found = [raw]
    for part in raw.get("allOf", []):
        if "$ref" in part:
            name = str(part["$ref"]).rsplit("/", 1)[-1]
            part = spec.get("components", {}).get("schemas", {}).get(name, {})
        found.append(part)
    return found


def secret_checker(spec: dict[str, Any]) -> Any:
    """``is_secret(model, property)`` for the templates of one spec."""

    def is_secret(model: Any, prop: Any) -> bool:
        for schema in _schemas(spec, model.data):
            raw = (schema.get("properties") or {}).get(_name(prop))
            if isinstance(raw, dict) and raw.get(SECRET) is True:
                return True
        return False

    return is_secret


def attribute_declarer(spec: dict[str, Any]) -> Any:
    """``attribute(model, property)``: the attrs attribute line, ``repr=False`` for a secret."""
    is_secret = secret_checker(spec)

    def attribute(model: Any, prop: Any) -> str:
        line = str(prop.to_string().as_unembedded_code())
        if not is_secret(model, prop):
            return line
        declared, _, default = line.partition(" = ")
        first = f"default={default}, " if default else ""
        return f"{declared} = _attrs_field({first}repr=False)"

    return attribute
