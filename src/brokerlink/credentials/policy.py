"""What the credential guard remembers, for how long, and what it tells the user to change.

Defaults (seconds, override per reason with ``GuardPolicy(ttls={...})`` or ``?ttl_<CODE>=``):
a permanent credential problem is kept for days, one the user or broker may fix quickly
(OTP, symbols, server settings, slots estimate) for hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from brokerlink.errors import InvalidRequest

HOUR = 3600.0
DAY = 24 * HOUR

CREDENTIAL_REASONS = (
    "E_AUTH",
    "E_NO_SYMBOLS",
    "ERR_OTP_REQUIRED",
    "E_PASSWORD_CHANGE_REQUIRED",
    "E_TRADING_ACCOUNT_DISABLED",
)
"""Remembered against (platform, server, login, password)."""
SERVER_REASON = "E_SERVER_TIMEZONE"
"""Remembered against (platform, server), for automatic broker settings detection only."""
SLOTS_REASON = "E_RESOURCE_SLOTS"
"""Remembered against (platform, server, login, password, account type) with the slots asked
for and the slots MetaApi recommended."""
REASONS = (*CREDENTIAL_REASONS, SERVER_REASON, SLOTS_REASON)

DEFAULT_TTLS: Mapping[str, float] = {
    "E_AUTH": 7 * DAY,
    "E_PASSWORD_CHANGE_REQUIRED": 30 * DAY,
    "E_TRADING_ACCOUNT_DISABLED": 7 * DAY,
    "E_NO_SYMBOLS": DAY,
    "ERR_OTP_REQUIRED": DAY,
    "E_SERVER_TIMEZONE": 12 * HOUR,
    "E_RESOURCE_SLOTS": DAY,
}
RECORD_TTL = 180 * DAY
"""How long the account id -> credential hash record of an account is kept (renewed on update)."""

ADVICE: Mapping[str, str] = {
    "E_AUTH": "the broker refused this login, password and server: correct them (a new password "
    "or login) before trying again",
    "E_NO_SYMBOLS": "the broker configured no symbols for this account: have the broker configure "
    "them first",
    "ERR_OTP_REQUIRED": "the account requires a one-time password (OTP): disable OTP for the "
    "account first",
    "E_PASSWORD_CHANGE_REQUIRED": "the broker requires a password change: change the password in "
    "the trading terminal and use the new one",
    "E_TRADING_ACCOUNT_DISABLED": "the broker disabled this trading account: use another account "
    "or have the broker enable it",
    "E_SERVER_TIMEZONE": "broker settings detection failed for this server: use a provisioning "
    "profile (provisioningProfileId) for it",
    "E_RESOURCE_SLOTS": "too few resource slots for this account: set resourceSlots to at least "
    "{recommended}",
}


@dataclass(frozen=True)
class RateLimit:
    """After ``max_rejections`` rejections of one end user within ``window`` seconds, refuse that
    user's guarded calls for ``cooldown`` seconds."""

    max_rejections: int = 5
    window: int = 3600
    cooldown: float = 900.0

    def __post_init__(self) -> None:
        if isinstance(self.max_rejections, bool) or self.max_rejections < 1:
            raise InvalidRequest("rate limit: max_rejections must be at least 1")
        if isinstance(self.window, bool) or int(self.window) != self.window or self.window < 1:
            raise InvalidRequest("rate limit: window must be a whole number of seconds >= 1")
        if not self.cooldown > 0:
            raise InvalidRequest("rate limit: cooldown must be positive")


@dataclass(frozen=True)
class GuardPolicy:
    """Settings of the credential guard, carried by its store (``MemoryStore(policy=...)``) or
    by query parameters of a ``credential_cache`` URL.

    ``on_error``: ``"allow"`` (default) sends the request with a logged warning when the store
    is down; ``"raise"`` raises ``CredentialCacheUnavailable`` instead. ``rate_limit=None``
    turns per-end-user rate limiting off. ``store_retry_after``: seconds a failed store is left
    alone before it is tried again.
    """

    ttls: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    on_error: Literal["allow", "raise"] = "allow"
    record_ttl: float = RECORD_TTL
    store_retry_after: float = 5.0

    def __post_init__(self) -> None:
        unknown = set(self.ttls) - set(REASONS)
        if unknown:
            raise InvalidRequest(f"credential guard ttls: unknown reason(s) {sorted(unknown)}")
        for reason, seconds in self.ttls.items():
            if not isinstance(seconds, int | float) or not seconds > 0:
                raise InvalidRequest(f"credential guard ttl of {reason} must be positive")
        if self.on_error not in ("allow", "raise"):
            raise InvalidRequest('credential guard on_error must be "allow" or "raise"')
        if not self.record_ttl > 0 or self.store_retry_after < 0:
            raise InvalidRequest("credential guard record_ttl must be positive")

    def ttl(self, reason: str) -> float:
        return float(self.ttls.get(reason, DEFAULT_TTLS[reason]))


_TTL_PREFIX = "ttl_"


def _number(name: str, value: str, kind: type[float] | type[int]) -> float:
    try:
        return kind(value)
    except ValueError:
        raise InvalidRequest(f"credential_cache: {name} must be a number") from None


def policy_from_query(params: Mapping[str, str]) -> GuardPolicy:
    """A policy from URL query parameters: ``on_error``, ``max_rejections``, ``window``,
    ``cooldown``, ``rate_limit=off``, ``record_ttl``, ``ttl_<CODE>`` (e.g. ``ttl_E_AUTH=3600``)."""
    ttls = dict(DEFAULT_TTLS)
    limit: dict[str, float] = {}
    rate_off = False
    options: dict[str, object] = {}
    for name, value in params.items():
        if name.startswith(_TTL_PREFIX):
            reason = name[len(_TTL_PREFIX) :].upper()
            if reason not in DEFAULT_TTLS:
                raise InvalidRequest(f"credential_cache: unknown reason in {name!r}")
            ttls[reason] = _number(name, value, float)
        elif name in ("max_rejections", "window"):
            limit[name] = _number(name, value, int)
        elif name == "cooldown":
            limit[name] = _number(name, value, float)
        elif name == "rate_limit":
            if value.lower() not in ("off", "on", "0", "1", "false", "true"):
                raise InvalidRequest("credential_cache: rate_limit must be on or off")
            rate_off = value.lower() in ("off", "0", "false")
        elif name == "on_error":
            options["on_error"] = value
        elif name == "record_ttl":
            options["record_ttl"] = _number(name, value, float)
        else:
            raise InvalidRequest(f"credential_cache: unknown parameter {name!r}")
    rate = None if rate_off else RateLimit(**limit)  # type: ignore[arg-type]
    return GuardPolicy(ttls=ttls, rate_limit=rate, **options)  # type: ignore[arg-type]
