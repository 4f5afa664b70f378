"""A local, stateful simulator of the MetaApi, Broker Work and B2Core IB HTTP APIs.

``create_app(**options)`` builds the ASGI app (prefixes ``/metaapi``, ``/brokerwork``,
``/b2core``), ``serve(host, port)`` runs it, and ``brokerlink.sandbox.testing.SandboxServer``
runs it in-process for tests. Magic inputs and fault modes: ``README.md`` beside this file.
"""

from brokerlink.sandbox.app import create_app
from brokerlink.sandbox.clock import Clock, ManualClock, SystemClock
from brokerlink.sandbox.options import SandboxOptions
from brokerlink.sandbox.server import serve

__all__ = ["Clock", "ManualClock", "SandboxOptions", "SystemClock", "create_app", "serve"]
