"""Bounds on one exchange: ``timeout`` over the whole of it (connect to last byte), not per read,
and a cap on the body's size, so a dripping or endless server cannot hold a call or its memory.

The sync default transport (``hooks.deadline``) runs on a network backend that gives each socket
read and write only what is left of the exchange's deadline (httpx's own timeouts are per read: a
byte every half second never trips them). The async default (aiohttp) bounds the whole exchange
itself; on other async transports, exchanges run under a timer that cancels them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import httpx

from brokerlink.errors import UnexpectedResponse
from brokerlink.hooks.call import Call, masked, secrets_of

if TYPE_CHECKING:
    import asyncio

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
HEAD = 1024
"""Bytes of a refused body kept on its ``UnexpectedResponse``."""
MAX_BYTES = "brokerlink.max_response_bytes"
"""Request extension: the size cap of a body the hook layer will read whole (a transport may
read one within it at once; ``_aiohttp`` does)."""
exchange_deadline: ContextVar[float | None] = ContextVar("brokerlink.exchange_deadline")
"""The monotonic time the current sync exchange must end by (``hooks.deadline`` keeps it)."""


def exchange_seconds(request: httpx.Request) -> float | None:
    """The whole-exchange bound: a float ``timeout``, or the longest phase of an
    ``httpx.Timeout``; None (unbounded) when reads are."""
    phases = request.extensions.get("timeout") or {}
    if phases.get("read") is None:
        return None
    others = phases.get("connect") or 0.0, phases.get("write") or 0.0, phases.get("pool") or 0.0
    return float(max(phases["read"], *others))


class _TooLarge(Exception):
    pass


class _Capped(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The raw body, counted against the cap (first ``HEAD`` bytes kept); sync reads also
    checked against the deadline, for transports that do not keep to it themselves."""

    def __init__(self, inner: Any, call: Call, deadline: float | None = None) -> None:
        self.inner, self.deadline = inner, deadline
        self.cap = call.options.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES
        self.size, self.head = 0, b""

    def _count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if len(self.head) < HEAD:
            self.head += chunk[: HEAD - len(self.head)]
        if self.size > self.cap:
            raise _TooLarge
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the exchange outlasted its timeout")
            yield self._count(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield self._count(chunk)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _within(response: httpx.Response, call: Call) -> bool:
    """Whether the body needs no counting: a declared length within the cap (HTTP framing stops
    the read there) and no content coding that could fail to decode."""
    length = b""
    for key, value in response.headers.raw:  # one pass: httpx.Headers lookups scan each time
        name = key.lower()
        if name == b"content-encoding":
            return False
        if name == b"content-length":
            length = value
    cap = call.options.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES
    return length.isdigit() and int(length) <= cap


def _refused(call: Call, response: httpx.Response, body: _Capped, exc: Exception) -> Exception:
    why = (
        f"response body over max_response_bytes ({body.cap} bytes)"
        if isinstance(exc, _TooLarge)
        else f"response body cannot be decoded ({type(exc).__name__}: {exc})"
    )
    status = response.status_code
    head = masked(body.head, secrets_of(call.client.secrets, call.body))
    return UnexpectedResponse(
        why, vendor=call.api, operation=call.operation_id, status=status, body=head
    )


def exchange(inner: httpx.BaseTransport, request: httpx.Request, call: Call) -> httpx.Response:
    """Send ``request`` and read the whole answer, within its deadline and the size cap."""
    seconds = exchange_seconds(request)
    deadline = None if seconds is None else time.monotonic() + seconds
    token = exchange_deadline.set(deadline)  # no default: every exchange sets it
    try:
        response = inner.handle_request(request)
        body = None  # the backend keeps the deadline, the framing the size:
        if not getattr(inner, "keeps_deadline", False) or not _within(response, call):
            response.stream = body = _Capped(response.stream, call, deadline)
        try:
            response.read()
        except (_TooLarge, httpx.DecodingError) as exc:
            assert body is not None  # without a coding or beyond the cap, there is no such error
            response.close()
            raise _refused(call, response, body, exc) from None
        except BaseException:
            response.close()
            raise
    finally:
        exchange_deadline.reset(token)
    return response


class _Expiry:
    """The deadline of one async exchange: a timer that cancels the task running it (what
    ``asyncio.timeout`` does, at half its cost per call: this is on every call's path)."""

    __slots__ = ("fired", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task, self.fired = task, False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


async def aexchange(
    inner: httpx.AsyncBaseTransport, request: httpx.Request, call: Call
) -> httpx.Response:
    """As :func:`exchange`: the deadline kept by the transport where it can (``keeps_deadline``:
    the default, aiohttp, bounds the whole exchange itself), else by a timer that cancels the
    send or the read."""
    request.extensions[MAX_BYTES] = call.options.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES
    if getattr(inner, "keeps_deadline", False):
        return await _aread(await inner.handle_async_request(request), call)
    import asyncio  # here: the sync path never needs it

    seconds = exchange_seconds(request)
    task = asyncio.current_task()
    if seconds is None or task is None:
        return await _aread(await inner.handle_async_request(request), call)
    loop = asyncio.get_running_loop()
    expiry = _Expiry(task)
    timer = loop.call_at(loop.time() + seconds, expiry)
    try:
        return await _aread(await inner.handle_async_request(request), call)
    except asyncio.CancelledError:
        if expiry.fired and task.uncancel() == 0:  # our timer's cancel, not the caller's
            raise httpx.ReadTimeout("the exchange outlasted its timeout", request=request) from None
        raise
    finally:
        timer.cancel()


async def _aread(response: httpx.Response, call: Call) -> httpx.Response:
    body = None  # the deadline is kept, the framing keeps the size:
    if not _within(response, call):
        response.stream = body = _Capped(response.stream, call)
    try:
        await response.aread()
    except (_TooLarge, httpx.DecodingError) as exc:
        assert body is not None  # as in exchange()
        await response.aclose()
        raise _refused(call, response, body, exc) from None
    except BaseException:
        await response.aclose()
        raise
    return response
