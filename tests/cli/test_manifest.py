"""The generated manifest agrees with the facades it drives: every command is a facade method
taking exactly the manifest's parameters (plus ``body`` when there is one)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from brokerlink.cli.manifest import apis
from tests.spec_data import FACADES, operations

CASES = [(api, command) for api in apis() for command in apis()[api].operations]


@pytest.mark.parametrize(("api", "command"), CASES, ids=[f"{a}:{c}" for a, c in CASES])
def test_each_command_matches_its_facade_method(api: str, command: str) -> None:
    info = apis()[api]
    operation = info.operations[command]
    facade = getattr(importlib.import_module(info.facade_module), info.facade)
    signature = inspect.signature(getattr(facade, operation.method))
    expected = {p.python for p in operation.params} | ({"body"} if operation.body else set())
    if operation.body and operation.body.content == "json":  # the library's escape hatch only
        expected.add("extra_body")
    assert set(signature.parameters) - {"self"} == expected
    required = {
        name
        for name, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty and name not in {"self", "body"}
    }
    assert required == {p.python for p in operation.params if p.required and not p.autogenerate}


def test_every_spec_operation_is_a_command() -> None:
    assert set(apis()) == set(FACADES)
    for api in FACADES:
        assert {op.operation_id for op in apis()[api].operations.values()} == set(operations(api))
