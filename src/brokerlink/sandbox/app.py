"""``create_app``: the one ASGI app serving all three simulated APIs."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from brokerlink.sandbox.b2core import B2Core
from brokerlink.sandbox.brokerwork import BrokerWork
from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.control import control_routes
from brokerlink.sandbox.faults import FaultMiddleware
from brokerlink.sandbox.metaapi import MetaApi
from brokerlink.sandbox.options import SandboxOptions
from brokerlink.sandbox.routing import SandboxRouter

PREFIXES = {"metaapi": "/metaapi", "brokerwork": "/brokerwork", "b2core": "/b2core"}


def create_app(**options: Any) -> Starlette:
    """Build a fresh sandbox app; ``options`` are the fields of :class:`SandboxOptions`.

    The :class:`Sandbox` (state, clock, fault plan) is at ``app.state.sandbox``.
    """
    sandbox = Sandbox(SandboxOptions.from_kwargs(options))
    router = SandboxRouter(
        [
            (PREFIXES["metaapi"], MetaApi(sandbox).routes()),
            (PREFIXES["brokerwork"], BrokerWork(sandbox).routes()),
            (PREFIXES["b2core"], B2Core(sandbox).routes()),
            ("/_sandbox", control_routes(sandbox)),
        ]
    )
    middleware = [
        Middleware(
            FaultMiddleware,
            plan=sandbox.faults,
            clock=sandbox.clock,
            slow_delay=lambda: sandbox.options.slow_delay,
            retry_seconds=lambda: sandbox.options.rate_limit_retry_seconds,
        )
    ]
    app = Starlette(middleware=middleware)
    app.router = router  # before the first call, which builds the middleware stack on it
    app.state.sandbox = sandbox
    return app
