"""``BROKERLINK_LOG=debug|info|warning|error``: brokerlink's ``brokerlink.*`` loggers on stderr for
any program. Read once, when the first client is made (never at import); ``-v`` shares it."""

from __future__ import annotations

import logging
import os
import warnings

from brokerlink.errors import BrokerLinkWarning

ENV = "BROKERLINK_LOG"
FORMAT = "%(levelname)s %(name)s: %(message)s"
LEVELS = ("debug", "info", "warning", "error")
_read = False


def from_environment() -> None:
    """Attach a stderr handler named ``BROKERLINK_LOG`` to the ``brokerlink`` logger at that
    level, once per process; an unknown level warns (and logs a warning) and changes nothing."""
    global _read
    if _read:
        return
    _read = True
    setting = os.environ.get(ENV, "").strip().lower()
    if setting in {"", "0", "off", "none", "false"}:
        return
    if setting not in LEVELS:
        message = f"{ENV}={setting!r} is not one of {', '.join(LEVELS)} (or off): logging stays off"
        logging.getLogger("brokerlink").warning("%s", message)
        warnings.warn(message, BrokerLinkWarning, stacklevel=5)  # the line making the first client
        return
    handler = logging.StreamHandler()
    handler.set_name(ENV)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("brokerlink")
    logger.addHandler(handler)
    logger.setLevel(setting.upper())
