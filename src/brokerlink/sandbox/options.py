"""Sandbox settings: everything ``create_app(**options)`` accepts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from brokerlink.sandbox.clock import Clock, SystemClock

RetryAfterFormat = Literal["seconds", "http-date"]


@dataclass
class SandboxOptions:
    """Knobs of the simulator. ``None`` credentials mean "accept any non-empty value"."""

    clock: Clock = field(default_factory=SystemClock)
    seed: bool = True
    """Load the demo data set at start (and on reset)."""

    # --- credentials -------------------------------------------------------------------------
    metaapi_tokens: frozenset[str] | None = None
    brokerwork_tenants: Mapping[str, str] | None = None
    """tenantId -> api token. ``None``: any tenant except the magic ones, any token."""
    b2core_clients: Mapping[str, str] | None = None
    """client id -> secret for ``POST /tokens``. ``None``: any non-empty pair."""
    b2core_list_envelope: bool = False
    """Answer B2Core ``GET /accounts`` as ``{data, total}`` instead of a bare array."""
    token_lifetime: int = 600
    """B2Core access-token lifetime in seconds (the ``expires_in`` answered)."""

    # --- MetaApi long-running operations --------------------------------------------------------
    accepted_retries: int = 0
    """How many 202 answers every new transaction-id gets before its final answer."""
    retry_after_seconds: int = 1
    retry_after_format: RetryAfterFormat = "seconds"
    transition_seconds: float = 0.0
    """Time an account spends in DEPLOYING/UNDEPLOYING/DELETING; 0 = the final state at once."""
    rate_limit_retry_seconds: int = 1

    # --- faults ---------------------------------------------------------------------------------
    fault: str | None = None
    """A fault mode applied to every request (see README.md), e.g. ``"html-500"``."""
    fault_times: int | None = None
    """Apply ``fault`` to only the first N requests."""
    fault_api: str | None = None
    """Restrict ``fault`` to one API: ``metaapi``, ``brokerwork`` or ``b2core``."""
    slow_delay: float = 2.0
    """Seconds a ``slow`` fault waits unless the request says otherwise."""

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> SandboxOptions:
        """Build from keyword options, rejecting unknown names."""
        known = {f.name for f in fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"unknown sandbox option(s): {', '.join(sorted(unknown))}")
        values = dict(options)
        if values.get("metaapi_tokens") is not None:
            values["metaapi_tokens"] = frozenset(values["metaapi_tokens"])
        return cls(**values)
