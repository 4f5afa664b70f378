"""brokerlink: one typed client for MetaApi provisioning, Lean Work Broker Work and B2Core IB.

Importing this package does no work: the facades and their generated clients load on first use.
``brokerlink.metaapi``, ``brokerlink.brokerwork`` and ``brokerlink.b2core`` hold each API's
facades, models and enums.
"""

from __future__ import annotations

import importlib
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
