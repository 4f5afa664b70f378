"""A TypedDict of the API's JSON names for every request body model (``<Model>Dict``), so a body
given as a mapping is checked by the type checker as the model is: a misspelt key or a value of
the wrong type is flagged. Written to ``models/_bodies.py`` and exported beside the models."""

from __future__ import annotations

from typing import Any

from generator.facades import _text

_PLAIN = {
    "StringProperty": "str",
    "IntProperty": "int",
    "FloatProperty": "float | int",
    "BooleanProperty": "bool",
    "DateTimeProperty": "datetime.datetime | str",
    "DateProperty": "datetime.date | str",
    "DecimalProperty": "Decimal | str | int",
    "FileProperty": "File",
    "AnyProperty": "Any",
    "NoneProperty": "None",
}


def _json_type(prop: Any, wanted: dict[str, Any], used: set[str]) -> str:
    """The value type of one field; ``wanted`` gains nested models, ``used`` the models' names."""
    kind = type(prop).__name__
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "EnumProperty":
        name = str(prop.class_info.name)
        used.update((name, f"{name}Value"))
        return f"{name} | {name}Value"
    if kind == "ModelProperty":
        name = str(prop.class_info.name)
        if not (prop.required_properties or prop.optional_properties):
            return "Mapping[str, Any]"  # a free-form object (``metadata``)
        wanted[name] = prop
        used.add(name)
        return f"{name}Dict | {name}"
    if kind == "ListProperty":
        return f"list[{_json_type(prop.inner_property, wanted, used)}]"
    if kind == "UnionProperty":
        kinds = (_json_type(p, wanted, used) for p in prop.inner_properties)
        return " | ".join(dict.fromkeys(kinds))
    return "Any"


def body_dicts(models: list[Any]) -> tuple[str, list[str]]:
    """The module's source (body and nested models, each once) and the names it defines."""
    wanted: dict[str, Any] = {str(m.class_info.name): m for m in models}
    done: dict[str, str] = {}
    used: set[str] = set()
    while len(done) < len(wanted):
        for name, model in list(wanted.items()):
            if name in done:
                continue
            fields = []
            for prop in model.required_properties + model.optional_properties:
                value = _json_type(prop, wanted, used)
                value = value if prop.required else f"NotRequired[{value}]"
                # quoted: the functional form evaluates its values, these name typing-only types
                fields.append(f"        {_text(prop.name)!r}: {value!r},")
            done[name] = (
                f"{name}Dict = TypedDict(\n    {name + 'Dict'!r},\n    {{\n"
                + "\n".join(fields)
                + "\n    },\n)\n"
                + f'"""``{name}`` as a mapping with the API\'s JSON names."""\n'
            )
    names = sorted(done)
    models_used = sorted(used)
    header = (
        '"""The request bodies as TypedDicts of the API\'s JSON names (generated)."""\n\n'
        "from __future__ import annotations\n\nimport datetime\n"
        "from collections.abc import Mapping\nfrom decimal import Decimal\n"
        "from typing import TYPE_CHECKING, Any, NotRequired, TypedDict\n\n"
        "if TYPE_CHECKING:\n    from ..types import File\n    from . import (\n"
        + "".join(f"        {n},\n" for n in models_used)
        + "    )\n\n\n"
    )
    return header + "\n\n".join(done[n] for n in names), [f"{n}Dict" for n in names]
