"""Keyed hashes of credentials: HMAC-SHA256 (the standard library's) over an unambiguous
encoding, each field prefixed with its 4-byte length and a tag naming the kind first, so neither
fields nor kinds collide. The key comes from the store or ``BROKERLINK_CACHE_KEY``.

Chain: ``ident = H(ident, platform, login)``, ``secret = H(secret, ident, password)``,
``cred = H(cred, secret, server.casefold())``, ``tz = H(tz, platform, server.casefold())``."""

from __future__ import annotations

import hmac
import os
import secrets
from functools import partial, partialmethod

from brokerlink.errors import InvalidRequest

KEY_ENV = "BROKERLINK_CACHE_KEY"
MIN_KEY_CHARS = 16


def encode(*fields: str | bytes) -> bytes:
    """Length-prefixed concatenation: no two different field lists give the same bytes."""
    raws = [field.encode() if isinstance(field, str) else field for field in fields]
    return b"".join(len(raw).to_bytes(4, "big") + raw for raw in raws)


class Keys:
    """The guard's keyed hashes, one method per kind; the key never shows in a repr."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_CHARS:
            raise InvalidRequest(f"credential cache key: at least {MIN_KEY_CHARS} bytes needed")
        self._key = key

    def __repr__(self) -> str:
        return "Keys(key=<hidden>)"

    def mac(self, tag: str, *fields: str | bytes) -> bytes:
        """HMAC-SHA256 of ``encode(tag, *fields)``."""
        return hmac.digest(self._key, encode(tag, *fields), "sha256")

    def ident(self, platform: str | None, login: str) -> bytes:
        return self.mac("ident", platform or "", login)

    secret = partialmethod(mac, "secret")  # (ident, password)
    account = partialmethod(mac, "account")  # (account id)
    record = partialmethod(mac, "record")  # (account id)
    cooldown = partialmethod(mac, "cooldown")  # (end-user id)

    def cred(self, secret: bytes, server: str) -> bytes:
        return self.mac("cred", secret, server.casefold())

    def tz(self, platform: str, server: str) -> bytes:
        return self.mac("tz", platform, server.casefold())

    def user(self, end_user_id: str) -> str:
        return self.mac("user", end_user_id).hex()


def configured_key(explicit: str | bytes | None = None) -> bytes | None:
    """The key given to a store, else ``$BROKERLINK_CACHE_KEY``, else None (store's own)."""
    value: str | bytes | None = explicit if explicit is not None else os.environ.get(KEY_ENV)
    if value is None or value == "":
        return None
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) < MIN_KEY_CHARS:
        raise InvalidRequest(
            f"credential cache key ({KEY_ENV} or key=) must be at least {MIN_KEY_CHARS} characters"
        )
    return raw


new_key = partial(secrets.token_bytes, 32)
