"""Direct calls of a plugin manager's hook implementations, for the per-send hot path.

Every facade call runs two hook rounds at least. Through pluggy each costs a few microseconds
(argument checks, a copy of the implementation list, keyword mapping) on top of the
implementations themselves, several percent of a keep-alive call to a nearby server. The
callers here keep pluggy's semantics for plain hookimpls (call order, ``firstresult``, impls
taking a subset of the arguments) and call the functions directly. Anything pluggy does beyond
that (old- or new-style wrappers, hook call monitoring, tracing) makes the hook go through
pluggy itself. The snapshot is rebuilt whenever the manager's plugins change (see
``manager.Manager``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

Caller = Callable[..., Any]


def _positional(function: Caller, argnames: tuple[str, ...], spec: tuple[str, ...]) -> Caller:
    """``function`` called with the spec's positional arguments, whatever subset it takes."""
    if argnames == spec:
        return function
    picks = tuple(spec.index(name) for name in argnames)
    return lambda *args: function(*[args[i] for i in picks])


def _through_pluggy(hook: pluggy.HookCaller, spec: tuple[str, ...]) -> Caller:
    return lambda *args: hook(**dict(zip(spec, args, strict=True)))


def caller(hook: pluggy.HookCaller, *, monitored: bool) -> Caller:
    """A positional caller of ``hook``: implementations called directly when pluggy adds nothing."""
    assert hook.spec is not None
    spec = tuple(hook.spec.argnames)
    impls = hook.get_hookimpls()
    if monitored or any(impl.hookwrapper or impl.wrapper for impl in impls):
        return _through_pluggy(hook, spec)
    # pluggy keeps implementations lowest priority first and calls them last to first.
    functions = tuple(_positional(i.function, tuple(i.argnames), spec) for i in reversed(impls))
    if hook.spec.opts.get("firstresult"):

        def first(*args: Any) -> Any:
            for function in functions:
                result = function(*args)
                if result is not None:
                    return result
            return None

        return first

    def every(*args: Any) -> list[Any]:
        return [r for r in (function(*args) for function in functions) if r is not None]

    return every


class Hooks:
    """A snapshot of one manager's hooks as positional callers (argument order of the spec)."""

    __slots__ = (
        "after_response",
        "before_send",
        "before_wait",
        "on_api_error",
        "on_transport_error",
    )

    def __init__(self, relay: pluggy.HookRelay, *, monitored: bool) -> None:
        self.before_send = caller(relay.brokerlink_before_send, monitored=monitored)
        self.after_response = caller(relay.brokerlink_after_response, monitored=monitored)
        self.on_api_error = caller(relay.brokerlink_on_api_error, monitored=monitored)
        self.on_transport_error = caller(relay.brokerlink_on_transport_error, monitored=monitored)
        self.before_wait = caller(relay.brokerlink_before_wait, monitored=monitored)
