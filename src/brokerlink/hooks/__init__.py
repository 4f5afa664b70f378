"""brokerlink's hook runtime: hookspecs, the plugin manager, the call model and the executors.

Plugin authors need :data:`hookimpl` (also ``brokerlink.hookimpl``) and the types of
:mod:`brokerlink.hooks.call` (``Call``, ``Resend``, ``Effect``); the built-in plugins live in
``brokerlink.plugins``.
"""

from brokerlink.hooks.call import (
    Call,
    CallOptions,
    ClientState,
    Effect,
    Invocation,
    Operation,
    Resend,
)
from brokerlink.hooks.hookspecs import hookimpl, hookspec

__all__ = [
    "Call",
    "CallOptions",
    "ClientState",
    "Effect",
    "Invocation",
    "Operation",
    "Resend",
    "hookimpl",
    "hookspec",
]
