"""brokerlink: one typed client for MetaApi provisioning, Lean Work Broker Work and B2Core IB.

Importing this package does no work: the facades and their generated clients load on first use.
``brokerlink.metaapi``, ``brokerlink.brokerwork`` and ``brokerlink.b2core`` hold each API's
facades, models and enums.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "MetaApi": "brokerlink.generated.metaapi.facade",
    "AsyncMetaApi": "brokerlink.generated.metaapi.facade",
    "BrokerWork": "brokerlink.generated.brokerwork.facade",
    "AsyncBrokerWork": "brokerlink.generated.brokerwork.facade",
    "B2Core": "brokerlink.generated.b2core.facade",
    "AsyncB2Core": "brokerlink.generated.b2core.facade",
    "hookimpl": "brokerlink.hooks.hookspecs",
}
_API_MODULES = ("metaapi", "brokerwork", "b2core")

if TYPE_CHECKING:
    from brokerlink.generated.b2core.facade import AsyncB2Core, B2Core
    from brokerlink.generated.brokerwork.facade import AsyncBrokerWork, BrokerWork
    from brokerlink.generated.metaapi.facade import AsyncMetaApi, MetaApi
    from brokerlink.hooks import hookimpl

__all__ = [
    "AsyncB2Core",
    "AsyncBrokerWork",
    "AsyncMetaApi",
    "B2Core",
    "BrokerWork",
    "MetaApi",
    "hookimpl",
]


def _skip_httpx_cli() -> None:
    """httpx's package imports its command line (``httpx._main``: click, rich and pygments, some
    40 ms) whenever those are installed, as they are for brokerlink's own. Until httpx is first
    imported, ``httpx._main`` is a stub whose first use fails that import (httpx then defines its
    CLI-less ``main``) and removes the stub, so a later ``import httpx._main`` is the real one."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main", "brokerlink's stand-in while httpx is imported")

    def missing(name: str) -> Any:
        if sys.modules.get("httpx._main") is stub:
            del sys.modules["httpx._main"]
        raise AttributeError(name)

    stub.__getattr__ = missing  # type: ignore[method-assign]
    sys.modules["httpx._main"] = stub


_skip_httpx_cli()


def __getattr__(name: str) -> Any:
    if name in _API_MODULES:  # ``import brokerlink; brokerlink.metaapi.AccountState``
        return importlib.import_module(f"brokerlink.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'brokerlink' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, *_API_MODULES])
