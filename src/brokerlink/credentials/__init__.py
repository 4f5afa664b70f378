"""The credential guard: never pay a vendor twice for the same rejected credentials. It knows
no vendor and sits below the hook runtime; importing it is cheap (see docs/credential-guard.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from brokerlink.credentials.store import CredentialStore, Entry, Write

if TYPE_CHECKING:  # explicit re-exports, loaded on first use by __getattr__
    from brokerlink.credentials.guard import Guard as Guard
    from brokerlink.credentials.policy import GuardPolicy as GuardPolicy
    from brokerlink.credentials.policy import RateLimit as RateLimit
    from brokerlink.credentials.policy import Reason as Reason
    from brokerlink.credentials.redis_store import RedisStore as RedisStore
    from brokerlink.credentials.resolve import open_store as open_store
    from brokerlink.credentials.sqlite_store import SQLiteStore as SQLiteStore
    from brokerlink.credentials.store import MemoryStore as MemoryStore

_LAZY = {
    **dict.fromkeys(("GuardPolicy", "RateLimit", "Reason"), "policy"),
    **{"Guard": "guard", "MemoryStore": "store", "open_store": "resolve"},
    **{"RedisStore": "redis_store", "SQLiteStore": "sqlite_store"},
}
__all__ = ["CredentialStore", "Entry", "Write", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'brokerlink.credentials' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"brokerlink.credentials.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
