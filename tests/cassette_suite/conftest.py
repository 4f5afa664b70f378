"""Cassette suite plumbing: targets, scrubbing config, cassette names, sync/async clients, time.

Every test here is written once as ``async def`` against client fixtures and runs twice: with the
async facade, and with the sync facade behind a thin awaitable adapter (the sync facade runs its
own sync transport, auth flow and executor; only the return trip is wrapped). Both flavours share
one cassette, so a replay also proves that sync and async send the same requests.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from brokerlink.testing import virtual_time
from brokerlink.transports import aiohttp_transport
from tests.cassette_suite.clients import Clients
from tests.cassette_suite.scrub import SANDBOX_ORIGIN, Scrubber
from tests.cassette_suite.target import (
    EPOCH,
    TARGET_ENV,
    SharedClock,
    Target,
    replay_target,
    sandbox_options,
    sandbox_target,
    vendor_target,
)

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
WRITES_ENV = "BROKERLINK_RECORD_WRITES"
TLS = ssl.create_default_context()
"""One TLS context for every client (httpx builds one per transport otherwise, ~50 ms each)."""
_FLAVOUR_ID = re.compile(r"\[a?sync\]$|(?<=\[)a?sync-|-a?sync(?=[\]-])")
RERECORD = "--rerecord"
CHECKS_MODULE = "test_cassette_checks.py"
EXPECTED = pytest.StashKey[set[Path] | None]()
"""Cassette files the collected tests use; None when only part of the suite was collected."""
_FRESH = pytest.StashKey[set[Path]]()
_OUTCOME = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        RERECORD,
        action="store_true",
        help="with --record-mode=once: record each selected test's cassette afresh (the old one "
        "comes back if the test fails); both flavours then replay the new recording",
    )


def cassette_name(node_name: str) -> str:
    """The test's name without its sync/async flavour: both flavours replay one cassette."""
    name = _FLAVOUR_ID.sub("", node_name, count=1)
    for ch in r"<>?%*:|\"'/\\":
        name = name.replace(ch, "-")
    return name


def cassette_path(item: pytest.Item) -> Path:
    module = getattr(item, "module", None)
    return CASSETTES / getattr(module, "API", "common") / f"{cassette_name(item.name)}.yaml"


def previous(path: Path) -> Path:
    return path.with_name(path.name + ".previous")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The checks over all cassettes run last (after a recording run has written them), and
    they learn which cassette files the collected tests use."""
    here = Path(__file__).parent
    ours = [item for item in items if Path(str(item.path)).parent == here]
    if not ours:
        return
    checks = [item for item in ours if item.path.name == CHECKS_MODULE]
    items[:] = [item for item in items if item not in checks] + checks
    modules = {item.path.name for item in ours}
    whole = modules == {p.name for p in here.glob("test_*.py")} and not (
        config.option.keyword or config.option.markexpr
    )
    config.stash[EXPECTED] = (
        {cassette_path(item) for item in ours if item.get_closest_marker("vcr")} if whole else None
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sandbox_only: needs sandbox magic inputs or faults; never sent to a vendor"
    )
    config.addinivalue_line(
        "markers", f"writes: changes vendor state; sent to a vendor only with {WRITES_ENV}=1"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_OUTCOME] = report.passed
    return report


@pytest.fixture(scope="session")
def target(record_mode: str) -> Iterator[Target]:
    """Replay (record mode ``none``), else the sandbox, else (``BROKERLINK_RECORD_TARGET=vendor``)
    real vendors."""
    if record_mode == "none":
        yield replay_target()
        return
    if os.environ.get(TARGET_ENV, "sandbox") == "vendor":
        yield vendor_target()
        return
    from brokerlink.sandbox import ManualClock
    from brokerlink.sandbox.testing import SandboxServer

    with SandboxServer(clock=ManualClock(EPOCH), **sandbox_options()) as server:
        yield sandbox_target(server)


@pytest.fixture(scope="session")
def scrubber(target: Target) -> Scrubber:
    if target.server is None:
        return Scrubber(target.base_urls)
    from brokerlink.sandbox.clock import http_date

    clock = target.server.clock
    return Scrubber(
        target.base_urls,
        origins={target.server.url: SANDBOX_ORIGIN},
        date=lambda: http_date(clock.now()),
    )


@pytest.fixture
def vcr_config(
    request: pytest.FixtureRequest, scrubber: Scrubber, record_mode: str, _skip_unreachable: None
) -> dict[str, Any]:
    """Match on method, URL (normalised host) and the scrubbed body; headers are not matched.

    With ``--rerecord`` the test's cassette is moved aside first (once per run, so the second
    flavour replays what the first recorded); a test skipped for this target keeps its own, and
    a failed recording gets the old one back.
    """
    if request.config.getoption(RERECORD) and record_mode != "none":
        path = cassette_path(request.node)
        fresh = request.config.stash.setdefault(_FRESH, set())
        if path not in fresh and path.exists():
            fresh.add(path)
            path.replace(previous(path))  # put back by _whole_cassette if the recording fails
    return {
        **scrubber.filters(),
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``tests/cassettes/<api>/``: the module's ``API`` names the folder."""
    return str(CASSETTES / getattr(request.module, "API", "common"))


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    return cassette_name(request.node.name)


@pytest.fixture(autouse=True)
def _skip_unreachable(request: pytest.FixtureRequest, target: Target) -> None:
    if target.kind != "vendor" or request.node.get_closest_marker("vcr") is None:
        return
    api = getattr(request.module, "API", None)
    if api in target.skipped:
        pytest.skip(f"{api}: {target.skipped[api]}")
    if request.node.get_closest_marker("sandbox_only"):
        pytest.skip("needs the sandbox's magic inputs or faults")
    if request.node.get_closest_marker("writes") and os.environ.get(WRITES_ENV) != "1":
        pytest.skip(f"changes vendor state; set {WRITES_ENV}=1 to record it")


@pytest.fixture
def clock(target: Target) -> SharedClock | None:
    """A fresh clock at ``EPOCH``: the sandbox's own when recording, a virtual one on replay."""
    if target.kind == "vendor":
        return None
    if target.server is not None:
        test_clock = SharedClock(target.server.clock)
        target.server.reset()  # seed timestamps follow the clock just set
        return test_clock
    return SharedClock()


@pytest.fixture(autouse=True)
def _timeline(clock: SharedClock | None) -> Iterator[None]:
    """brokerlink's waits advance the shared clock instantly (real time against a vendor)."""
    if clock is None:
        yield
        return
    with virtual_time(clock):
        yield


@pytest.fixture(autouse=True)
def _whole_cassette(request: pytest.FixtureRequest, vcr: Any) -> Iterator[None]:
    """A replay must consume every recorded exchange (a client that stops polling early fails);
    a failed recording writes nothing."""
    yield
    if vcr is None:
        return
    passed = request.node.stash.get(_OUTCOME, False)
    old = previous(cassette_path(request.node))
    if not passed:
        vcr.dirty = False
        if old.exists():
            old.replace(cassette_path(request.node))
        return
    old.unlink(missing_ok=True)
    if vcr.write_protected and not vcr.all_played:
        pytest.fail(
            f"{vcr.play_count} of {len(vcr)} recorded exchanges replayed: the client sent fewer "
            "requests than were recorded"
        )


@pytest.fixture
def sandbox(target: Target) -> Any:
    """The live sandbox's state when recording against it, else None (replays need no setup)."""
    return target.server.sandbox if target.server is not None else None


@pytest.fixture
def arrange(sandbox: Any) -> Callable[[Callable[[Any], object]], None]:
    """``arrange(lambda sb: ...)`` prepares the live sandbox; on replay the cassette already
    holds the outcome, so nothing runs."""

    def run(step: Callable[[Any], object]) -> None:
        if sandbox is not None:
            step(sandbox)

    return run


@pytest.fixture
def fault(arrange: Callable[[Callable[[Any], object]], None]) -> Callable[..., None]:
    """``fault("html-503", api="metaapi", times=1)``: the sandbox breaks its next answers
    (see the fault modes in ``brokerlink/sandbox/README.md``)."""

    def inject(mode: str, *, api: str, times: int = 1) -> None:
        def add(sandbox: Any) -> None:
            from brokerlink.sandbox.faults import FaultRule

            sandbox.faults.add(FaultRule(mode, times, api))

        arrange(add)

    return inject


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def clients(target: Target, flavour: str) -> AsyncIterator[Clients]:
    made = Clients(target, asynchronous=flavour == "async", transport=_transport)
    yield made
    await made.aclose()


def _transport(asynchronous: bool) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
    if asynchronous:  # the async facades' default, aiohttp: vcrpy replays it through aiohttp's stub
        return aiohttp_transport(verify=TLS)
    return httpx.HTTPTransport(verify=TLS)


@pytest.fixture
def metaapi(clients: Clients) -> Any:
    return clients.make("metaapi")


@pytest.fixture
def brokerwork(clients: Clients) -> Any:
    return clients.make("brokerwork")


@pytest.fixture
def b2core(clients: Clients) -> Any:
    return clients.make("b2core")
