"""What the guard remembers and for how long (the vendor plugin's table of :class:`Reason`, with
``GuardPolicy.ttls`` checked against it when the guard is made), the rate limit, failures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from brokerlink.errors import InvalidRequest

RECORD_TTL = 180 * 24 * 3600.0  # how long an account's record is kept (renewed on update)


@dataclass(frozen=True, slots=True)
class Reason:
    """A vendor code the guard remembers: ``kind`` ``"credentials"`` (platform, server, login,
    password), ``"server"`` (platform, server; automatic settings only) or ``"slots"`` (those and
    the account type and slots); ``advice``: what a refusal asks (may name ``{recommended}``)."""

    kind: Literal["credentials", "server", "slots"]
    ttl: float
    advice: str


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
    """Settings of the guard, carried by its store or a URL's query. ``ttls``: seconds per vendor
    code; ``on_error``: ``"allow"`` (send, logged) or ``"raise"`` (``CredentialCacheUnavailable``)
    when the store is down; ``rate_limit=None``: off; ``store_retry_after``: seconds a failed store
    is left alone."""

    ttls: Mapping[str, float] = field(default_factory=dict)
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    on_error: Literal["allow", "raise"] = "allow"
    record_ttl: float = RECORD_TTL
    store_retry_after: float = 5.0

    def __post_init__(self) -> None:
        for reason, seconds in self.ttls.items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
                raise InvalidRequest(f"credential guard ttl of {reason} must be positive")
        if self.on_error not in ("allow", "raise"):
            raise InvalidRequest('credential guard on_error must be "allow" or "raise"')
        if not self.record_ttl > 0 or self.store_retry_after < 0:
            raise InvalidRequest("credential guard record_ttl must be positive")

    def reasons(self, table: Mapping[str, Reason]) -> dict[str, Reason]:
        """``table`` with this policy's TTLs; ``InvalidRequest`` for a code it does not know."""
        unknown = sorted(set(self.ttls) - set(table))
        if unknown:
            raise InvalidRequest(f"credential guard ttls: unknown reason(s) {unknown}")
        return {
            code: Reason(r.kind, float(self.ttls.get(code, r.ttl)), r.advice)
            for code, r in table.items()
        }


def number(name: str, value: str, kind: type[float] | type[int] = float) -> float:
    try:
        return kind(value)
    except ValueError:
        raise InvalidRequest(f"credential_cache: {name} must be a number") from None


def policy_from_query(params: Mapping[str, str]) -> GuardPolicy:
    """A policy from URL query parameters: ``on_error``, ``max_rejections``, ``window``,
    ``cooldown``, ``rate_limit=off``, ``record_ttl``, ``ttl_<CODE>`` (e.g. ``ttl_E_AUTH=3600``)."""
    ttls: dict[str, float] = {}
    limit: dict[str, float] = {}
    options: dict[str, object] = {}
    rate_off = False
    for name, value in params.items():
        if name.startswith("ttl_"):
            ttls[name[4:].upper()] = number(name, value, float)
        elif name in ("max_rejections", "window"):
            limit[name] = number(name, value, int)
        elif name in ("cooldown", "record_ttl"):
            (limit if name == "cooldown" else options)[name] = number(name, value, float)
        elif name == "rate_limit":
            if value.lower() not in ("off", "on", "0", "1", "false", "true"):
                raise InvalidRequest("credential_cache: rate_limit must be on or off")
            rate_off = value.lower() in ("off", "0", "false")
        elif name == "on_error":
            options["on_error"] = value
        else:
            raise InvalidRequest(f"credential_cache: unknown parameter {name!r}")
    rate = None if rate_off else RateLimit(**limit)  # type: ignore[arg-type]
    return GuardPolicy(ttls=ttls, rate_limit=rate, **options)  # type: ignore[arg-type]
