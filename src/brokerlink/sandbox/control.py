"""``/_sandbox``: endpoints that steer a running sandbox (reset, faults, clock, health)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.responses import (
    BodyError,
    as_int,
    empty_response,
    json_response,
    read_object,
)
from brokerlink.sandbox.routing import RouteTable


def control_routes(sandbox: Sandbox) -> RouteTable:
    """Routes mounted under ``/_sandbox`` (never subject to faults or auth)."""

    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "now": sandbox.clock.now()})

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return empty_response()

    async def list_faults(request: Request) -> Response:
        return json_response([asdict(rule) for rule in sandbox.faults.rules])

    async def add_fault(request: Request) -> Response:
        try:
            body = await read_object(request)
            delay: Any = body.get("delay")
            rule = FaultRule(
                mode=str(body.get("mode", "")),
                times=as_int(body.get("times")),
                api=body.get("api"),
                delay=float(delay) if isinstance(delay, int | float) else None,
            )
            sandbox.faults.add(rule)
        except (BodyError, ValueError) as exc:
            return json_response({"message": str(exc)}, 400)
        return json_response(asdict(rule), 201)

    async def clear_faults(request: Request) -> Response:
        sandbox.faults.clear()
        return empty_response()

    async def move_clock(request: Request) -> Response:
        try:
            body = await read_object(request)
        except BodyError as exc:
            return json_response({"message": str(exc)}, 400)
        seconds = body.get("advance")
        advance = getattr(sandbox.clock, "advance", None)
        if not isinstance(seconds, int | float) or advance is None:
            return json_response({"message": 'send {"advance": seconds}'}, 400)
        advance(seconds)
        return json_response({"now": sandbox.clock.now()})

    return [
        ("GET", "/health", health),
        ("POST", "/reset", reset),
        ("GET", "/faults", list_faults),
        ("POST", "/faults", add_fault),
        ("DELETE", "/faults", clear_faults),
        ("POST", "/clock", move_clock),
    ]
