"""The plugin manager (built-ins plus third-party plugins from the ``brokerlink`` entry points) and
the per-client list of hook implementations the executors call.

Entry points are read lazily, once per process, the first time a client is made. The environment
variable ``BROKERLINK_PLUGINS`` controls autoloading: unset loads all, ``0``/``none`` loads none,
a comma list (``metrics,otel``) loads only those entry-point names (an unknown one warns). A plugin
that fails to import or validate (hookimpls that match no hookspec fail at ``check_pending``) is a
``PluginError`` naming it and how to leave it out, never silent.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint
from typing import Any

import pluggy

from brokerlink import log_env
from brokerlink.errors import BrokerLinkWarning, PluginError
from brokerlink.hooks import hookspecs

ENTRY_POINT_GROUP = "brokerlink"
AUTOLOAD_ENV = "BROKERLINK_PLUGINS"
BUILTIN_PLUGINS = (  # registration order: see hookspecs.py for what it decides
    "brokerlink.plugins.polling",
    "brokerlink.plugins.retries",
    "brokerlink.plugins.metaapi.errors",
    "brokerlink.plugins.metaapi.advice",
    "brokerlink.plugins.brokerwork.errors",
    "brokerlink.plugins.b2core.errors",
    "brokerlink.plugins.b2core.auth",
    "brokerlink.plugins.metaapi.credential_guard",
    "brokerlink.plugins.logs",
)

_lock = threading.Lock()
_loaded: list[tuple[EntryPoint, object]] | None = None
_defaults: dict[str | None, pluggy.PluginManager] = {}

Caller = Callable[..., Any]
log = logging.getLogger(__name__)


def _autoloaded() -> list[tuple[EntryPoint, object]]:
    global _loaded
    if _loaded is None:
        setting = os.environ.get(AUTOLOAD_ENV)
        chosen: list[EntryPoint] = []
        if setting is None or setting.strip().lower() not in {"0", "none", "off", "false"}:
            installed = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            allow = installed.names if setting is None else {n.strip() for n in setting.split(",")}
            chosen = [ep for ep in installed if ep.name in allow]
            if unknown := sorted(allow - installed.names - {""}):
                message = (
                    f"{AUTOLOAD_ENV} names {', '.join(unknown)}: no installed plugin has that "
                    f"entry-point name (installed: {', '.join(sorted(installed.names)) or 'none'})"
                )
                log.warning("%s", message)
                warnings.warn(message, BrokerLinkWarning, stacklevel=6)  # where a client is made
        _loaded = [(ep, _load(ep, chosen)) for ep in chosen]
    return _loaded


def _load(ep: EntryPoint, chosen: list[EntryPoint]) -> object:
    try:
        return ep.load()
    except Exception as exc:
        raise _plugin_error(
            ep, chosen, f"cannot be imported ({type(exc).__name__}: {exc})"
        ) from exc


def _plugin_error(ep: EntryPoint, chosen: list[EntryPoint], problem: str) -> PluginError:
    """Names the plugin, its distribution and the settings that start without it."""
    dist = ep.dist.name if ep.dist else None
    others = ",".join(sorted(e.name for e in chosen if e.name != ep.name))
    return PluginError(
        f"third-party plugin {ep.name!r} (entry point {ep.value!r} of distribution "
        f"{dist or 'unknown'}) {' '.join(problem.split())}; start without it: {AUTOLOAD_ENV}=none"
        + (f" or {AUTOLOAD_ENV}={others} (the others only)" if others else "")
        + f", or uninstall {dist or 'it'}",
        plugin=ep.name,
        distribution=dist,
    )


def _build(extra: Iterable[object], api: str | None) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        module = importlib.import_module(name)
        # A built-in naming a VENDOR acts on that API's calls only: other APIs' managers leave
        # it out, so their hook calls skip it.
        if api is None or getattr(module, "VENDOR", api) == api:
            manager.register(module, name=name)
    loaded = _autoloaded()
    try:
        for ep, plugin in loaded:
            manager.register(plugin, name=f"entrypoint:{ep.name}")
        for plugin in extra:
            manager.register(plugin)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = next((ep for ep, plugin in loaded if plugin is exc.plugin), None)
        if culprit is None:  # a plugin the client was given: the caller's own code
            raise
        chosen = [ep for ep, _ in loaded]
        raise _plugin_error(culprit, chosen, f"does not fit brokerlink's hookspecs: {exc}") from exc
    return manager


def plugin_manager(extra: Iterable[object] = (), api: str | None = None) -> pluggy.PluginManager:
    """The manager shared by every client of ``api`` (None: one with every built-in), or a
    private one when a client brings its own plugins."""
    extra = tuple(extra)
    with _lock:
        log_env.from_environment()
        if extra:
            return _build(extra, api)
        manager = _defaults.get(api)
        if manager is None:
            manager = _defaults[api] = _build((), api)
        return manager


def reset() -> None:
    """Forget loaded entry points and the shared managers (tests, or after installing a plugin)."""
    global _loaded
    with _lock:
        _defaults.clear()
        _loaded = None


def _caller(hook: pluggy.HookCaller) -> Caller:
    """A positional caller of ``hook`` (arguments in the spec's order) over the implementations
    registered now, in pluggy's order. Through pluggy itself when an implementation is a
    wrapper: pluggy then runs the whole round."""
    assert hook.spec is not None
    spec = tuple(hook.spec.argnames)
    impls = hook.get_hookimpls()
    if any(i.hookwrapper or i.wrapper for i in impls):
        return lambda *args: hook(**dict(zip(spec, args, strict=True)))
    calls: list[Caller] = []
    for impl in reversed(impls):  # pluggy keeps them lowest priority first
        picks = tuple(spec.index(name) for name in impl.argnames)
        function = impl.function
        if picks == tuple(range(len(spec))):
            calls.append(function)
        else:
            calls.append(lambda *args, f=function, p=picks: f(*[args[i] for i in p]))
    if hook.spec.opts.get("firstresult"):

        def first(*args: Any) -> Any:
            for call in calls:
                result = call(*args)
                if result is not None:
                    return result
            return None

        return first

    def every(*args: Any) -> list[Any]:
        return [r for r in (call(*args) for call in calls) if r is not None]

    return every


class Hooks:
    """One client's per-request hooks as positional callers, collected once when it is made."""

    __slots__ = (
        "after_response",
        "before_send",
        "before_wait",
        "on_api_error",
        "on_transport_error",
        "wait_advice",
    )

    def __init__(self, manager: pluggy.PluginManager) -> None:
        relay = manager.hook
        self.before_send = _caller(relay.brokerlink_before_send)
        self.after_response = _caller(relay.brokerlink_after_response)
        self.on_api_error = _caller(relay.brokerlink_on_api_error)
        self.on_transport_error = _caller(relay.brokerlink_on_transport_error)
        self.wait_advice = _caller(relay.brokerlink_wait_advice)
        self.before_wait = _caller(relay.brokerlink_before_wait)
