"""The hook transport: one choke point under every facade call, for sync and async alike.

It wraps the real httpx transport. Hooks decide (send as is, answer locally, wait and resend,
raise, or defer I/O as an ``Effect``); the two executors here carry the decisions out, waiting with
the current :mod:`~brokerlink.timing` (real sleeps, or none in tests).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn

import httpx

from brokerlink import timing
from brokerlink.errors import ApiError, ApiTimeout, TransportError
from brokerlink.hooks.bounds import aexchange, exchange
from brokerlink.hooks.call import (
    Call,
    CallOptions,
    ClientState,
    Effect,
    Invocation,
    Operation,
    Resend,
)
from brokerlink.hooks.manager import Hooks

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("brokerlink.transport")
_UNTAGGED = Operation(api="", operation_id="")


def _transport_error(call: Call, error: httpx.TransportError) -> TransportError:
    kind = ApiTimeout if isinstance(error, httpx.TimeoutException) else TransportError
    return kind(
        f"{call.api}.{call.operation_id}: {type(error).__name__}: {error}",
        vendor=call.api,
        operation=call.operation_id,
    )


class _Executor:
    """What the sync and the async executor share: the client's hooks, options and state."""

    def __init__(self, hooks: Hooks, client: ClientState, options: CallOptions) -> None:
        self.hooks = hooks
        self.client = client
        self.options = options

    def start(self, request: httpx.Request) -> Call:
        """The call of ``request``: a facade's ``Invocation`` (or a bare ``Operation``, as the
        token request of an auth flow carries) from the request's ``brokerlink`` extension."""
        tag = request.extensions.get("brokerlink")
        now = timing.current()
        if isinstance(tag, Invocation):
            operation, body, path = tag.operation, tag.body, tag.path
        else:
            operation = tag if isinstance(tag, Operation) else _UNTAGGED
            body, path = None, {}
        return Call(
            operation,
            self.options,
            self.client,
            now.monotonic(),
            body=body,
            path=path,
            timing=now,
            advisor=self.hooks.wait_advice,
        )


def _after_response(
    hooks: Hooks, call: Call, request: httpx.Request, response: httpx.Response
) -> Resend | None:
    """Classify an answer; an ``ApiError`` raised for it may still be turned into a resend."""
    try:
        return hooks.after_response(call, request, response)  # type: ignore[no-any-return]
    except ApiError as error:
        decision: Resend | None = hooks.on_api_error(call, request, response, error)
        if decision is None:
            raise
        return decision


def _on_transport_error(
    hooks: Hooks, call: Call, request: httpx.Request, error: httpx.TransportError
) -> Resend:
    decision: Resend | None = hooks.on_transport_error(call, request, error)
    if decision is None:
        raise _transport_error(call, error) from error
    return decision


def _announce(hooks: Hooks, call: Call, decision: Resend) -> float:
    seconds = max(decision.seconds, 0.0)
    hooks.before_wait(call, call.attempt, seconds, decision.reason, decision.message)
    return seconds


def _effect_failed(effect: Effect, error: Exception) -> None:
    name, failure = type(effect).__name__, type(error).__name__
    log.warning("deferred %s failed while the call was already failing: %s", name, failure)


def _carry_out(call: Call) -> None:
    """Carry out what the hook round just deferred."""
    for effect in call.take_effects():
        effect.run()


def _fail(call: Call, failure: BaseException) -> NoReturn:
    """The hook round raised: carry out what it deferred anyway (e.g. remember a rejection,
    then raise it), then raise."""
    for effect in call.take_effects():
        try:
            effect.run()
        except Exception as error:
            _effect_failed(effect, error)
    raise failure


async def _acarry_out(call: Call) -> None:
    for effect in call.take_effects():
        await effect.arun()


async def _afail(call: Call, failure: BaseException) -> NoReturn:
    for effect in call.take_effects():
        try:
            await effect.arun()
        except Exception as error:
            _effect_failed(effect, error)
    raise failure


class HookTransport(httpx.BaseTransport):
    """Sync executor around a real ``httpx.BaseTransport``."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        hooks: Hooks,
        client: ClientState,
        options: CallOptions,
        *,
        owns_inner: bool = True,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hooks, client, options)
        self._owns_inner = owns_inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        hooks = run.hooks
        call = run.start(request)
        while True:
            try:
                local = hooks.before_send(call, request)
            except BaseException as exc:
                _fail(call, exc)
            if call.effects:
                _carry_out(call)
            if local is not None:
                return local  # type: ignore[no-any-return]
            try:
                response = exchange(self.inner, request, call)
            except httpx.TransportError as exc:
                try:
                    decision: Resend = _on_transport_error(hooks, call, request, exc)
                except BaseException as failure:
                    _fail(call, failure)
            else:
                try:
                    answer = _after_response(hooks, call, request, response)
                except BaseException as failure:
                    response.close()
                    _fail(call, failure)
                if answer is None:
                    if call.effects:
                        _carry_out(call)
                    return response
                response.close()
                decision = answer
            if call.effects:
                _carry_out(call)
            call.timing.sleep(_announce(hooks, call, decision))
            call.attempt += 1
            request = decision.request or request

    def close(self) -> None:
        if self._owns_inner:
            self.inner.close()


class AsyncHookTransport(httpx.AsyncBaseTransport):
    """Async executor around a real ``httpx.AsyncBaseTransport`` (no threads)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        hooks: Hooks,
        client: ClientState,
        options: CallOptions,
        *,
        owns_inner: bool = True,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hooks, client, options)
        self._owns_inner = owns_inner
        self._gate = gate  # at most this many sends in flight; the rest wait here in FIFO order

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        hooks = run.hooks
        call = run.start(request)
        while True:
            try:
                local = hooks.before_send(call, request)
            except BaseException as exc:
                await _afail(call, exc)
            if call.effects:
                await _acarry_out(call)
            if local is not None:
                return local  # type: ignore[no-any-return]
            try:
                gate = self._gate
                if gate is not None:
                    await gate.acquire()
                try:
                    response = await aexchange(self.inner, request, call)
                finally:
                    if gate is not None:
                        gate.release()
            except httpx.TransportError as exc:
                try:
                    decision: Resend = _on_transport_error(hooks, call, request, exc)
                except BaseException as failure:
                    await _afail(call, failure)
            else:
                try:
                    answer = _after_response(hooks, call, request, response)
                except BaseException as failure:
                    await response.aclose()
                    await _afail(call, failure)
                if answer is None:
                    if call.effects:
                        await _acarry_out(call)
                    return response
                await response.aclose()
                decision = answer
            if call.effects:
                await _acarry_out(call)
            await call.timing.asleep(_announce(hooks, call, decision))
            call.attempt += 1
            request = decision.request or request

    async def aclose(self) -> None:
        if self._owns_inner:
            await self.inner.aclose()
