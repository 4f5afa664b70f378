"""What hooks see and return: the call being made and the decisions a hook can take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from brokerlink.plugins.timing import SYSTEM, Timing


@dataclass(frozen=True)
class CallOptions:
    """Per-client settings that reach every hook (``client.with_options(...)`` makes a copy).

    ``None`` means "the plugin's documented default".
    """

    max_retries: int | None = None
    retry_deadline: float | None = None
    poll_timeout: float | None = None
    poll_interval: float | None = None
    credential_guard: bool = True
    end_user_id: str | None = None


class Effect(Protocol):
    """I/O a hook wants done (a cache lookup, a write): hooks decide, executors carry it out.

    The sync executor calls ``run``, the async one awaits ``arun``; either may raise a
    ``BrokerLinkError`` to stop the call.
    """

    def run(self) -> None: ...

    async def arun(self) -> None: ...


@dataclass(slots=True)
class Call:
    """One logical operation call, across all its sends (retries, polls)."""

    api: str
    operation_id: str
    options: CallOptions
    started: float
    idempotent: bool = False
    polls: bool = False
    attempt: int = 1
    timing: Timing = SYSTEM
    services: Mapping[str, Any] = field(default_factory=dict)  # per client (e.g. credential store)
    state: dict[str, Any] = field(default_factory=dict)  # scratch space for plugins, per call
    effects: list[Effect] = field(default_factory=list)

    @classmethod
    def for_request(
        cls,
        request: httpx.Request,
        options: CallOptions,
        timing: Timing,
        services: Mapping[str, Any],
    ) -> Call:
        tag = request.extensions.get("brokerlink") or {}
        return cls(
            api=str(tag.get("api", "")),
            operation_id=str(tag.get("operation_id", "")),
            options=options,
            started=timing.monotonic(),
            idempotent=bool(tag.get("idempotent", False)),
            polls=bool(tag.get("polls", False)),
            timing=timing,
            services=services,
        )

    def elapsed(self) -> float:
        """Seconds since the call started, on the call's own clock."""
        return self.timing.monotonic() - self.started

    def defer(self, effect: Effect) -> None:
        """Ask the executor to carry out ``effect`` as soon as the current hook round ends."""
        self.effects.append(effect)

    def take_effects(self) -> list[Effect]:
        effects, self.effects = self.effects, []
        return effects


@dataclass(frozen=True)
class Resend:
    """Wait ``seconds`` then send ``request`` (or the same one) again."""

    seconds: float
    reason: str
    message: str | None = None
    request: httpx.Request | None = None
