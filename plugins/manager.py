"""The plugin manager: built-in plugins plus third-party ones from the ``brokerlink`` entry points.

Entry points are read lazily, once per process, the first time a client is made. The environment
variable ``BROKERLINK_PLUGINS`` controls autoloading: unset loads all, ``0``/``none`` loads none,
a comma list (``metrics,otel``) loads only those entry-point names. Hookimpls that match no
hookspec fail at registration (``check_pending``), never silently.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import pluggy
from brokerlink.plugins import hookspecs
from brokerlink.plugins.dispatch import Hooks

ENTRY_POINT_GROUP = "brokerlink"
AUTOLOAD_ENV = "BROKERLINK_PLUGINS"
BUILTIN_PLUGINS = (  # registration order matters: later ones run first within a tier
    "brokerlink.plugins.polling",
    "brokerlink.plugins.retries",
    "brokerlink.plugins.metaapi_errors",
    "brokerlink.plugins.brokerwork_errors",
    "brokerlink.plugins.b2core_errors",
    "brokerlink.plugins.credential_guard",
    "brokerlink.plugins.logs",
)

_lock = threading.Lock()
_loaded: list[tuple[str, object]] | None = None
_defaults: dict[str | None, Manager] = {}


def _autoloaded() -> list[tuple[str, object]]:
    global _loaded
    if _loaded is None:
        setting = os.environ.get(AUTOLOAD_ENV)
        found: list[tuple[str, object]] = []
        if setting is None or setting.strip().lower() not in {"0", "none", "off", "false"}:
            allow = (
                None if setting is None else {n.strip() for n in setting.split(",") if n.strip()}
            )
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if allow is None or ep.name in allow:
                    found.append((ep.name, ep.load()))
        _loaded = found
    return _loaded


class Manager(pluggy.PluginManager):
    """pluggy's manager, plus a snapshot of its hooks for the executors' hot path
    (:mod:`.dispatch`), made on first use and dropped whenever what pluggy would call changes."""

    _direct: Hooks | None = None
    _monitored = False

    def direct(self) -> Hooks:
        """The hooks as direct positional callers."""
        hooks = self._direct
        if hooks is None:
            hooks = self._direct = Hooks(self.hook, monitored=self._monitored)
        return hooks

    def register(self, plugin: object, name: str | None = None) -> str | None:
        self._direct = None
        return super().register(plugin, name)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        self._direct = None
        return super().unregister(plugin, name)

    def set_blocked(self, name: str) -> None:
        self._direct = None
        super().set_blocked(name)

    def add_hookspecs(self, module_or_class: ModuleType | type) -> None:
        self._direct = None
        super().add_hookspecs(module_or_class)

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Callable[[], None]:
        # Monitoring (and tracing, built on it) sees only calls made through pluggy: from now
        # on every hook of this manager goes through pluggy.
        self._monitored = True
        self._direct = None
        return super().add_hookcall_monitoring(before, after)


def _build(extra: Iterable[object], api: str | None) -> Manager:
    manager = Manager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        module = importlib.import_module(name)
        # A built-in naming a VENDOR acts on that API's calls only: other APIs' managers leave
        # it out, so their hook calls skip it (every registered implementation costs per send).
        if api is None or getattr(module, "VENDOR", api) == api:
            manager.register(module, name=name)
    for name, plugin in _autoloaded():
        manager.register(plugin, name=f"entrypoint:{name}")
    for plugin in extra:
        manager.register(plugin)
    manager.check_pending()
    return manager


def plugin_manager(extra: Iterable[object] = (), api: str | None = None) -> Manager:
    """The manager shared by every client of ``api`` (None: one with every built-in), or a
    private one when a client brings its own plugins."""
    extra = tuple(extra)
    with _lock:
        if extra:
            return _build(extra, api)
        manager = _defaults.get(api)
        if manager is None:
            manager = _defaults[api] = _build((), api)
        return manager


def reset() -> None:
    """Forget loaded entry points and the shared manager (tests, or after installing a plugin)."""
    global _loaded
    with _lock:
        _defaults.clear()
        _loaded = None
