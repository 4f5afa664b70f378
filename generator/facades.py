"""Plan the facade methods: one per operation, computed from the parsed spec for the template."""

from __future__ import annotations

import dataclasses
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
    prose: list[str] = field(default_factory=list)  # the summary, then the description
    args: list[tuple[str, str]] = field(default_factory=list)  # (parameter, what it is)
    raises: list[tuple[str, str]] = field(default_factory=list)  # (error classes, when)
    shape: str = ""  # "items" or "page": the one form a list operation of two forms returns
    pages: dict[str, Any] = field(default_factory=dict)  # an iter_ method: how it pages

    @property
    def doc(self) -> str:
        """The docstring: prose, ``Args:`` and ``Raises:``, wrapped."""
        lines: list[str] = []
        for i, part in enumerate(self.prose):
            lines += ([""] if i else []) + (textwrap.wrap(part, 92) or [""])
        for title, rows in (("Args", self.args), ("Raises", self.raises)):
            if rows:
                lines += ["", f"{title}:"]
                for name, text in rows:
                    wrapped = textwrap.wrap(f"{name}: {text}", 88)
                    lines += ["    " + wrapped[0], *("        " + w for w in wrapped[1:])]
        return "\n".join(lines)


def _code(value: Any) -> str:
    """Source text of a parser type string or declaration (a ``PythonCode``) or plain string."""
    return str(value.as_unembedded_code()) if hasattr(value, "as_unembedded_code") else str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    raw = value.get_untrusted_value() if hasattr(value, "get_untrusted_value") else str(value)
    return str(raw).replace("\\", "\\\\").replace('"""', "'''").strip()


def _parameter_docs(
    endpoint: Any,
    extra_args: list[tuple[str, str]],
    raw_parameter: Callable[[Any, Any], Any],
    operation_id: str,
) -> list[tuple[str, str]]:
    """Each parameter's description from the spec (the generator fails on one without)."""
    args: list[tuple[str, str]] = []
    for prop in endpoint.list_all_parameters():
        if prop.python_name in {name for name, _ in extra_args}:
            continue
        doc = _text(prop.description) or _text(raw_parameter(endpoint, prop.name).description)
        if not doc:  # the spec is where a parameter is explained; a facade never says less
            raise ValueError(f"{operation_id}: parameter {_text(prop.name)} has no description")
        args.append((str(prop.python_name), doc))
    return args + extra_args


def accepting_values(prop: Any) -> str:
    """A parameter's declaration where an enum (or a list of one) also takes its plain values,
    typed as the enum's ``<Enum>Value`` Literal: ``sort_order="asc"`` passes the type checker,
    ``"up"`` does not (though an unknown value is still sent as it is, for newer values)."""
    declaration = _code(prop.to_string())
    inner = getattr(prop, "inner_property", None)
    enum = inner if hasattr(inner, "values") else prop if hasattr(prop, "values") else None
    if enum is None:
        return declaration
    name = str(enum.class_info.name)
    return re.sub(rf"\b{name}\b", f"{name} | {name}Value", declaration, count=1)


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
            method.params.append(f"body: {model} | {model}Dict{optional}")
            method.prelude.append(f"body = _coerce_model({model}, body, 'body')")
            if not body.prop.is_multipart_body:
                method.prelude.append("body = _with_extra(body, extra_body)")
            method.models.append((str(body.prop.class_info.module_name), model))
        else:
            method.params.append(f"body: {model}{optional}")
        method.call_args.append("body=body")
        method.has_body = True
        extra_docs.append(
            (
                "body",
                f"Request body: a `{model}` or a `{model}Dict` (a mapping with the API's JSON "
                "names, checked before sending).",
            )
        )
    for prop in [*endpoint.query_parameters, *endpoint.header_parameters]:
        wire = raw_parameter(endpoint, prop.name)
        py = prop.python_name
        if wire.autogenerate:
            method.params.append(f"{py}: str | None = None")
            method.prelude.append(f"{py} = {py} if {py} is not None else new_transaction_id()")
        elif wire.style == "deepObject":
            model = _code(prop.get_type_string(no_optional=True))
            method.params.append(f"{py}: {model} | {model}Dict | Unset = UNSET")
            method.prelude.append(f"{py} = _coerce_model({model}, {py}, {py!r})")
            method.models.append((str(prop.class_info.module_name), model))
        else:
            method.params.append(accepting_values(prop))
        method.call_args.append(f"{py}={py}")
    if "body = _with_extra(body, extra_body)" in method.prelude:
        method.params.append("extra_body: Mapping[str, Any] | None = None")
        extra_docs.append(
            ("extra_body", "Fields sent in the body beyond the spec's (a vendor's newer ones).")
        )
    if method.params[-1] == "*":
        method.params.pop()
    method.prose = [p for p in (_text(endpoint.summary), _text(endpoint.description)) if p]
    method.args = _parameter_docs(endpoint, extra_docs, raw_parameter, operation_id)
    return method


def _list_type(union: str) -> str:
    """The ``list[...]`` member of a return type union (a list operation of two forms)."""
    return next(t for t in union.split(" | ") if t.startswith("list["))


def _page_forms(method: FacadeMethod, form: dict[str, str]) -> list[FacadeMethod]:
    """A list operation that answers a bare array or, asked by a header, a counted page becomes
    two methods with one return type each: ``list_x`` (the items) and ``list_x_page``."""
    header = snake_case(form["header"].replace("-", "_")).replace("__", "_")
    items = _list_type(method.return_type)
    keep = [p for p in method.params if not p.startswith(f"{header}:")]
    args = [a for a in method.call_args if not a.startswith(f"{header}=")]
    documented = [(n, d) for n, d in method.args if n != header]
    plain = dataclasses.replace(
        method,
        params=keep,
        call_args=args,
        return_type=items,
        shape="items.items",
        args=documented,
    )
    summary, *rest = method.prose
    paged = dataclasses.replace(
        plain,
        name=f"{method.name}_page",
        call_args=[*args, f"{header}={form['value']!r}"],
        return_type=form["page"],
        shape="page",
        prose=[f"{summary.rstrip('.')}, as a counted page (``count`` and ``items``).", *rest],
    )
    return [plain, paged]


def value_aliases(openapi: Any) -> list[tuple[str, str]]:
    """(module, enum name) of every enum: its module also defines ``<Enum>Value``."""
    return sorted((str(e.class_info.module_name), str(e.class_info.name)) for e in openapi.enums)


def value_alias_names(openapi: Any) -> list[str]:
    return [f"{name}Value" for _, name in value_aliases(openapi)]


def model_names(openapi: Any) -> list[str]:
    """Every model and enum class of the package and the enums' value aliases (the facade
    imports what it uses, for its annotations only: a method imports its operation's module and
    models when first called)."""
    names = {str(m.class_info.name) for m in [*openapi.models, *openapi.enums]}
    return sorted(names | set(value_alias_names(openapi)))


def _unwrap(method: FacadeMethod, openapi: Any, payload: str) -> None:
    """Return the envelope's ``payload`` field in one shape: a list where the vendor sends an
    item or a list of them (or a bare list), the model where it sends one, None where the spec
    gives the payload no schema."""
    envelope = next(
        (m for m in openapi.models if str(m.class_info.name) == method.return_type), None
    )
    field = (
        next(
            (
                p
                for p in (envelope.required_properties + envelope.optional_properties)
                if _text(p.name) == payload
            ),
            None,
        )
        if envelope is not None
        else None
    )
    if field is None:
        return
    kinds = [k.strip() for k in _code(field.get_type_string(no_optional=True)).split(" | ")]
    kinds = [k for k in kinds if k != "None"]
    lists = [k for k in kinds if k.startswith("list[")]
    if lists:
        method.return_type, method.shape = lists[0], "payload-list"
    elif kinds == ["Any"]:
        method.return_type, method.shape = "None", "payload-none"
    else:
        method.return_type, method.shape = " | ".join(kinds), "payload"


def facade_methods(
    openapi: Any,
    raw_operation: Callable[[Any], dict[str, Any]],
    raw_parameter: Callable[[Any, Any], Any],
    raises: Callable[[dict[str, Any], bool], list[tuple[str, str]]] = lambda raw, coerces: [],
    payload: str = "",
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
            method.raises = raises(raw, coerces)
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
                documented = raw.get("responses", {}).get(str(low), {})
                type_string = (
                    _code(response.prop.get_type_string()) if documented.get("content") else "None"
                )
                if type_string not in types:
                    types.append(type_string)
            if not success:
                raise ValueError(f"{method.operation_id}: no success response in the spec")
            method.success_codes = tuple(success)
            non_none = [t for t in types if t != "None"]
            method.return_type = (
                " | ".join(non_none + (["None"] if "None" in types else [])) or "None"
            )
            if payload:
                _unwrap(method, openapi, payload)
            wrapped = raw.get("x-brokerlink-items")
            if wrapped:
                method.return_type = _list_type(method.return_type)
                method.shape = f"items.{wrapped}"
            page_form = raw.get("x-brokerlink-page-form")
            forms = _page_forms(method, page_form) if page_form else [method]
            methods.extend(forms)
            paginate = raw.get("x-brokerlink-paginate")
            if paginate:
                methods.append(_iterator(forms[0], paginate, openapi))
    return sorted(methods, key=lambda m: m.name)


PAGING = {"offset": ("offset", "limit"), "page": ("page", "size")}
PAGE_SIZE = 100


def _iterator(method: FacadeMethod, paginate: dict[str, str], openapi: Any) -> FacadeMethod:
    """``iter_<noun>``: the items of every page of a list method, fetched as they are needed.
    ``offset`` style (offset/limit) stops at a short page; ``page`` style (page/size) at the
    answer's ``pages``."""
    style = paginate["style"]
    position, size = PAGING[style]
    item, listed = method.return_type, ""
    if style == "page":  # the page model's ``list`` field
        page = next(m for m in openapi.models if str(m.class_info.name) == method.return_type)
        field = next(p for p in page.required_properties if _text(p.name) == "list")
        item = _code(field.get_type_string(no_optional=True))
        listed = str(field.python_name)  # ``list_``: the name shadows a builtin
    element = item.removeprefix("list[").removesuffix("]")
    names = [p.split(":")[0].strip() for p in method.params if p != "*"]
    filters = [n for n in names if n not in (position, size)]
    keep = [p for p in method.params if p.split(":")[0].strip() not in (position, size)]
    keep = [p for p in keep if p != "*"]
    args = ", ".join(f"{n}={n}" for n in filters)
    if paginate.get("in") == "body":  # the page's number and size are fields of the body
        wire = f"{paginate['page']!r}, {paginate['size']!r}"
        args = args.replace("body=body", f"body=_paged_body(body, {position}, {size}, {wire})")
    noun = paginate["noun"].replace("_", " ").rstrip("s")
    kept = {p.split(":")[0].strip() for p in keep}
    prose = [
        f"Every {noun} :meth:`{method.name}` finds, page after page.",
        "A lazy iterator (on an async client: ``async for``): each page is fetched when the "
        "previous one is used up, ``page_size`` items at a time; it stops after the last page.",
    ]
    documented = [(n, d) for n, d in method.args if n in kept]
    documented.append(("page_size", f"Items per request (default {PAGE_SIZE})."))
    return FacadeMethod(
        name=f"iter_{paginate['noun']}",
        operation_id=method.operation_id,
        package=method.package,
        leaf=method.leaf,
        alias=method.alias,
        params=["*", *keep, f"page_size: int = {PAGE_SIZE}"],
        return_type=element,
        prose=prose,
        args=documented,
        raises=method.raises,  # what the list method raises, page by page
        pages={
            "style": style,
            "list": method.name,
            "args": args,
            "position": position,
            "size": size,
            "field": listed,
            "in_body": paginate.get("in") == "body",
        },
    )
