"""Plan the facade methods: one per operation, computed from the parsed spec for the template."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FacadeMethod:
    """Everything ``facade.py.jinja`` needs to write one sync and one async method."""

    name: str
    operation_id: str
    package: str  # the operation's module is ``leaf`` in this package, e.g. ".api.accounts"
    leaf: str
    alias: str
    params: list[str] = field(default_factory=list)  # declarations, "*" included
    prelude: list[str] = field(default_factory=list)  # statements run before the request
    models: list[tuple[str, str]] = field(default_factory=list)  # (module, class) the prelude uses
    call_args: list[str] = field(default_factory=list)
    success_codes: tuple[int, ...] = ()
    path_args: list[str] = field(default_factory=list)  # path parameters, by Python name
    has_body: bool = False
    return_type: str = "None"
    doc: str = ""


def _code(value: Any) -> str:
    """Source text of a parser type string or declaration (a ``PythonCode``) or plain string."""
    return str(value.as_unembedded_code()) if hasattr(value, "as_unembedded_code") else str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    raw = value.get_untrusted_value() if hasattr(value, "get_untrusted_value") else str(value)
    return str(raw).replace("\\", "\\\\").replace('"""', "'''").strip()


def _docstring(
    endpoint: Any,
    extra_args: list[tuple[str, str]],
    raw_parameter: Callable[[Any, Any], Any],
    operation_id: str,
) -> str:
    parts = [p for p in (_text(endpoint.summary), _text(endpoint.description)) if p]
    lines: list[str] = []
    for i, part in enumerate(parts):
        if i:
            lines.append("")
        lines.extend(textwrap.wrap(part, 92) or [""])
    args: list[str] = []
    for prop in endpoint.list_all_parameters():
        if prop.python_name in {name for name, _ in extra_args}:
            continue
        doc = _text(prop.description) or _text(raw_parameter(endpoint, prop.name).description)
        if not doc:  # the spec is where a parameter is explained; a facade never says less
            raise ValueError(f"{operation_id}: parameter {_text(prop.name)} has no description")
        args.append(f"{prop.python_name}: {doc}")
    args.extend(f"{name}: {doc}" for name, doc in extra_args)
    if args:
        lines += ["", "Args:"]
        for arg in args:
            wrapped = textwrap.wrap(arg, 88)
            lines.append("    " + wrapped[0])
            lines.extend("        " + w for w in wrapped[1:])
    return "\n".join(lines)


def _raises_section(rows: list[tuple[str, str]]) -> list[str]:
    lines = ["", "Raises:"]
    for cls, when in rows:
        wrapped = textwrap.wrap(f"{cls}: {when}", 88)
        lines.append("    " + wrapped[0])
        lines.extend("        " + w for w in wrapped[1:])
    return lines


def snake_case(operation_id: str) -> str:
    """operations.md's rule: split before each capital (``createMt4DemoAccount`` ->
    ``create_mt4_demo_account``), digits stay with the word they follow."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()


def _plan(
    endpoint: Any, tag: str, operation_id: str, raw_parameter: Callable[[Any, Any], Any]
) -> FacadeMethod:
    name = str(endpoint.name)
    method = FacadeMethod(
        name=snake_case(operation_id),
        operation_id="",
        package=f".api.{tag}",
        leaf=name,
        alias=f"_{name}",
    )
    extra_docs: list[tuple[str, str]] = []
    for prop in endpoint.path_parameters:
        method.params.append(_code(prop.to_string()))
        method.call_args.append(f"{prop.python_name}={prop.python_name}")
        method.path_args.append(str(prop.python_name))
    method.params.append("*")
    if endpoint.bodies:
        body = endpoint.bodies[0]
        model = _code(body.prop.get_type_string(no_optional=True))
        optional = "" if body.prop.required else " | Unset = UNSET"
        if len(endpoint.bodies) == 1 and hasattr(body.prop, "class_info"):
            method.params.append(f"body: {model} | Mapping[str, Any]{optional}")
            method.prelude.append(f"body = _coerce_model({model}, body, 'body')")
            method.models.append((str(body.prop.class_info.module_name), model))
        else:
            method.params.append(f"body: {model}{optional}")
        method.call_args.append("body=body")
        method.has_body = True
        extra_docs.append(
            ("body", f"Request body: a `{model}` or a mapping with the API's JSON names.")
        )
    for prop in [*endpoint.query_parameters, *endpoint.header_parameters]:
        wire = raw_parameter(endpoint, prop.name)
        py = prop.python_name
        if wire.autogenerate:
            method.params.append(f"{py}: str | None = None")
            method.prelude.append(f"{py} = {py} if {py} is not None else new_transaction_id()")
        elif wire.style == "deepObject":
            model = _code(prop.get_type_string(no_optional=True))
            method.params.append(f"{py}: {model} | Mapping[str, Any] | Unset = UNSET")
            method.prelude.append(f"{py} = _coerce_model({model}, {py}, {py!r})")
            method.models.append((str(prop.class_info.module_name), model))
        else:
            method.params.append(_code(prop.to_string()))
        method.call_args.append(f"{py}={py}")
    if method.params[-1] == "*":
        method.params.pop()
    method.doc = _docstring(endpoint, extra_docs, raw_parameter, operation_id)
    return method


def model_names(openapi: Any) -> list[str]:
    """Every model and enum class of the package (the facade imports what it uses, for its
    annotations only: a method imports its operation's module and models when first called)."""
    return sorted({str(m.class_info.name) for m in [*openapi.models, *openapi.enums]})


def facade_methods(
    openapi: Any,
    raw_operation: Callable[[Any], dict[str, Any]],
    raw_parameter: Callable[[Any, Any], Any],
    raises: Callable[[dict[str, Any], bool], list[tuple[str, str]]] = lambda raw, coerces: [],
) -> list[FacadeMethod]:
    """The methods, each with its docstring; ``raises(raw operation, coerces an argument)``
    gives the rows of its ``Raises:`` section."""
    methods: list[FacadeMethod] = []
    for tag, collection in openapi.endpoint_collections_by_tag.items():
        for endpoint in collection.endpoints:
            raw = raw_operation(endpoint)
            method = _plan(endpoint, str(tag), raw["operationId"], raw_parameter)
            method.operation_id = raw["operationId"]
            coerces = any("_coerce_model" in line for line in method.prelude)
            rows = raises(raw, coerces)
            if rows:
                method.doc = "\n".join([method.doc, *_raises_section(rows)])
            polls = any(
                raw_parameter(endpoint, p.name).autogenerate for p in endpoint.header_parameters
            )
            success: list[int] = []
            types: list[str] = []
            for response in endpoint.responses.patterns:
                low, high = response.status_code.range
                if not (low >= 200 and high < 300) or low != high or (polls and low == 202):
                    continue
                success.append(low)
                type_string = _code(response.prop.get_type_string())
                if type_string not in types:
                    types.append(type_string)
            if not success:
                raise ValueError(f"{method.operation_id}: no success response in the spec")
            method.success_codes = tuple(success)
            non_none = [t for t in types if t != "None"]
            method.return_type = (
                " | ".join(non_none + (["None"] if "None" in types else [])) or "None"
            )
            methods.append(method)
    return sorted(methods, key=lambda m: m.name)
