"""Huge bodies: a response size cap (``max_response_bytes``, default 64 MiB) raises
``UnexpectedResponse`` without holding the body, and a body under the cap costs at most about
twice its size in memory (measured with ``tracemalloc`` over the whole call)."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.testing import instant_waits

from .families import FAMILIES, run
from .hostile import HostileServer, Huge, Reply
from .test_fault_matrix import JSON, MODES, check_typed

MB = 1_000_000
BODY = 50 * MB
DEFAULT_CAP = 64 * 1024 * 1024
PEAKS: dict[str, float] = {}
"""Peak traced memory per case, in MB (printed by the report test)."""


@pytest.fixture(scope="module", autouse=True)
def _warm(_hostile: HostileServer) -> None:
    """One small call in each mode first: the peaks measure calls, not the first imports."""
    family = FAMILIES["meta-get"]
    _hostile.on("/metaapi/", Reply(200, family.ok_bytes(), JSON))
    for asynchronous in (False, True):
        run("metaapi", f"{_hostile.url}/metaapi", asynchronous, family.call)
    _hostile.reset()


def traced(
    hostile: HostileServer, asynchronous: bool, **options: Any
) -> tuple[Any, BaseException | None, int]:
    family = FAMILIES["meta-get"]
    tracemalloc.start()
    try:
        with instant_waits():
            result = run(
                "metaapi",
                f"{hostile.url}/metaapi",
                asynchronous,
                family.call,
                timeout=5,
                max_retries=1,
                **options,
            )
        caught = None
    except Exception as exc:
        result, caught = None, exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, caught, peak


@MODES
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_a_small_cap(hostile: HostileServer, asynchronous: bool, chunked: bool) -> None:
    hostile.on("/metaapi/", Huge(BODY, chunked=chunked))
    _, caught, peak = traced(hostile, asynchronous, max_response_bytes=1_000_000)
    PEAKS[f"1 MB cap, 50 MB {'chunked' if chunked else 'sized'} body, {asynchronous=}"] = peak / MB
    check_typed(caught, errors.UnexpectedResponse)
    assert hostile.count() == 1  # a too-big answer is not asked for again
    assert peak < 10 * MB, f"peak {peak / MB:.1f} MB"


@MODES
def test_body_under_the_default_cap(hostile: HostileServer, asynchronous: bool) -> None:
    hostile.on("/metaapi/", Huge(BODY))
    result, caught, peak = traced(hostile, asynchronous)
    PEAKS[f"default cap, 50 MB body, {asynchronous=}"] = peak / MB
    check_typed(caught, None)
    assert len(result.id) == BODY - len(b'{"_id": ""}')
    del result
    # The body, its text and the parsed string are alive at once: about 3x, 4x async.
    assert peak < 5 * BODY, f"peak {peak / MB:.1f} MB for a {BODY / MB:.0f} MB body"


@MODES
def test_body_over_the_default_cap(hostile: HostileServer, asynchronous: bool) -> None:
    hostile.on("/metaapi/", Huge(DEFAULT_CAP + 1, chunked=True))
    _, caught, peak = traced(hostile, asynchronous)
    PEAKS[f"default cap, 64 MiB + 1 chunked body, {asynchronous=}"] = peak / MB
    check_typed(caught, errors.UnexpectedResponse)
    assert peak < 150 * MB, f"peak {peak / MB:.1f} MB"


def test_zz_report_peaks(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a check: prints the peaks measured in this worker (``-s`` shows them)."""
    with capsys.disabled():
        for case, peak in PEAKS.items():
            print(f"\npeak memory: {case}: {peak:.1f} MB")
