"""``credential_cache=`` -> a store: a URL (``memory://``, ``sqlite://[path]``, ``redis://`` or
``rediss://``, with policy and backend query parameters), a store object, or None
(``$BROKERLINK_CACHE_URL``, else the SQLite file in the user's cache directory). What brokerlink
names is scoped by the API's base URL (the default file, Redis's default prefix); a path or
prefix you name is shared as you name it."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from brokerlink.credentials.policy import number, policy_from_query
from brokerlink.credentials.redis_store import redacted
from brokerlink.credentials.store import CredentialStore
from brokerlink.errors import InvalidRequest

CACHE_ENV = "BROKERLINK_CACHE_URL"
_POLICY_PARAMS = {"on_error", "max_rejections", "window", "cooldown", "rate_limit", "record_ttl"}
_WINDOWS_DRIVE = re.compile(r"^/[A-Za-z]:[/\\]")


def scope_of(base_url: str) -> str:
    """``scheme://host:port/path`` of an API base URL: lower-case, the port spelt out, without
    user info, query, fragment or trailing slash, so two spellings of one endpoint share a scope."""
    parts = urlsplit(base_url.strip())
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise InvalidRequest(f"base URL {redacted(base_url)!r}: give http(s)://host[:port]")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host}:{port}{parts.path.rstrip('/')}"


def open_store(setting: object, *, scope: str | None = None) -> tuple[CredentialStore, bool]:
    """The store for a ``credential_cache`` setting and the base URL ``scope`` of the API's
    client, and whether brokerlink made it (and so closes it with the client). Parses only."""
    scoped = None if scope is None else scope_of(scope)
    setting = setting if setting is not None else os.environ.get(CACHE_ENV) or "sqlite://"
    if isinstance(setting, str):
        return store_from_url(setting, scope=scoped), True
    if isinstance(setting, CredentialStore):
        return setting, False
    raise InvalidRequest(
        "credential_cache must be a URL (memory://, sqlite:///path, redis://host:port/db), "
        f"a CredentialStore or None, not {type(setting).__name__}"
    )


def store_from_url(url: str, *, scope: str | None = None) -> CredentialStore:
    """A store for ``url`` (see the module docstring for the forms), for the normalised base URL
    ``scope`` (None: one store for every base URL)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise InvalidRequest(f"credential_cache {redacted(url)!r} is not a URL (scheme://...)")
    rest, _, query = rest.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    policy_params = {k: v for k, v in params.items() if k in _POLICY_PARAMS or k.startswith("ttl_")}
    other = {k: v for k, v in params.items() if k not in policy_params}
    policy = policy_from_query(policy_params)
    scheme = scheme.lower()
    if scheme == "memory":
        if other or rest:
            what = f"unknown parameter(s) {sorted(other)}" if other else "memory:// takes no path"
            raise InvalidRequest(f"credential_cache: {what}")
        from brokerlink.credentials.store import MemoryStore

        return MemoryStore(policy=policy)
    if scheme == "sqlite":
        from brokerlink.credentials.sqlite_store import SQLiteStore

        timeout = number("timeout", other.pop("timeout", "5"))
        if other:
            raise InvalidRequest(f"credential_cache: unknown sqlite parameter(s) {sorted(other)}")
        path = rest[1:] if _WINDOWS_DRIVE.match(rest) or rest == "/:memory:" else rest
        scope = None if path else scope  # a file you name is shared as you name it
        return SQLiteStore(path or None, scope=scope, policy=policy, timeout=timeout)
    if scheme in ("redis", "rediss"):
        from brokerlink.credentials.redis_store import DEFAULT_PREFIX, RedisStore

        prefix = other.pop("prefix", DEFAULT_PREFIX + (f"{scope}:" if scope else ""))
        timeout = number("timeout", other.pop("timeout", "1"))
        target = f"{scheme}://{rest}" + (f"?{urlencode(other)}" if other else "")
        return RedisStore(target, prefix=prefix, timeout=timeout, policy=policy)
    raise InvalidRequest(
        f"credential_cache: unknown scheme {scheme!r} (memory://, sqlite://, redis://, rediss://)"
    )
