"""Checks over the cassette files themselves; they run after every other cassette test (see
``conftest.pytest_collection_modifyitems``) so that a recording run checks what it just wrote."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import yaml

from tests.cassette_suite.conftest import CASSETTES, EXPECTED
from tests.cassette_suite.scrub import PLACEHOLDER_BASES
from tests.cassette_suite.secret_scan import scan, secret_forms
from tests.cassette_suite.target import APIS, B2_CLIENT_ID, B2_CLIENT_SECRET, Target
from tests.spec_data import operations

pytestmark = pytest.mark.block_network
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def cassettes() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_no_secret_in_any_cassette(target: Target) -> None:
    files = cassettes()
    assert len(files) > 100  # the suite's cassettes are there (a vacuous pass is no pass)
    pairs = [(B2_CLIENT_ID, B2_CLIENT_SECRET)]
    b2core = target.credentials["b2core"]
    pairs.append((b2core["client_id"], b2core["client_secret"]))
    findings = scan(files, secret_forms(target.secrets, pairs))
    assert not findings, "\n".join(str(f) for f in findings[:30])


def recorded_requests(api: str) -> set[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    base = PLACEHOLDER_BASES[api]
    for path in sorted((CASSETTES / api).glob("*.yaml")):
        for interaction in yaml.load(path.read_text("utf-8"), Loader=_LOADER)["interactions"]:
            request = interaction["request"]
            assert request["uri"].startswith(base), f"{path.name}: {request['uri']}"
            seen.add((request["method"], request["uri"][len(base) :].split("?")[0]))
    return seen


@pytest.mark.parametrize("api", APIS)
def test_every_operation_has_a_cassette(api: str) -> None:
    seen = recorded_requests(api)
    missing = []
    for operation_id, (method, template, _) in operations(api).items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        if not any(m == method and pattern.match(path) for m, path in seen):
            missing.append(operation_id)
    assert not missing, f"{api}: no cassette exercises {missing}"


def test_no_stale_cassettes(request: pytest.FixtureRequest) -> None:
    """Every cassette belongs to a test (renamed tests leave orphans that nothing checks)."""
    expected = request.config.stash.get(EXPECTED, None)
    if expected is None:
        pytest.skip("only part of the cassette suite was collected")
    stale = sorted(str(p.relative_to(CASSETTES)) for p in set(cassettes()) - expected)
    assert not stale, f"cassettes no test uses (delete them): {stale}"


def test_network_is_blocked() -> None:
    """Outside recording, a cassette test cannot reach any host, not even the local machine."""
    with socket.socket() as sock, pytest.raises(RuntimeError, match="Network is disabled"):
        sock.connect(("127.0.0.1", 9))
