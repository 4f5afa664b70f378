"""``serve``: run the sandbox in the foreground with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import uvicorn

from brokerlink.sandbox.app import PREFIXES, create_app
from brokerlink.sandbox.options import SandboxOptions

RESET_MESSAGE = "ASGI callable returned without completing response."
README = Path(__file__).with_name("README.md")  # shipped in the package (package-data)
TITLES = {
    "metaapi": "MetaApi provisioning",
    "brokerwork": "Lean Work Broker Work",
    "b2core": "B2Broker B2Core IB",
}


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

    Prints the start-up banner (``banner``) on stdout once the port is bound (``port=0``: the one
    the system chose). Access logging is off by default: it would cost more than answering.
    """
    app = create_app(**options)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", lifespan="off", access_log=access_log
    )
    server = uvicorn.Server(config)
    quiet_reset_logs()
    sock = config.bind_socket()  # bound here so the banner shows the real port
    shown = f"[{host}]" if ":" in host else host
    print(banner(f"http://{shown}:{sock.getsockname()[1]}", app.state.sandbox.options), flush=True)
    server.run(sockets=[sock])


def banner(base: str, options: SandboxOptions) -> str:
    """How to use the sandbox served at ``base``: each API's base URL, the credentials it takes,
    where the magic inputs are documented, and a first command."""
    configured = {
        "MetaApi": options.metaapi_tokens,
        "Broker Work": options.brokerwork_tenants,
        "B2Core": options.b2core_clients,
    }
    only = [api for api, allowed in configured.items() if allowed is not None]
    return "\n".join(
        [
            f"brokerlink sandbox on {base}: the three APIs simulated in memory (lost on exit)",
            "",
            *(f"  {TITLES[api]:<24}{base}{prefix}" for api, prefix in PREFIXES.items()),
            f"  {'sandbox control':<24}{base}/_sandbox",
            "",
            "Any token works: any non-empty MetaApi token, Broker Work tenant id and token, B2Core",
            "client id and secret"
            + (f" (except {', '.join(only)}: only the configured ones)." if only else "."),
            "Magic inputs make it fail on purpose (a password E_AUTH, serverId=990, the header",
            "x-sandbox-fault: html-503, ...): see 'Magic inputs' and 'Fault modes' in",
            f"  {README}",
            "  (the Sandbox page of the documentation, docs/sandbox.md).",
            "",
            f"Try: brokerlink call metaapi list-regions --base-url {base}/metaapi --token any",
            "Stop with Ctrl-C.",
        ]
    )
