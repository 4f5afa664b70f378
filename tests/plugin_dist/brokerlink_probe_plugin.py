"""Test plugin: records what it sees and adds one MetaApi error code; changes nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import brokerlink
from brokerlink import errors

SEEN: list[tuple[str, str, int]] = []


class ProbeCodeError(errors.ValidationError):
    """Raised for the made-up MetaApi ``details`` code ``E_PROBE_CODE``."""


@brokerlink.hookimpl
def brokerlink_before_send(call: Any, request: Any) -> None:
    SEEN.append((call.api, call.operation_id, call.attempt))


@brokerlink.hookimpl
def brokerlink_error_classes(vendor: str) -> Mapping[str, type[Exception]] | None:
    return {"E_PROBE_CODE": ProbeCodeError} if vendor == "metaapi" else None
