"""Fuzzed response bodies through the real httpx transport: the outcome is the typed model (every
field of the declared Python type, all the way down) or a ``BrokerLinkError``, never anything
else.

Bodies are JSON values of random shapes and types, raw bytes, or near-valid documents: the
spec's example of the success answer with one field deleted or replaced by a random value.
``BROKERLINK_FUZZ_EXAMPLES`` is the total number of examples over all the tests of this module
(default 200; ``nox -s fuzz`` runs 10,000 or more).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import enum
import json
import os
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brokerlink
from brokerlink import errors
from tests.spec_data import snake

from .families import CREDENTIALS, FACADES, FAMILIES, TOKEN, Family
from .hostile import HostileServer, Reply

FUZZED = ("meta-get", "meta-list", "meta-create", "bw-get", "b2-list", "b2-create")
TOTAL = int(os.environ.get("BROKERLINK_FUZZ_EXAMPLES", "200"))
PER_TEST = max(1, -(-TOTAL // (2 * len(FUZZED))))  # rounded up: at least TOTAL in all
JSON = {"Content-Type": "application/json"}
FUZZ = settings(
    max_examples=PER_TEST,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- bodies ----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "x", "2024-01-01T00:00:00Z", "1.5", "DEPLOYED", "mt5", "NaN"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(["_id", "id", "data", "result"])),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from paths(item, (*prefix, key))


def mutate(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = new
    return copy


@st.composite
def near_valid(draw: st.DrawFn, family: Family) -> bytes:
    example = family.body
    where = list(paths(example))
    if not where:
        return json.dumps(draw(json_values)).encode()
    path = draw(st.sampled_from(where))
    changed = mutate(example, path, draw(json_values), draw(st.booleans()))
    return json.dumps(changed).encode()


def bodies(family: Family) -> st.SearchStrategy[bytes]:
    return st.one_of(
        near_valid(family),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        st.sampled_from([b"", b"NaN", b"[NaN]", b'{"_id": Infinity}', b"\xff", b"1e400"]),
    )


# --- declared types --------------------------------------------------------------------------


def namespace(api: str) -> dict[str, Any]:
    import importlib

    models = importlib.import_module(f"brokerlink.generated.{api}.models")
    types_module = importlib.import_module(f"brokerlink.generated.{api}.types")
    return {**vars(types_module), **vars(models)}


def mismatch(value: Any, hint: Any, ns: dict[str, Any], where: str = "$") -> str | None:
    """Where ``value`` is not of the declared type ``hint`` (None: it is)."""
    if isinstance(hint, str):
        hint = eval(hint, ns)
    if hint is Any or hint is object:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        found = [mismatch(value, arg, ns, where) for arg in args]
        if None in found:
            return None
        # A branch that got deeper into the value explains best why none fits.
        deepest = max((p for p in found if p), key=lambda p: len(p.split(":", 1)[0]))
        if len(deepest.split(":", 1)[0]) > len(where):
            return deepest
        return f"{where}: {type(value).__name__} {value!r:.60} is none of {hint}"
    if hint is type(None) or hint is None:
        return None if value is None else f"{where}: {value!r:.60} is not None"
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return f"{where}: {type(value).__name__} is not a list"
        for index, item in enumerate(value):
            problem = mismatch(item, args[0] if args else Any, ns, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if origin in (dict, Mapping, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return f"{where}: {type(value).__name__} is not a dict"
        for key, item in value.items():
            problem = mismatch(item, args[1] if args else Any, ns, f"{where}.{key}")
            if problem:
                return problem
        return None
    if origin is typing.Literal:
        return None if value in args else f"{where}: {value!r:.60} not in {args}"
    if not isinstance(hint, type):
        return None  # a construct this checker does not know: not a finding
    if attrs.has(hint):
        if not isinstance(value, hint):
            return f"{where}: {type(value).__name__} is not {hint.__name__}"
        hints = typing.get_type_hints(hint, localns=ns)
        for field in attrs.fields(hint):
            if field.name == "additional_properties":
                continue
            problem = mismatch(
                getattr(value, field.name), hints.get(field.name, Any), ns, f"{where}.{field.name}"
            )
            if problem:
                return problem
        return None
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is datetime.date:
        ok = isinstance(value, datetime.date)
    elif issubclass(hint, enum.Enum | decimal.Decimal | str | bool | datetime.datetime):
        ok = isinstance(value, hint)
    else:
        ok = isinstance(value, hint)
    return None if ok else f"{where}: {type(value).__name__} {value!r:.60} is not {hint.__name__}"


def declared(family: Family, asynchronous: bool) -> Any:
    name = ("Async" if asynchronous else "") + FACADES[family.api]
    method = getattr(getattr(brokerlink, name), snake(family.operation))
    return typing.get_type_hints(method, localns=namespace(family.api))["return"]


def judge(family: Family, asynchronous: bool, body: bytes, outcome: Any) -> None:
    if isinstance(outcome, BaseException):
        assert isinstance(outcome, errors.BrokerLinkError), (
            f"untyped {type(outcome).__module__}.{type(outcome).__name__}: {outcome!r:.200}"
            f" for body {body[:200]!r}"
        )
        return
    problem = mismatch(outcome, declared(family, asynchronous), namespace(family.api))
    assert problem is None, f"{problem} for body {body[:200]!r}"


# --- clients ---------------------------------------------------------------------------------


def options(server: HostileServer, family: Family) -> dict[str, Any]:
    return {
        "base_url": f"{server.url}/{family.api}",
        "timeout": 2.0,
        "max_retries": 0,
        **CREDENTIALS[family.api],
    }


def serve(server: HostileServer, family: Family, body: bytes) -> None:
    server.reset()
    if family.api == "b2core":
        server.on("/tokens", Reply(200, json.dumps(TOKEN).encode(), JSON))
    server.on(f"/{family.api}/", Reply(family.status, body, JSON))


def test_the_fuzzed_operations_are_declared() -> None:
    assert {FAMILIES[n].api for n in FUZZED} == {"metaapi", "brokerwork", "b2core"}
    for name in FUZZED:
        for asynchronous in (False, True):
            assert declared(FAMILIES[name], asynchronous) is not None


@pytest.mark.parametrize("name", FUZZED)
def test_fuzz_sync(hostile: HostileServer, name: str) -> None:
    family = FAMILIES[name]
    with getattr(brokerlink, FACADES[family.api])(**options(hostile, family)) as facade:

        @FUZZ
        @given(body=bodies(family))
        def one(body: bytes) -> None:
            serve(hostile, family, body)
            try:
                outcome: Any = family.call(facade)
            except Exception as exc:
                outcome = exc
            judge(family, False, body, outcome)

        one()


@pytest.mark.parametrize("name", FUZZED)
def test_fuzz_async(hostile: HostileServer, name: str) -> None:
    family = FAMILIES[name]
    loop = asyncio.new_event_loop()
    facade = getattr(brokerlink, "Async" + FACADES[family.api])(**options(hostile, family))
    loop.run_until_complete(facade.__aenter__())

    async def attempt() -> Any:
        try:
            return await family.call(facade)
        except Exception as exc:
            return exc

    try:

        @FUZZ
        @given(body=bodies(family))
        def one(body: bytes) -> None:
            serve(hostile, family, body)
            judge(family, True, body, loop.run_until_complete(attempt()))

        one()
    finally:
        loop.run_until_complete(facade.__aexit__(None, None, None))
        loop.close()
