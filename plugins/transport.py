"""The hook transport: one choke point under every facade call, for sync and async alike.

It wraps the real httpx transport. Hooks decide (send as is, answer locally, wait and resend,
raise, or defer I/O as an ``Effect``); the two executors here carry the decisions out, waiting with
the current :mod:`~brokerlink.plugins.timing` (real sleeps, or none in tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pluggy
from brokerlink.plugins import timing
from brokerlink.plugins.call import Call, CallOptions, Effect, Resend

from brokerlink.errors import ApiError, ApiTimeout, TransportError

log = logging.getLogger("brokerlink.transport")


def _error_classes(hook: pluggy.HookRelay, api: str) -> dict[str, type[Exception]]:
    merged: dict[str, type[Exception]] = {}
    # pluggy returns results last-registered first; apply in registration order so later wins.
    for mapping in reversed(hook.brokerlink_error_classes(vendor=api)):
        if mapping:
            merged.update(mapping)
    return merged


def _transport_error(call: Call, error: httpx.TransportError) -> TransportError:
    kind = ApiTimeout if isinstance(error, httpx.TimeoutException) else TransportError
    return kind(
        f"{call.api}.{call.operation_id}: {type(error).__name__}: {error}",
        vendor=call.api,
        operation=call.operation_id,
    )


class _Executor:
    """State and decisions shared by the sync and the async executor."""

    def __init__(
        self,
        hook: pluggy.HookRelay,
        api: str,
        options: CallOptions,
        services: Mapping[str, Any],
    ) -> None:
        self.hook = hook
        self.api = api
        self.options = options
        self.services = services
        self.error_classes: Mapping[str, type[Exception]] = _error_classes(hook, api)

    def start(self, request: httpx.Request) -> Call:
        call = Call.for_request(request, self.options, timing.current(), self.services)
        call.state["error_classes"] = self.error_classes
        return call

    def before_send(self, call: Call, request: httpx.Request) -> httpx.Response | None:
        return self.hook.brokerlink_before_send(call=call, request=request)  # type: ignore[no-any-return]

    def after_response(
        self, call: Call, request: httpx.Request, response: httpx.Response
    ) -> Resend | None:
        try:
            return self.hook.brokerlink_after_response(  # type: ignore[no-any-return]
                call=call, request=request, response=response
            )
        except ApiError as error:
            decision: Resend | None = self.hook.brokerlink_on_api_error(
                call=call, request=request, response=response, error=error
            )
            if decision is None:
                raise
            return decision

    def on_transport_error(
        self, call: Call, request: httpx.Request, error: httpx.TransportError
    ) -> Resend:
        decision: Resend | None = self.hook.brokerlink_on_transport_error(
            call=call, request=request, error=error
        )
        if decision is None:
            raise _transport_error(call, error) from error
        return decision

    def announce(self, call: Call, decision: Resend) -> float:
        seconds = max(decision.seconds, 0.0)
        self.hook.brokerlink_before_wait(
            call=call,
            attempt=call.attempt,
            seconds=seconds,
            reason=decision.reason,
            message=decision.message,
        )
        return seconds


_NOTHING: list[Effect] = []  # shared "no effects" answer; never appended to


def _round(
    call: Call, step: Callable[..., Any], *args: Any
) -> tuple[Any, list[Effect], BaseException | None]:
    """Run one hook round; what it deferred is carried out even when it raised (e.g. remember a
    rejection, then raise it)."""
    try:
        result = step(call, *args)
    except BaseException as exc:
        return None, call.take_effects(), exc
    if call.effects:
        return result, call.take_effects(), None
    return result, _NOTHING, None


def _effect_failed(effect: Effect, error: Exception) -> None:
    log.warning(
        "deferred %s failed while the call was already failing: %s",
        type(effect).__name__,
        type(error).__name__,
    )


def _carry_out(effects: list[Effect], failure: BaseException | None) -> None:
    for effect in effects:
        if failure is None:
            effect.run()
            continue
        try:
            effect.run()
        except Exception as error:
            _effect_failed(effect, error)
    if failure is not None:
        raise failure


async def _acarry_out(effects: list[Effect], failure: BaseException | None) -> None:
    for effect in effects:
        if failure is None:
            await effect.arun()
            continue
        try:
            await effect.arun()
        except Exception as error:
            _effect_failed(effect, error)
    if failure is not None:
        raise failure


class HookTransport(httpx.BaseTransport):
    """Sync executor around a real ``httpx.BaseTransport``."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        hook: pluggy.HookRelay,
        *,
        api: str,
        options: CallOptions,
        services: Mapping[str, Any] | None = None,
        owns_inner: bool = True,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hook, api, options, services or {})
        self._owns_inner = owns_inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        call = run.start(request)
        while True:
            local, effects, failure = _round(call, run.before_send, request)
            if effects or failure:
                _carry_out(effects, failure)
            if local is not None:
                return local  # type: ignore[no-any-return]
            try:
                response = self.inner.handle_request(request)
                try:
                    response.read()
                except BaseException:
                    response.close()
                    raise
            except httpx.TransportError as exc:
                decision, effects, failure = _round(call, run.on_transport_error, request, exc)
                if effects or failure:
                    _carry_out(effects, failure)
            else:
                decision, effects, failure = _round(call, run.after_response, request, response)
                if failure is not None or decision is not None:
                    response.close()
                if effects or failure:
                    _carry_out(effects, failure)
                if decision is None:
                    return response
            call.timing.sleep(run.announce(call, decision))
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
        hook: pluggy.HookRelay,
        *,
        api: str,
        options: CallOptions,
        services: Mapping[str, Any] | None = None,
        owns_inner: bool = True,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hook, api, options, services or {})
        self._owns_inner = owns_inner
        self._gate = gate  # at most this many sends in flight; the rest wait here in FIFO order

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        call = run.start(request)
        while True:
            local, effects, failure = _round(call, run.before_send, request)
            if effects or failure:
                await _acarry_out(effects, failure)
            if local is not None:
                return local  # type: ignore[no-any-return]
            try:
                if self._gate is None:
                    response = await self._exchange(request)
                else:
                    async with self._gate:
                        response = await self._exchange(request)
            except httpx.TransportError as exc:
                decision, effects, failure = _round(call, run.on_transport_error, request, exc)
                if effects or failure:
                    await _acarry_out(effects, failure)
            else:
                decision, effects, failure = _round(call, run.after_response, request, response)
                if failure is not None or decision is not None:
                    await response.aclose()
                if effects or failure:
                    await _acarry_out(effects, failure)
                if decision is None:
                    return response
            await call.timing.asleep(run.announce(call, decision))
            call.attempt += 1
            request = decision.request or request

    async def aclose(self) -> None:
        if self._owns_inner:
            await self.inner.aclose()
