"""Hostile servers and bad bodies: a field of the wrong type is a typed error with its path, open
enums stay bounded, and no model shows a secret in its repr.

Parsing tests build an ``httpx.Response`` in memory and hand it to the generated
``_parse_response``; the facade tests go through real httpx transports to a local server.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import inspect
import re
from decimal import Decimal
from enum import Enum
from types import ModuleType
from typing import Any

import httpx
import pytest

import brokerlink
from brokerlink import errors
from tests.recording_server import RecordingServer
from tests.spec_data import FILES, spec

MODULE = "brokerlink.generated.{api}.api.{module}"


CREATED = {"accounts.create_account"}  # answers 201


def parse(api: str, module: str, body: Any) -> Any:
    endpoint = importlib.import_module(MODULE.format(api=api, module=module))
    status = 201 if module in CREATED else 200
    return endpoint._parse_response(httpx.Response(status, json=body))


def user(**fields: Any) -> dict[str, Any]:
    return {"id": 71, "email": "a@example.com", "phone": {"countryCode": "86"}, **fields}


def account(**fields: Any) -> dict[str, Any]:
    return {"accountId": "a1", "balance": "10.50", **fields}


def bw(data: Any) -> dict[str, Any]:
    return {"data": data, "mcode": "m0000000", "result": True}


# (api, operation module, body, path, expected, found): top level, nested and in lists.
WRONG = [
    # MetaApi
    ("metaapi", "accounts.create_account", {"id": 1.5, "state": "DEPLOYED"}, "id", "str", "float"),
    ("metaapi", "accounts.get_account", {"_id": "a", "login": None}, "login", "str", "null"),
    ("metaapi", "accounts.get_account", {"_id": "a", "login": ["1"]}, "login", "str", "list"),
    ("metaapi", "accounts.get_account", {"_id": "a", "magic": True}, "magic", "int", "bool"),
    ("metaapi", "accounts.get_account", {"_id": "a", "slippage": "1"}, "slippage", "number", "str"),
    ("metaapi", "accounts.get_account", {"_id": "a", "tags": ["x", 2]}, "tags[1]", "str", "int"),
    (
        "metaapi",
        "accounts.get_account",
        {"_id": "a", "accountReplicas": [{"_id": "r1"}, {"_id": "r2", "tags": [None]}]},
        "accountReplicas[1].tags[0]",
        "str",
        "null",
    ),
    ("metaapi", "accounts.get_account", {"_id": "a", "metadata": []}, "metadata", "object", "list"),
    ("metaapi", "accounts.get_account", {"_id": "a", "state": 3}, "state", "str", "int"),
    (
        "metaapi",
        "accounts.get_account",
        {"_id": "a", "createdAt": "yesterday"},
        "createdAt",
        "date-time",
        "str",
    ),
    (
        "metaapi",
        "accounts.list_accounts",
        [{"_id": "a"}, {"_id": "b", "magic": "7"}],
        "[1].magic",
        "int",
        "str",
    ),
    (
        "metaapi",
        "accounts.list_accounts",
        {"count": 1, "items": [{"_id": 5}]},
        "items[0]._id",
        "str",
        "int",
    ),
    (
        "metaapi",
        "replicas.list_account_replicas",
        [{"_id": "r", "resourceSlots": 1.5}],
        "[0].resourceSlots",
        "int",
        "float",
    ),
    ("metaapi", "accounts.list_accounts", "nope", "$", "list | object", "str"),
    # Broker Work
    ("brokerwork", "users.get_user_info", bw([user()]) | {"mcode": 0}, "mcode", "str", "int"),
    ("brokerwork", "users.get_user_info", bw([user(id="71")]), "data[0].id", "int", "str"),
    (
        "brokerwork",
        "users.get_user_info",
        bw([user(), user(phone={"countryCode": 86})]),
        "data[1].phone.countryCode",
        "str",
        "int",
    ),
    (
        "brokerwork",
        "users.get_user_info",
        bw([user(login=[1])]),
        "data[0].login",
        "int | str",
        "list",
    ),
    (
        "brokerwork",
        "accounts.list_accounts",
        bw({"list": [{"login": 1}, {"login": 2, "leverage": None}]}),
        "data.list[1].leverage",
        "int | str",
        "null",
    ),
    (
        "brokerwork",
        "accounts.list_accounts",
        bw({"list": [{"login": {}}]}),
        "data.list[0].login",
        "int | str",
        "object",
    ),
    (
        "brokerwork",
        "accounts.get_account_info",
        bw([{"login": "1", "frenchRisk": "no"}]),
        "data[0].frenchRisk",
        "bool",
        "str",
    ),
    ("brokerwork", "accounts.list_accounts", bw("x"), "data", "object | null", "str"),
    # B2Core
    ("b2core", "accounts.get_account", account(balance=None), "balance", "decimal", "null"),
    ("b2core", "accounts.get_account", account(balance="ten"), "balance", "decimal", "str"),
    ("b2core", "accounts.get_account", account(balance="NaN"), "balance", "decimal", "str"),
    ("b2core", "accounts.get_account", account(balance=[1]), "balance", "decimal", "list"),
    ("b2core", "accounts.get_account", account(archived=0), "archived", "bool", "int"),
    (
        "b2core",
        "accounts.get_account",
        account(metrics={"metrics": [{"key": "k", "value": None}]}),
        "metrics.metrics[0].value",
        "number | str",
        "null",
    ),
    (
        "b2core",
        "accounts.list_accounts",
        [account(), account(credit=True)],
        "[1].credit",
        "decimal",
        "bool",
    ),
    (
        "b2core",
        "accounts.get_account_metrics",
        {"metrics": [{"key": 1, "value": 2}]},
        "metrics[0].key",
        "str",
        "int",
    ),
    ("b2core", "tokens.create_token", {"access_token": 5}, "access_token", "str", "int"),
]


@pytest.mark.parametrize(("api", "module", "body", "path", "expected", "found"), WRONG)
def test_wrong_type_raises_field_type_error_with_its_path(
    api: str, module: str, body: Any, path: str, expected: str, found: str
) -> None:
    with pytest.raises(errors.FieldTypeError) as caught:
        parse(api, module, body)
    assert (caught.value.path, caught.value.expected, caught.value.found) == (path, expected, found)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"{path}: expected {expected}, found {found}"


@pytest.mark.parametrize(
    ("api", "module", "body"),
    [
        ("metaapi", "accounts.get_account", {"_id": "a", "slippage": 1, "hash": 2.5}),
        ("metaapi", "accounts.get_account", {"_id": "a", "state": "NEW_STATE", "extra": [1]}),
        ("brokerwork", "users.get_user_info", bw([user(phone="+86 1", login="7", name=5)])),
        ("brokerwork", "accounts.list_accounts", bw(None)),
        ("b2core", "accounts.get_account", account(balance=12, credit="1e-3", uuid=None)),
    ],
)
def test_declared_variants_unknown_fields_and_open_enums_still_parse(
    api: str, module: str, body: Any
) -> None:
    assert parse(api, module, body) is not None


def test_decimal_parses_numbers_and_numeric_strings_exactly() -> None:
    parsed = parse("b2core", "accounts.get_account", account(balance="0.1", credit=3))
    assert (parsed.balance, parsed.credit) == (Decimal("0.1"), Decimal(3))


def test_missing_required_nested_field_names_its_path() -> None:
    with pytest.raises(KeyError, match=r"items\[0\]\._id"):
        parse("metaapi", "accounts.list_accounts", {"items": [{"login": "1"}]})


def test_dict_request_body_of_wrong_type_is_invalid_request(server: RecordingServer) -> None:
    with (
        brokerlink.MetaApi(token="t", base_url=server.url) as meta,
        pytest.raises(errors.InvalidRequest, match=r"magic: expected int, found str"),
    ):
        meta.create_account_replica("a1", body={"region": "london", "magic": "1"})
    assert server.requests == []


# --- through the facades, over a real local HTTP server --------------------------------------

TOKEN = {"access_token": "tok-placeholder", "token_type": "Bearer", "expires_in": 600}


def _facade_cases(server: RecordingServer) -> list[tuple[Any, Any, str, str]]:
    return [
        (
            lambda: brokerlink.MetaApi(token="t", base_url=server.url),
            lambda c: c.get_account("a1"),
            "getAccount",
            "accountReplicas[0].magic: expected int, found str",
        ),
        (
            lambda: brokerlink.BrokerWork(base_url=server.url, tenant_id="T1", token="t"),
            lambda c: c.get_user_info(user_ids=["71"]),
            "getUserInfo",
            "data[0].phone.countryCode: expected str, found int",
        ),
        (
            lambda: brokerlink.B2Core(base_url=server.url, client_id="c", client_secret="s"),
            lambda c: c.get_account("a1"),
            "getAccount",
            "balance: expected decimal, found null",
        ),
    ]


BODIES = [
    {"_id": "a1", "accountReplicas": [{"_id": "r1", "magic": "1"}]},
    bw([user(phone={"countryCode": 86})]),
    account(balance=None),
]


@pytest.mark.parametrize("index", range(3))
def test_facade_turns_a_wrong_typed_success_body_into_unexpected_response(
    server: RecordingServer, index: int
) -> None:
    make, call, operation, detail = _facade_cases(server)[index]
    if index == 2:
        server.reply(200, TOKEN)
    server.reply(200, BODIES[index])
    with make() as client, pytest.raises(errors.UnexpectedResponse) as caught:
        call(client)
    exc = caught.value
    assert exc.operation == operation and exc.status == 200
    assert operation in str(exc) and detail in str(exc)
    assert isinstance(exc.__cause__, errors.FieldTypeError)


def test_async_facade_turns_a_wrong_typed_body_into_unexpected_response(
    server: RecordingServer,
) -> None:
    async def main() -> None:
        async with brokerlink.AsyncMetaApi(token="t", base_url=server.url) as meta:
            await meta.get_account("a1")

    server.reply(200, {"_id": "a1", "tags": "x"})
    with pytest.raises(errors.UnexpectedResponse, match=r"getAccount.*tags: expected list"):
        asyncio.run(main())


# --- bounded open enums ----------------------------------------------------------------------


def _enums() -> list[type]:
    found = []
    for api in FILES:
        models = importlib.import_module(f"brokerlink.generated.{api}.models")
        found += [v for v in vars(models).values() if isinstance(v, type) and issubclass(v, Enum)]
    return found


@pytest.mark.parametrize(
    "enum_cls", _enums(), ids=lambda e: f"{e.__module__.split('.')[2]}.{e.__name__}"
)
def test_open_enums_keep_unknown_values_but_cache_a_bounded_number(enum_cls: Any) -> None:
    saved = dict(enum_cls._value2member_map_)
    try:
        _check_bounded(enum_cls)
    finally:  # other tests keep their cached unknown members
        enum_cls._value2member_map_.clear()
        enum_cls._value2member_map_.update(saved)


def _check_bounded(enum_cls: Any) -> None:
    types = importlib.import_module(enum_cls.__module__.rsplit(".", 2)[0] + ".types")
    as_str = issubclass(enum_cls, str)
    make = (lambda i: f"unknown-value-{i}") if as_str else (lambda i: 10_000_000 + i)
    first = enum_cls(make(-1))
    assert first is enum_cls(make(-1)) and not first.is_known
    assert str(first) == str(make(-1)) and first.value == make(-1)
    for i in range(10_000):
        enum_cls(make(i))
    unknown = len(enum_cls._value2member_map_) - len(enum_cls._member_names_)
    assert unknown <= types.MAX_UNKNOWN
    late = enum_cls(make(9_999))
    again = enum_cls(make(9_999))
    assert late == again and hash(late) == hash(again) and {late: 1}[again] == 1
    assert not late.is_known and str(late) == str(make(9_999)) and late.value == make(9_999)
    assert isinstance(late, enum_cls)
    known = next(iter(enum_cls))
    assert enum_cls(known.value) is known and known.is_known
    assert first is enum_cls(make(-1))  # cached ones stay the same member


# --- no secret in any model repr -------------------------------------------------------------

SECRET_NAME = re.compile(r"pass|secret|token|pwd|credential|private|api_?key", re.IGNORECASE)
NOT_SECRET = {
    ("b2core", "Token", "token_type"),  # the scheme, "Bearer"
}


def _properties(api: str) -> list[tuple[str, str, dict[str, Any]]]:
    found = []

    def walk(node: Any, where: str, parent: str = "") -> None:
        if isinstance(node, dict):
            for name, schema in (node.get("properties") or {}).items():
                if isinstance(schema, dict):
                    found.append((where, name, schema))
                    walk(schema, f"{where}.{name}")
            for key, value in node.items():
                if key not in {"examples", "example", "properties"}:
                    walk(value, key if parent == "schemas" else where, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, where, parent)

    walk(spec(api), "")
    return found


def test_every_property_named_like_a_secret_is_marked() -> None:
    unmarked, marked = [], 0
    for api in FILES:
        for where, name, schema in _properties(api):
            if not SECRET_NAME.search(name) or (api, where, name) in NOT_SECRET:
                continue
            if schema.get("x-brokerlink-secret") is True:
                marked += 1
            else:
                unmarked.append(f"{api}: {where}.{name}")
    assert unmarked == []
    assert marked >= 12


def _secret_models() -> list[tuple[type, list[tuple[str, str]]]]:
    found = []
    for api in FILES:
        models: ModuleType = importlib.import_module(f"brokerlink.generated.{api}.models")
        for cls in vars(models).values():
            if isinstance(cls, type) and hasattr(cls, "__attrs_attrs__"):
                hidden = [(a.name, a.type) for a in cls.__attrs_attrs__ if not a.repr and a.init]
                if hidden:
                    found.append((cls, hidden))
    return found


def test_the_specs_marked_secrets_are_hidden_in_these_models() -> None:
    names = {f"{c.__module__.split('.')[2]}.{c.__name__}" for c, _ in _secret_models()}
    assert names >= {
        "metaapi.NewMetatraderAccount",
        "metaapi.MetatraderAccountUpdate",
        "metaapi.DemoAccountCredentials",
        "brokerwork.CreateUserRequest",
        "brokerwork.LoginUserRequest",
        "brokerwork.User",
        "brokerwork.OpenCommissionAccountRequest",
        "brokerwork.CommissionAccount",
        "b2core.Token",
    }


def _instance(cls: type, secret: str) -> Any:
    """``cls`` built with every secret field set to ``secret`` and other required ones filled."""
    kwargs: dict[str, Any] = {}
    hints = inspect.signature(cls).parameters
    for attribute in cls.__attrs_attrs__:  # type: ignore[attr-defined]
        if not attribute.init:
            continue
        if not attribute.repr:
            kwargs[attribute.name] = secret
        elif hints[attribute.name].default is inspect.Parameter.empty:
            package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
            kwargs[attribute.name] = _filler(str(attribute.type), package)
    return cls(**kwargs)


def _filler(annotation: str, models: ModuleType) -> Any:
    if annotation.startswith(("str", "Unset | str")):
        return "x"
    if annotation.startswith(("int", "float")):
        return 1
    if annotation.startswith("bool"):
        return False
    if annotation.startswith("list"):
        return []
    enum = getattr(models, annotation, None)
    if isinstance(enum, type) and issubclass(enum, Enum):
        return next(iter(enum))
    raise AssertionError(f"no filler for {annotation}")


@pytest.mark.parametrize(
    ("cls", "hidden"), _secret_models(), ids=lambda v: getattr(v, "__name__", "")
)
def test_no_secret_in_repr_or_str(cls: type, hidden: list[tuple[str, str]]) -> None:
    secret = "S3cr3t-Value-7f2c"
    instance = _instance(cls, secret)
    assert all(getattr(instance, name) == secret for name, _ in hidden)
    assert secret not in repr(instance) and secret not in str(instance)
    assert instance.to_dict()  # the value still goes out on the wire
    assert secret in str(instance.to_dict())


def test_no_secret_in_repr_of_a_parsed_answer() -> None:
    token = parse("b2core", "tokens.create_token", {"access_token": "tok-Zq9", "token_type": "B"})
    assert token.access_token == "tok-Zq9" and "tok-Zq9" not in repr(token) + str(token)
    users = parse("brokerwork", "users.get_user_info", bw([user(password="pw-Zq9")]))
    assert users.data[0].password == "pw-Zq9" and "pw-Zq9" not in repr(users)


def test_mapping_bodies_may_carry_python_values_for_money_times_and_models() -> None:
    from brokerlink.generated.b2core.models import Account, AccountMetrics

    when = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    metrics = AccountMetrics(total=1)
    parsed = Account.from_dict(
        {"accountId": "a", "balance": Decimal("1.50"), "createTime": when, "metrics": metrics}
    )
    assert (parsed.balance, parsed.create_time, parsed.metrics) == (Decimal("1.50"), when, metrics)


def test_every_marked_property_is_hidden_in_a_generated_model() -> None:
    marked = sorted(
        (api, re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower())
        for api in FILES
        for _, name, schema in _properties(api)
        if schema.get("x-brokerlink-secret") is True
    )
    hidden = sorted(
        (cls.__module__.split(".")[2], name) for cls, names in _secret_models() for name, _ in names
    )
    assert hidden == marked


def test_unknown_fields_with_secret_sounding_names_are_masked_in_repr() -> None:
    answer = {
        "access_token": "tok-A1",
        "refresh_token": "tok-B2",
        "nested": {"client_secret": "sec-C3", "items": [{"password": "pw-D4"}], "n": 7},
    }
    token = parse("b2core", "tokens.create_token", answer)
    text = repr(token) + str(token)
    assert not any(value in text for value in ("tok-A1", "tok-B2", "sec-C3", "pw-D4"))
    assert "'n': 7" in text and token["refresh_token"] == "tok-B2"
    assert token.to_dict() == answer | {"access_token": "tok-A1"}
