"""The whole-exchange deadline on any transport, and the size cap as an option.

``timeout`` bounds connect to last byte: the fault matrix drives the default transports; here the
async deadline runs over the aiohttp transport too, and the sync body check over a plain httpx
transport passed in.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from brokerlink import errors
from brokerlink.hooks.bounds import HEAD, exchange_seconds
from brokerlink.testing import instant_waits
from brokerlink.transports import aiohttp_transport

from .families import FAMILIES, run
from .hostile import Drip, HostileServer, Huge, Reply
from .test_fault_matrix import MARGIN, MODES, RETRIES, TIMEOUT, call, check_typed, op_requests

DRIPS = pytest.mark.parametrize("head_at_once", [False, True], ids=["drip", "drip-body"])


def dripped(hostile: HostileServer, asynchronous: bool, head_at_once: bool, **opts: Any) -> None:
    family = FAMILIES["meta-get"]
    drip = Drip(head_at_once=head_at_once)
    hostile.on("/metaapi/", drip)
    with instant_waits():
        _, caught, elapsed = call(hostile, family, asynchronous, **opts)
    check_typed(caught, errors.ApiTimeout)
    assert op_requests(hostile) == 1 + RETRIES
    assert all(held <= TIMEOUT + MARGIN for held in drip.held), drip.held
    assert elapsed <= (1 + RETRIES) * (TIMEOUT + MARGIN) + MARGIN


@DRIPS
def test_the_deadline_holds_on_the_aiohttp_transport(
    hostile: HostileServer, head_at_once: bool
) -> None:
    dripped(hostile, True, head_at_once, transport=aiohttp_transport())


def test_a_plain_sync_transport_still_has_its_body_bounded(hostile: HostileServer) -> None:
    """httpx's own transport times out per read only; the body is checked chunk by chunk."""
    dripped(hostile, False, True, transport=httpx.HTTPTransport())


@MODES
@DRIPS
def test_an_httpx_timeout_bounds_the_exchange_by_its_longest_phase(
    hostile: HostileServer, asynchronous: bool, head_at_once: bool
) -> None:
    timeout = httpx.Timeout(TIMEOUT, connect=TIMEOUT / 2)
    dripped(hostile, asynchronous, head_at_once, timeout=timeout)


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [(2.0, 2.0), (httpx.Timeout(5.0, connect=1.0), 5.0), (httpx.Timeout(None), None)],
)
def test_the_bound_of_an_exchange(timeout: Any, seconds: float | None) -> None:
    request = httpx.Client(timeout=timeout).build_request("GET", "http://h/")
    assert exchange_seconds(request) == seconds


@MODES
def test_the_size_cap_is_an_option_of_with_options(
    hostile: HostileServer, asynchronous: bool
) -> None:
    family = FAMILIES["meta-get"]
    hostile.on("/metaapi/", Huge(5000))

    def capped(client: Any) -> Any:
        return family.call(client.with_options(max_response_bytes=4000))

    with pytest.raises(errors.UnexpectedResponse) as caught:
        run("metaapi", f"{hostile.url}/metaapi", asynchronous, capped, max_retries=RETRIES)
    error = caught.value
    assert (error.status, error.operation) == (200, "getAccount")
    assert "max_response_bytes (4000 bytes)" in str(error)
    assert error.body.startswith(b'{"_id": "xxx') and len(error.body) == HEAD
    assert hostile.count() == 1


@pytest.mark.parametrize("cap", [0, -1, 1.5, True, "1000"])
def test_a_size_cap_that_is_no_positive_int_is_refused(cap: Any) -> None:
    with pytest.raises(errors.InvalidRequest, match="max_response_bytes"):
        run("metaapi", "http://127.0.0.1:9/metaapi", False, lambda c: None, max_response_bytes=cap)
    with pytest.raises(errors.InvalidRequest, match="max_response_bytes"):
        run(
            "metaapi",
            "http://127.0.0.1:9/metaapi",
            False,
            lambda c: c.with_options(max_response_bytes=cap),
        )


@pytest.mark.parametrize(
    ("action", "opts", "says"),
    [
        (Reply(200, b'{"_id": "x"}', {"Content-Encoding": "gzip"}), {}, "cannot be decoded"),
        (Huge(5_000_000), {"max_response_bytes": 1_000_000}, "over max_response_bytes"),
    ],
    ids=["gzip-not-gzip", "over-the-cap"],
)
def test_bad_bodies_on_the_aiohttp_transport(
    hostile: HostileServer, action: Any, opts: dict[str, Any], says: str
) -> None:
    hostile.on("/metaapi/", action)
    _, caught, _ = call(hostile, FAMILIES["meta-get"], True, transport=aiohttp_transport(), **opts)
    check_typed(caught, errors.UnexpectedResponse)
    assert says in str(caught) and hostile.count() == 1
