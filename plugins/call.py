"""What hooks see and return: the call being made and the decisions a hook can take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class CallOptions:
    """Per-client settings that reach every hook (``client.with_options(...)`` makes a copy)."""

    max_retries: int | None = None
    poll_timeout: float | None = None
    credential_guard: bool = True
    end_user_id: str | None = None


@dataclass
class Call:
    """One logical operation call, across all its sends (retries, polls)."""

    api: str
    operation_id: str
    options: CallOptions
    started: float
    attempt: int = 1
    state: dict[str, Any] = field(default_factory=dict)  # scratch space for plugins, per call

    @classmethod
    def for_request(cls, request: httpx.Request, options: CallOptions, now: float) -> Call:
        tag = request.extensions.get("brokerlink") or {}
        return cls(
            api=str(tag.get("api", "")),
            operation_id=str(tag.get("operation_id", "")),
            options=options,
            started=now,
        )


@dataclass(frozen=True)
class Resend:
    """Wait ``seconds`` then send ``request`` (or the same one) again."""

    seconds: float
    reason: str
    message: str | None = None
    request: httpx.Request | None = None
