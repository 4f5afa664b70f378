"""Built-in plugin: how long a MetaApi answer asks to wait (202 polls, 429s).

MetaApi gives ``Retry-After`` (seconds or HTTP-date) and, in the body, an ISO 8601
``metadata.recommendedRetryTime``; the header wins.
"""

from __future__ import annotations

import httpx

from brokerlink.hooks import Call, hookimpl
from brokerlink.plugins.error_body import json_object, parse_iso_delay, parse_retry_after, wall_now

VENDOR = "metaapi"


def advised_wait(call: Call, response: httpx.Response) -> float | None:
    """Seconds until the advised retry (capped), None without usable advice."""
    now = wall_now(call)
    wait = parse_retry_after(response.headers.get("retry-after"), now)
    if wait is None:
        metadata = (json_object(response) or {}).get("metadata")
        if isinstance(metadata, dict):
            wait = parse_iso_delay(metadata.get("recommendedRetryTime"), now)
    return wait


@hookimpl
def brokerlink_wait_advice(call: Call, response: httpx.Response) -> float | None:
    return advised_wait(call, response)
