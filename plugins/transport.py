"""The hook transport: one choke point under every facade call, for sync and async alike.

It wraps the real httpx transport. Hooks decide (send as is, answer locally, wait and resend,
raise); the two executors here carry the decisions out with ``time.sleep`` / ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx
import pluggy
from brokerlink.plugins.call import Call, CallOptions, Resend

from brokerlink.errors import ApiTimeout, TransportError


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
        self, hook: pluggy.HookRelay, api: str, options: CallOptions, clock: Callable[[], float]
    ) -> None:
        self.hook = hook
        self.api = api
        self.options = options
        self.clock = clock
        self.error_classes: Mapping[str, type[Exception]] = _error_classes(hook, api)

    def start(self, request: httpx.Request) -> Call:
        call = Call.for_request(request, self.options, self.clock())
        call.state["error_classes"] = self.error_classes
        return call

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


class HookTransport(httpx.BaseTransport):
    """Sync executor around a real ``httpx.BaseTransport``."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        hook: pluggy.HookRelay,
        *,
        api: str,
        options: CallOptions,
        owns_inner: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hook, api, options, clock)
        self._owns_inner = owns_inner
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        call = run.start(request)
        while True:
            local = run.hook.brokerlink_before_send(call=call, request=request)
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
                decision = run.hook.brokerlink_on_transport_error(
                    call=call, request=request, error=exc
                )
                if decision is None:
                    raise _transport_error(call, exc) from exc
            else:
                decision = run.hook.brokerlink_after_response(
                    call=call, request=request, response=response
                )
                if decision is None:
                    return response
                response.close()
            self._sleep(run.announce(call, decision))
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
        owns_inner: bool = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._run = _Executor(hook, api, options, clock)
        self._owns_inner = owns_inner
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        run = self._run
        call = run.start(request)
        while True:
            local = run.hook.brokerlink_before_send(call=call, request=request)
            if local is not None:
                return local  # type: ignore[no-any-return]
            try:
                response = await self.inner.handle_async_request(request)
                try:
                    await response.aread()
                except BaseException:
                    await response.aclose()
                    raise
            except httpx.TransportError as exc:
                decision = run.hook.brokerlink_on_transport_error(
                    call=call, request=request, error=exc
                )
                if decision is None:
                    raise _transport_error(call, exc) from exc
            else:
                decision = run.hook.brokerlink_after_response(
                    call=call, request=request, response=response
                )
                if decision is None:
                    return response
                await response.aclose()
            await self._sleep(run.announce(call, decision))
            call.attempt += 1
            request = decision.request or request

    async def aclose(self) -> None:
        if self._owns_inner:
            await self.inner.aclose()
