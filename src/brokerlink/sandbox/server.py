"""``serve``: run the sandbox in the foreground with uvicorn."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn

from brokerlink.sandbox.app import PREFIXES, create_app

RESET_MESSAGE = "ASGI callable returned without completing response."


class _QuietResets(logging.Filter):
    """Drops uvicorn's complaint about the ``reset`` fault's deliberately unfinished bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != RESET_MESSAGE


def quiet_reset_logs() -> None:
    """Install the filter on ``uvicorn.error`` once."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietResets) for f in logger.filters):
        logger.addFilter(_QuietResets())


def serve(
    host: str = "127.0.0.1", port: int = 8787, *, access_log: bool = False, **options: Any
) -> None:
    """Serve the sandbox until interrupted (blocking). ``options`` go to ``create_app``.

    Access logging is off by default: it would cost more than answering a request.
    """
    app = create_app(**options)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", lifespan="off", access_log=access_log
    )
    server = uvicorn.Server(config)
    quiet_reset_logs()
    base = f"http://{host}:{port}"
    for api, prefix in PREFIXES.items():
        logging.getLogger("uvicorn.error").info("sandbox %s base URL: %s%s", api, base, prefix)
    server.run()
