"""The credential guard: never pay MetaApi twice for the same rejected credentials.

Importing this package is cheap; backends load on first use. It knows no vendor and sits below
the hook runtime: the vendor plugin (``brokerlink.plugins.metaapi.credential_guard``) hands it
the facts of a request and its table of reasons. See ``docs/credential-guard.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from brokerlink.credentials.store import CredentialStore, Entry, Write

if TYPE_CHECKING:
    from brokerlink.credentials.guard import Guard
    from brokerlink.credentials.memory_store import MemoryStore
    from brokerlink.credentials.policy import GuardPolicy, RateLimit, Reason
    from brokerlink.credentials.redis_store import RedisStore
    from brokerlink.credentials.resolve import open_store
    from brokerlink.credentials.sqlite_store import SQLiteStore

__all__ = [
    "CredentialStore",
    "Entry",
    "Guard",
    "GuardPolicy",
    "MemoryStore",
    "RateLimit",
    "Reason",
    "RedisStore",
    "SQLiteStore",
    "Write",
    "open_store",
]

_LAZY = {
    "GuardPolicy": "brokerlink.credentials.policy",
    "RateLimit": "brokerlink.credentials.policy",
    "Reason": "brokerlink.credentials.policy",
    "MemoryStore": "brokerlink.credentials.memory_store",
    "SQLiteStore": "brokerlink.credentials.sqlite_store",
    "RedisStore": "brokerlink.credentials.redis_store",
    "open_store": "brokerlink.credentials.resolve",
    "Guard": "brokerlink.credentials.guard",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'brokerlink.credentials' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
