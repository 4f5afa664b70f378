"""Fault matrix: every fault of a hostile server x every operation family, sync and async.

For each cell: the call returns the typed model or raises the expected
``brokerlink.errors.BrokerLinkError`` subclass (never a bare Python or httpx exception), within a
wall-time bound, after a bounded and correct number of requests (no resend of an unsafe
operation, bounded retries). Waits are skipped with ``instant_waits()``; only socket timeouts
take real time.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.testing import VirtualClock, instant_waits, virtual_time

from .families import FAMILIES, TOKEN, Family, run
from .hostile import Action, Close, Drip, HostileServer, Reply, Reset, Stall, refused_url

TIMEOUT = 0.5
RETRIES = 1
MARGIN = 0.5
"""Slack per exchange over ``TIMEOUT`` (thread start, event loop, a loaded CI machine)."""
MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
JSON = {"Content-Type": "application/json"}
HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)
RETRY_AFTER = {
    "missing": None,
    "garbage": "soon",
    "negative": "-5",
    "huge-date": "Mon, 01 Jan 9999999999 00:00:00 GMT",
    "overflow": "1e400",
    "digits": "9" * 400,
}


def retype(value: Any) -> Any:
    """``value`` with its first string leaf turned into an object (or first number into text)."""
    done = [False]

    def walk(node: Any, want: type) -> Any:
        if done[0]:
            return node
        if isinstance(node, dict):
            return {k: walk(v, want) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, want) for v in node]
        if isinstance(node, want) and not isinstance(node, bool):
            done[0] = True
            return {"unexpected": [1, 2]} if want is str else "not a number"
        return node

    changed = walk(value, str)
    return changed if done[0] else walk(value, int)


@dataclass(frozen=True)
class Fault:
    name: str
    actions: Callable[[Family], list[Action]]
    expect: type[BaseException] | None  # None: the typed model
    sends: str  # "none" | "once" | "retried" (safe: 1+RETRIES, unsafe: 1) | "bounded"
    families: tuple[str, ...] = tuple(FAMILIES)
    exclude: tuple[type[BaseException], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def body_reply(payload: bytes, **headers: str) -> Callable[[Family], list[Action]]:
    def make(family: Family) -> list[Action]:
        status = 200 if family.status == 204 else family.status
        return [Reply(status, payload, {**JSON, **headers})]

    return make


def accepted(style: str) -> dict[str, str]:
    value = RETRY_AFTER[style]
    return JSON if value is None else {**JSON, "Retry-After": value}


def accepted_body() -> bytes:
    return json.dumps({"error": "AcceptedError", "message": "still processing"}).encode()


def rate_body(family: Family) -> bytes:
    if family.api == "metaapi":
        return json.dumps({"error": "TooManyRequestsError", "message": "slow down"}).encode()
    return json.dumps({"code": 429, "message": "Too Many Requests"}).encode()


BW_TOO_MUCH = json.dumps(
    {
        "result": False,
        "mcode": "BW_REQUEST_TOO_MUCH",
        "data": None,
        "errorMessage": "Too many requests",
        "time": 0,
    }
).encode()
"""Broker Work's rate limit: HTTP 200, ``result: false`` (sent with the ``Retry-After`` styles)."""


def deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


FAULTS: list[Fault] = [
    Fault("control", lambda f: [Reply(f.status, f.ok_bytes(), JSON)], None, "once"),
    Fault("refused", lambda f: [], errors.TransportError, "none", exclude=(errors.ApiTimeout,)),
    Fault("close", lambda f: [Close()], errors.TransportError, "retried"),
    Fault("reset", lambda f: [Reset()], errors.TransportError, "retried"),
    Fault("stall", lambda f: [Stall()], errors.ApiTimeout, "retried"),
    Fault("drip", lambda f: [Drip()], errors.ApiTimeout, "retried"),
    Fault(
        "drip-body",
        lambda f: [Drip(head_at_once=True)],
        errors.ApiTimeout,
        "retried",
        families=("meta-get", "bw-get", "b2-list"),
    ),
    Fault(
        "html-502",
        lambda f: [Reply(502, HTML, {"Content-Type": "text/html"})],
        errors.ServerError,
        "retried",
    ),
    Fault(
        "malformed-json",
        body_reply(b'{"_id": "x",, undefined'),
        errors.UnexpectedResponse,
        "bounded",
    ),
    Fault(
        "truncated-json",
        lambda f: body_reply(f.ok_bytes()[: max(1, len(f.ok_bytes()) // 2)] or b"{")(f),
        errors.UnexpectedResponse,
        "bounded",
        families=tuple(n for n in FAMILIES if n != "meta-redeploy"),
    ),
    Fault(
        "empty-json",
        body_reply(b""),
        errors.UnexpectedResponse,
        "bounded",
        families=tuple(n for n in FAMILIES if n != "meta-redeploy"),
    ),
    Fault("deep-json", body_reply(deep(100_000)), errors.UnexpectedResponse, "bounded"),
    Fault(
        "invalid-utf8",
        body_reply(b'{"_id": "\xff\xfe\xfd", "id": "\xc3\x28"}'),
        errors.UnexpectedResponse,
        "bounded",
    ),
    Fault(
        "gzip-not-gzip",
        body_reply(b'{"_id": "x"}', **{"Content-Encoding": "gzip"}),
        errors.UnexpectedResponse,
        "bounded",
    ),
    Fault(
        "wrong-type",
        lambda f: body_reply(json.dumps(retype(f.body)).encode())(f),
        errors.UnexpectedResponse,
        "bounded",
        families=tuple(n for n in FAMILIES if n != "meta-redeploy"),
    ),
    *[
        Fault(
            f"redirect-{status}",
            lambda f, status=status: [Reply(status, b"{}", {**JSON, "Location": "ELSEWHERE"})],
            errors.UnexpectedResponse,
            "once",
        )
        for status in (301, 302, 307)
    ],
    *[
        Fault(
            f"429-retry-after-{style}",
            lambda f, style=style: [Reply(429, rate_body(f), accepted(style))],
            errors.RateLimited,
            "all-retried" if style in ("missing", "garbage", "negative") else "at-most-retried",
            families=tuple(n for n in FAMILIES if not n.startswith("bw-")),
        )
        for style in RETRY_AFTER
    ],
    *[
        Fault(
            f"bw-too-much-retry-after-{style}",
            lambda f, style=style: [Reply(200, BW_TOO_MUCH, accepted(style))],
            errors.RateLimited,
            "all-retried" if style in ("missing", "garbage", "negative") else "at-most-retried",
            families=("bw-get",),
        )
        for style in RETRY_AFTER
    ],
    *[
        Fault(
            f"202-retry-after-{style}",
            lambda f, style=style: [Reply(202, accepted_body(), accepted(style))],
            errors.UnexpectedResponse,
            "once",
            families=tuple(n for n in FAMILIES if n != "meta-create"),
        )
        for style in ("missing", "huge-date")
    ],
]
CELLS = [
    pytest.param(
        fault,
        FAMILIES[name],
        id=f"{fault.name}-{name}",
    )
    for fault in FAULTS
    for name in fault.families
]


def expected_sends(fault: Fault, family: Family) -> tuple[int, int]:
    """(least, most) requests of the operation (token requests aside)."""
    if fault.sends == "none":
        return 0, 0
    if fault.sends == "once":
        return 1, 1
    if fault.sends == "all-retried":
        return 1 + RETRIES, 1 + RETRIES
    if fault.sends == "at-most-retried":  # advice past the retry deadline may end it at once
        return 1, 1 + RETRIES
    if fault.sends == "retried":
        return (1 + RETRIES, 1 + RETRIES) if family.safe else (1, 1)
    return (1, 1 + RETRIES) if family.safe else (1, 1)  # "bounded"


def op_requests(server: HostileServer) -> int:
    return sum(1 for r in server.requests if not r.path.endswith("/tokens"))


def check_typed(caught: BaseException | None, expect: type[BaseException] | None) -> None:
    if expect is None:
        assert caught is None, f"expected the typed model, got {caught!r}"
        return
    assert caught is not None, f"expected {expect.__name__}, the call succeeded"
    assert isinstance(caught, errors.BrokerLinkError), (
        f"untyped exception {type(caught).__module__}.{type(caught).__name__}: {caught!r}"
    )
    assert isinstance(caught, expect), f"expected {expect.__name__}, got {caught!r}"


def call(
    server: HostileServer,
    family: Family,
    asynchronous: bool,
    base_url: str | None = None,
    **opts: Any,
) -> tuple[Any, BaseException | None, float]:
    url = base_url or f"{server.url}/{family.api}"
    options: dict[str, Any] = {"timeout": TIMEOUT, "max_retries": RETRIES, **opts}
    started = time.monotonic()
    try:
        result = run(family.api, url, asynchronous, family.call, **options)
    except Exception as exc:
        return None, exc, time.monotonic() - started
    return result, None, time.monotonic() - started


@MODES
@pytest.mark.parametrize(("fault", "family"), CELLS)
def test_fault_cell(
    hostile: HostileServer,
    elsewhere: HostileServer,
    fault: Fault,
    family: Family,
    asynchronous: bool,
) -> None:
    elsewhere.reset()
    if family.api == "b2core":
        hostile.on("/tokens", Reply(200, json.dumps(TOKEN).encode()))
    actions = fault.actions(family)
    for action in actions:
        if isinstance(action, Reply) and action.headers.get("Location") == "ELSEWHERE":
            action.headers["Location"] = f"{elsewhere.url}/{family.api}/collect"
    hostile.on(f"/{family.api}/", *actions)
    base_url = refused_url() + f"/{family.api}" if fault.name == "refused" else None
    with instant_waits() as waits:
        _, caught, elapsed = call(hostile, family, asynchronous, base_url)
    check_typed(caught, fault.expect)
    for wait in waits:
        assert math.isfinite(wait) and 0 <= wait <= 300, f"wait of {wait} s asked for"
    least, most = expected_sends(fault, family)
    assert least <= op_requests(hostile) <= most, (
        f"{op_requests(hostile)} requests, expected {least}..{most}"
    )
    if family.api == "b2core" and fault.name != "refused":
        assert hostile.count("/tokens") == 1
    for action in actions:
        for held in getattr(action, "held", []):
            # One exchange ends within its timeout: the client hangs up on a stall or a drip.
            assert held <= TIMEOUT + MARGIN, f"an exchange lasted {held:.2f} s (inf: not ended)"
    exchanges = 1 + RETRIES
    assert elapsed <= exchanges * (TIMEOUT + MARGIN) + MARGIN, f"took {elapsed:.2f} s"
    assert elsewhere.requests == []
    if isinstance(caught, errors.RateLimited) and caught.retry_after is not None:
        assert math.isfinite(caught.retry_after) and caught.retry_after >= 0


# --- 202 polling of createAccount ----------------------------------------------------------


@MODES
@pytest.mark.parametrize("style", sorted(RETRY_AFTER))
def test_accepted_then_created(hostile: HostileServer, asynchronous: bool, style: str) -> None:
    """Three 202s with absurd advice, then 201: the model, waits capped in [0.5, 300] s, the
    same transaction-id on every send."""
    family = FAMILIES["meta-create"]
    hostile.on(
        "/metaapi/",
        *[Reply(202, accepted_body(), accepted(style)) for _ in range(3)],
        Reply(201, family.ok_bytes(), JSON),
    )
    with instant_waits() as waits:
        result, caught, elapsed = call(hostile, family, asynchronous)
    check_typed(caught, None)
    assert result.id == family.body["id"]
    assert len(hostile.requests) == 4
    assert len({r.headers.get("transaction-id") for r in hostile.requests}) == 1
    assert len(waits) == 3
    assert all(0.5 <= w <= 300 for w in waits), waits
    assert elapsed < 4 * (TIMEOUT + MARGIN)


@MODES
@pytest.mark.parametrize("style", sorted(RETRY_AFTER))
def test_accepted_forever_times_out(hostile: HostileServer, asynchronous: bool, style: str) -> None:
    """202 for ever: ``PollTimeout`` at ``poll_timeout`` (virtual time), a bounded number of
    polls, every wait in [0.5, 300] s, never an exception from the advice itself."""
    family = FAMILIES["meta-create"]
    hostile.on("/metaapi/", Reply(202, accepted_body(), accepted(style)))
    clock = VirtualClock()
    started = time.monotonic()
    with virtual_time(clock):
        _, caught, _ = call(hostile, family, asynchronous, poll_timeout=60)
    elapsed = time.monotonic() - started
    check_typed(caught, errors.PollTimeout)
    assert all(0.5 <= w <= 300 for w in clock.waits), clock.waits
    assert 1 <= len(hostile.requests) <= 60 / 0.5 + 2
    assert len({r.headers.get("transaction-id") for r in hostile.requests}) == 1
    assert elapsed < 10


# --- B2Core tokens -------------------------------------------------------------------------

EXPIRES_IN: dict[str, bytes] = {
    "zero": b"0",
    "zero-string": b'"0"',
    "negative": b"-30",
    "nan": b"NaN",
    "digits": b"9" * 400,
    "missing": b"",
}


def token_answer(expires: bytes) -> bytes:
    if not expires:
        return b'{"access_token": "tok-1", "token_type": "Bearer"}'
    return b'{"access_token": "tok-1", "token_type": "Bearer", "expires_in": ' + expires + b"}"


@MODES
@pytest.mark.parametrize("expires", sorted(EXPIRES_IN))
def test_token_lifetime_advice_is_bounded(
    hostile: HostileServer, asynchronous: bool, expires: str
) -> None:
    """Whatever ``expires_in`` says, three calls on one client fetch one token."""
    family = FAMILIES["b2-list"]
    hostile.on("/tokens", Reply(200, token_answer(EXPIRES_IN[expires]), JSON))
    hostile.on("/b2core/", Reply(200, family.ok_bytes(), JSON))
    started = time.monotonic()
    with instant_waits():
        try:
            result = run(
                "b2core",
                f"{hostile.url}/b2core",
                asynchronous,
                family.call,
                calls=3,
                timeout=TIMEOUT,
                max_retries=RETRIES,
            )
        except Exception as exc:
            check_typed(exc, None)
    assert isinstance(result, list)
    assert hostile.count("/tokens") == 1, f"{hostile.count('/tokens')} token requests"
    assert op_requests(hostile) == 3
    assert all(r.headers.get("authorization") == "Bearer tok-1" for r in hostile.requests[1:])
    assert time.monotonic() - started < 3 * (TIMEOUT + MARGIN)


@MODES
@pytest.mark.parametrize(
    ("answer", "expect"),
    [
        pytest.param(Stall(), errors.ApiTimeout, id="stall"),
        pytest.param(
            Reply(200, b"<html>ok</html>", {"Content-Type": "text/html"}),
            errors.UnexpectedResponse,
            id="html",
        ),
        pytest.param(
            Reply(200, b'{"access_token": ', JSON), errors.UnexpectedResponse, id="truncated"
        ),
        pytest.param(
            Reply(200, b'{"token_type": "Bearer"}', JSON), errors.UnexpectedResponse, id="no-token"
        ),
        pytest.param(
            Reply(200, b'{"access_token": 5}', JSON), errors.UnexpectedResponse, id="token-number"
        ),
    ],
)
def test_token_endpoint_faults(
    hostile: HostileServer, asynchronous: bool, answer: Action, expect: type[Exception]
) -> None:
    """A broken token endpoint: a typed error, no accounts request, bounded token requests."""
    family = FAMILIES["b2-list"]
    answer = Stall() if isinstance(answer, Stall) else answer  # a fresh record of hang-ups
    hostile.on("/tokens", answer)
    hostile.on("/b2core/", Reply(200, family.ok_bytes(), JSON))
    with instant_waits():
        _, caught, elapsed = call(hostile, family, asynchronous)
    check_typed(caught, expect)
    assert op_requests(hostile) == 0
    assert 1 <= hostile.count("/tokens") <= 1 + RETRIES
    for held in getattr(answer, "held", []):
        assert held <= TIMEOUT + MARGIN, f"the token exchange lasted {held:.2f} s"
    assert elapsed <= (1 + RETRIES) * (TIMEOUT + MARGIN) + MARGIN


def test_gzip_that_is_gzip_still_works(hostile: HostileServer) -> None:
    """The control of the gzip cell: a real gzip body decodes to the model."""
    family = FAMILIES["meta-get"]
    hostile.on(
        "/metaapi/",
        Reply(200, gzip.compress(family.ok_bytes()), {**JSON, "Content-Encoding": "gzip"}),
    )
    result, caught, _ = call(hostile, family, False)
    check_typed(caught, None)
    assert result.id == "x"
