"""Client settings from the environment: ``BROKERLINK_<API>_<SETTING>``, one naming for the
library's constructors and the CLI's options, read when a client is made, never at import."""

from __future__ import annotations

import os

from brokerlink.errors import ConfigurationError


def env_var(api: str, setting: str) -> str:
    """``BROKERLINK_METAAPI_TOKEN``, ``BROKERLINK_BROKERWORK_BASE_URL`` ..."""
    return f"BROKERLINK_{api.upper()}_{setting.upper()}"


def setting(api: str, name: str, given: str | None, default: str | None = None) -> str:
    """``given`` unless it is None, else the env var (empty counts as unset, as in the CLI), else
    ``default``; with none of them a :class:`ConfigurationError` naming the argument and the
    variable (never a value)."""
    if given is not None:
        return given
    value = os.environ.get(env_var(api, name)) or default
    if value is None:
        raise ConfigurationError(f"{name} is required: pass {name}=... or set {env_var(api, name)}")
    return value
