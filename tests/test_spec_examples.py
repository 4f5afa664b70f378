"""The specs stay honest: they are valid OpenAPI, and every named example in them both matches its
schema and goes through the generated client unchanged.

Response examples are fed as an ``httpx.Response`` built in memory to the operation's generated
``_parse_response``; request examples are loaded into the ``body`` model of the operation's
``_get_kwargs``. Either way the parsed object must be typed as its annotations say (no raw dict left
where a model belongs) and ``to_dict()`` must give the example back.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import decimal
import enum
import functools
import importlib
import pkgutil
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[1]
SPECS = {
    "metaapi": "metaapi-provisioning.yaml",
    "brokerwork": "brokerwork.yaml",
    "b2core": "b2core-ib.yaml",
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


# --------------------------------------------------------------------------------------------
# Reading the specs
# --------------------------------------------------------------------------------------------


@functools.cache
def load_spec(api: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "specs" / SPECS[api]).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _lookup(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    for raw in pointer.lstrip("/").split("/"):
        node = node[raw.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(doc: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local ``$ref`` chains; answers the target and its JSON pointer in ``doc``."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str) and ref.startswith("#/"), f"only local $refs expected: {ref!r}"
        assert ref not in seen, f"$ref loop at {ref}"
        seen.add(ref)
        pointer = ref[1:]
        node = _lookup(doc, pointer)
    return node, pointer


@dataclasses.dataclass(frozen=True)
class Example:
    api: str
    operation_id: str
    status: str | None  # None for a request body example
    media: str
    name: str
    value: Any
    schema_pointer: str  # JSON pointer (in the spec) of the media type's schema

    @property
    def id(self) -> str:
        where = "request" if self.status is None else self.status
        media = "" if self.media == "application/json" else f"[{self.media}]"
        return f"{self.api}:{self.operation_id}:{where}{media}:{self.name}"


def _media_examples(
    api: str, op_id: str, status: str | None, content: dict[str, Any], content_pointer: str
) -> Iterator[Example]:
    doc = load_spec(api)
    for media, media_obj in content.items():
        media_pointer = f"{content_pointer}/{_pointer_token(media)}"
        for name, raw in (media_obj.get("examples") or {}).items():
            example, _ = resolve(doc, raw, f"{media_pointer}/examples/{_pointer_token(name)}")
            assert "value" in example, f"{api}:{op_id}: example {name!r} has no inline value"
            yield Example(
                api=api,
                operation_id=op_id,
                status=status,
                media=media,
                name=name,
                value=example["value"],
                schema_pointer=f"{media_pointer}/schema",
            )


def iter_operations(api: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(operationId, operation, JSON pointer of the operation) for every operation of ``api``."""
    for path, item in load_spec(api)["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield op["operationId"], op, f"/paths/{_pointer_token(path)}/{method}"


def collect_examples(api: str) -> list[Example]:
    doc = load_spec(api)
    found: list[Example] = []
    for op_id, op, op_pointer in iter_operations(api):
        if "requestBody" in op:
            body, body_pointer = resolve(doc, op["requestBody"], f"{op_pointer}/requestBody")
            found += _media_examples(
                api, op_id, None, body.get("content", {}), f"{body_pointer}/content"
            )
        for status, raw in op.get("responses", {}).items():
            response, response_pointer = resolve(
                doc, raw, f"{op_pointer}/responses/{_pointer_token(str(status))}"
            )
            found += _media_examples(
                api, op_id, str(status), response.get("content", {}), f"{response_pointer}/content"
            )
    return found


ALL_EXAMPLES = [example for api in SPECS for example in collect_examples(api)]
RESPONSE_EXAMPLES = [example for example in ALL_EXAMPLES if example.status is not None]
REQUEST_EXAMPLES = [example for example in ALL_EXAMPLES if example.status is None]


def _params(examples: list[Example]) -> Any:
    return pytest.mark.parametrize("example", examples, ids=[example.id for example in examples])


# --------------------------------------------------------------------------------------------
# Finding the generated code
# --------------------------------------------------------------------------------------------


@functools.cache
def operation_modules(api: str) -> dict[str, types.ModuleType]:
    """operationId -> generated endpoint module, read from the ``OPERATION`` each module tags its
    requests with."""
    package = importlib.import_module(f"brokerlink.generated.{api}.api")
    modules: dict[str, types.ModuleType] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        if info.ispkg:
            continue
        module = importlib.import_module(info.name)
        operation = getattr(module, "OPERATION", None)
        assert operation is not None, f"{info.name}: no OPERATION"
        assert operation.api == api, f"{info.name}: tagged for {operation.api}"
        assert operation.operation_id not in modules, f"{operation.operation_id} generated twice"
        modules[operation.operation_id] = module
    return modules


def operation_module(api: str, operation_id: str) -> types.ModuleType:
    return operation_modules(api)[operation_id]


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])|(?<=[a-zA-Z])(?=[0-9])", "_", operation_id).lower()


@functools.cache
def type_namespace(api: str) -> dict[str, Any]:
    """Names the generated annotations use (models are imported under TYPE_CHECKING only)."""
    models = importlib.import_module(f"brokerlink.generated.{api}.models")
    generated_types = importlib.import_module(f"brokerlink.generated.{api}.types")
    return {
        **vars(generated_types),
        **vars(models),
        "datetime": datetime,
        "Decimal": decimal.Decimal,
    }


# --------------------------------------------------------------------------------------------
# Comparing and type-checking
# --------------------------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE
)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(E[+-]?\d+)?$", re.IGNORECASE)


def normalise(value: Any) -> Any:
    """JSON value -> comparable form: zoned ISO 8601 strings become datetimes, decimal-looking
    strings become tagged Decimals (never equal to a JSON number), booleans are tagged (never
    equal to 0/1), ints and floats compare numerically; a null field is an absent one (the
    models read both as None and send neither)."""
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str):
        if _DATE_TIME.match(value):
            return datetime.datetime.fromisoformat(value)
        if _DECIMAL.match(value):
            return ("decimal", decimal.Decimal(value))
        return value
    return value


def dump(parsed: Any) -> Any:
    """The JSON form of whatever a generated parser returned."""
    if hasattr(parsed, "to_dict"):
        return parsed.to_dict()
    if isinstance(parsed, list):
        return [dump(item) for item in parsed]
    if isinstance(parsed, enum.Enum):
        return parsed.value
    return parsed


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_json(item) for key, item in value.items())
    return False


def type_errors(value: Any, hint: Any, namespace: dict[str, Any], path: str) -> list[str]:
    """Why ``value`` is not an instance of the annotation ``hint`` (empty when it is)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return [] if _is_json(value) or attrs.has(type(value)) else [f"{path}: {value!r} not JSON"]
    if origin in (typing.Union, types.UnionType):
        errors: list[str] = []
        for option in typing.get_args(hint):
            option_errors = type_errors(value, option, namespace, path)
            if not option_errors:
                return []
            errors += option_errors
        return [f"{path}: {value!r} matches none of {hint}: {errors}"]
    if hint is None or hint is type(None):
        return [] if value is None else [f"{path}: {value!r} is not None"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} is not a list"]
        (item_hint,) = typing.get_args(hint)
        return [
            error
            for index, item in enumerate(value)
            for error in type_errors(item, item_hint, namespace, f"{path}[{index}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not a dict"]
        _, item_hint = typing.get_args(hint)
        return [
            error
            for key, item in value.items()
            for error in type_errors(item, item_hint, namespace, f"{path}[{key!r}]")
        ]
    if not isinstance(hint, type):
        return [f"{path}: unsupported annotation {hint!r}"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str) and not isinstance(value, enum.Enum)
    else:
        ok = isinstance(value, hint)
    if not ok:
        return [f"{path}: {type(value).__name__} {value!r} is not {hint.__name__}"]
    if attrs.has(hint):
        return model_type_errors(value, namespace, path)
    return []


def model_type_errors(model: Any, namespace: dict[str, Any], path: str) -> list[str]:
    hints = typing.get_type_hints(type(model), localns=namespace)
    errors: list[str] = []
    for field in attrs.fields(type(model)):
        errors += type_errors(
            getattr(model, field.name), hints[field.name], namespace, f"{path}.{field.name}"
        )
    return errors


def assert_round_trip(parsed: Any, value: Any) -> None:
    assert normalise(dump(parsed)) == normalise(value)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", list(SPECS))
def test_spec_is_valid_openapi(api: str) -> None:
    validate_openapi(copy.deepcopy(load_spec(api)))


@pytest.mark.parametrize("api", list(SPECS))
def test_spec_has_request_and_response_examples(api: str) -> None:
    examples = collect_examples(api)
    assert any(example.status is None for example in examples)
    assert any(example.status is not None for example in examples)
    ids = [example.id for example in examples]
    assert len(ids) == len(set(ids)), "example ids must be unique"


@pytest.mark.parametrize("api", list(SPECS))
def test_every_operation_has_one_generated_module(api: str) -> None:
    modules = operation_modules(api)
    spec_ids = [op_id for op_id, _, _ in iter_operations(api)]
    assert sorted(modules) == sorted(spec_ids)
    for op_id, module in modules.items():
        assert module.__name__.rsplit(".", 1)[-1] == snake_case(op_id)


@_params(RESPONSE_EXAMPLES)
def test_response_example_parses_and_round_trips(example: Example) -> None:
    assert example.media == "application/json", "only JSON responses are parsed"
    module = operation_module(example.api, example.operation_id)
    response = httpx.Response(int(example.status or 0), json=example.value)

    parsed = module._parse_response(response)

    assert parsed is not None, "the generated client does not know this status"
    hints = typing.get_type_hints(module._parse_response)
    namespace = type_namespace(example.api)
    assert type_errors(parsed, hints["return"], namespace, "response") == []
    assert_round_trip(parsed, example.value)


def _body_models(module: types.ModuleType, api: str) -> list[type]:
    hints = typing.get_type_hints(module._get_kwargs, localns=type_namespace(api))
    assert "body" in hints, f"{module.__name__}._get_kwargs takes no body"
    hint = hints["body"]
    options = (
        typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, types.UnionType)
        else (hint,)
    )
    return [option for option in options if option is not type(None)]


@_params(REQUEST_EXAMPLES)
def test_request_example_loads_and_round_trips(example: Example) -> None:
    module = operation_module(example.api, example.operation_id)
    models = _body_models(module, example.api)
    assert len(models) == 1, f"expected one body model, got {models}"
    (model,) = models

    body = model.from_dict(example.value)

    assert type_errors(body, model, type_namespace(example.api), "body") == []
    assert_round_trip(body, example.value)


# --------------------------------------------------------------------------------------------
# Examples against their JSON schemas (OpenAPI 3.1 schemas are JSON Schema 2020-12)
# --------------------------------------------------------------------------------------------

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_zoned_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    return datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMAT_CHECKER.checks("decimal", raises=decimal.InvalidOperation)
def _is_decimal(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DECIMAL.match(value)) and decimal.Decimal(value).is_finite()


def _spec_uri(api: str) -> str:
    return f"urn:brokerlink:spec:{api}"


@functools.cache
def _registry(api: str) -> Registry:
    resource = Resource.from_contents(load_spec(api), default_specification=DRAFT202012)
    return Registry().with_resource(_spec_uri(api), resource)


def schema_validator(api: str, schema_pointer: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"{_spec_uri(api)}#{schema_pointer}"}
    return jsonschema.Draft202012Validator(
        schema, registry=_registry(api), format_checker=FORMAT_CHECKER
    )


@_params(ALL_EXAMPLES)
def test_example_matches_its_schema(example: Example) -> None:
    validator = schema_validator(example.api, example.schema_pointer)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(example.value)
    ]
    assert errors == []


def _account_example() -> Example:
    return next(
        example
        for example in RESPONSE_EXAMPLES
        if (example.api, example.operation_id, example.status) == ("b2core", "getAccount", "200")
    )


@pytest.mark.parametrize(
    ("field", "bad_value"),
    [
        ("accountId", 6006),  # type: string, through a $ref to components
        ("balance", "3,00"),  # format: decimal
        ("balance", 3.0),  # money must be a string
        ("createTime", "2021-01-01 00:00:00"),  # format: date-time needs T and a zone
        ("uuid", 5),  # type: [string, "null"]
    ],
)
def test_schema_check_rejects_a_broken_example(field: str, bad_value: Any) -> None:
    """The validation above resolves refs and checks formats: a broken value is caught."""
    example = _account_example()
    broken = {**example.value, field: bad_value}
    validator = schema_validator(example.api, example.schema_pointer)
    assert validator.is_valid(example.value)
    assert not validator.is_valid(broken)


def test_round_trip_check_catches_a_changed_value() -> None:
    """The comparison used above is not too lenient."""
    example = _account_example()
    value = example.value
    assert normalise({**value, "balance": "3.0000000000000000001"}) != normalise(value)
    assert normalise({**value, "archived": 0}) != normalise(value)
    assert normalise({**value, "number": 12345}) != normalise(value)
    assert normalise({**value, "createTime": "2021-01-01T00:00:01+00:00"}) != normalise(value)
    assert normalise({**value, "createTime": "2021-01-01T00:00:00Z"}) == normalise(value)
    assert normalise({**value, "balance": "3.0"}) == normalise(value)


def test_type_check_catches_an_unparsed_model() -> None:
    """A raw dict left where a model belongs is reported, which a round trip alone would miss."""
    from brokerlink.generated.brokerwork.models import AccountInfoResponse

    namespace = type_namespace("brokerwork")
    parsed = AccountInfoResponse.from_dict({"result": True, "mcode": "m0000000", "data": []})
    assert model_type_errors(parsed, namespace, "response") == []
    parsed.data = [{"login": 1}]  # type: ignore[list-item]
    assert model_type_errors(parsed, namespace, "response") != []
