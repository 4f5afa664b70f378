"""``SandboxServer``: the sandbox in a background thread, for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from brokerlink.sandbox.app import PREFIXES, create_app
from brokerlink.sandbox.clock import Clock
from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.server import quiet_reset_logs


class SandboxServer:
    """Run the sandbox on a free port of 127.0.0.1 while the ``with`` block lasts.

    ``options`` go to :func:`brokerlink.sandbox.create_app`; ``.sandbox`` gives direct access
    to its state (``reset()``, ``faults``, stores) and ``.clock`` to its clock.
    """

    def __init__(self, **options: Any) -> None:
        self.app = create_app(**options)
        self.sandbox: Sandbox = self.app.state.sandbox
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if not self.port:
            raise RuntimeError("the sandbox server is not running")
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, api: str) -> str:
        """A client's base URL for ``metaapi``, ``brokerwork`` or ``b2core``."""
        if api not in PREFIXES:
            raise ValueError(f"unknown api {api!r}; use one of {sorted(PREFIXES)}")
        return self.url + PREFIXES[api]

    @property
    def clock(self) -> Clock:
        return self.sandbox.clock

    def reset(self) -> None:
        """Back to the seed data (see :meth:`Sandbox.reset`)."""
        self.sandbox.reset()

    def start(self, timeout: float = 10.0) -> None:
        """Bind a free port, start serving, and return once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("already started")
        # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (a
        # proto-0 socket would get Nagle's algorithm and ~40 ms per keep-alive response).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", log_config=None, lifespan="off", access_log=False
        )
        quiet_reset_logs()
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.002)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None
        self.port = 0

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
