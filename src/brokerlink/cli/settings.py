"""Where ``brokerlink call`` finds credentials and base URLs: option > env var > config file.

The config file is TOML with one table per API (``[metaapi]``, ``[brokerwork]``, ``[b2core]``)
holding the credential names of that API's facade and ``base_url``. Its path is ``--config``,
else ``BROKERLINK_CONFIG``, else ``config.toml`` in the user's config directory (platformdirs).
Values are never printed: messages name the setting, not its content.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brokerlink.cli.manifest import ApiInfo
from brokerlink.environment import env_var
from brokerlink.errors import ConfigurationError

CONFIG_ENV = "BROKERLINK_CONFIG"
# What --sandbox sends: the sandbox accepts any non-empty credentials unless told otherwise.
SANDBOX_CREDENTIALS = {
    "token": "sandbox-token",
    "tenant_id": "T001117",
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
}


def default_config_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path("brokerlink") / "config.toml"


def config_path(option: str | None) -> tuple[Path, bool]:
    """The config file to read, and whether it was asked for explicitly (then it must exist)."""
    if option:
        return Path(option).expanduser(), True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser(), True
    return default_config_path(), False


def load_config(api: ApiInfo, option: str | None) -> tuple[dict[str, str], Path]:
    """The ``[api]`` table of the config file (empty when there is no file), checked."""
    path, explicit = config_path(option)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigurationError(f"config file {path} does not exist") from None
        return {}, path
    except OSError as exc:
        raise ConfigurationError(f"config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # tomllib's messages give the position, never the content.
        raise ConfigurationError(f"config file {path}: {exc}") from None
    table = data.get(api.name, {})
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"config file {path}: [{api.name}] must be a table")
    allowed = {c.name for c in api.credentials} | {"base_url"}
    checked: dict[str, str] = {}
    for key, value in table.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise ConfigurationError(
                f"config file {path}: unknown key {key!r} in [{api.name}] (known: {known})"
            )
        if not isinstance(value, str) or not value:
            raise ConfigurationError(
                f"config file {path}: {api.name}.{key} must be a non-empty string"
            )
        checked[key] = value
    return checked, path


@dataclass(frozen=True)
class Settings:
    """What the facade constructor gets: credentials by keyword, and the base URL."""

    credentials: dict[str, str]
    base_url: str | None

    def __repr__(self) -> str:  # never show credential values
        return f"Settings(credentials={sorted(self.credentials)}, base_url={self.base_url!r})"


def resolve(
    api: ApiInfo,
    given: Mapping[str, str | None],
    *,
    config: str | None,
    sandbox: bool,
) -> Settings:
    """Credentials and base URL from ``given`` (options and env vars, already merged by click)
    or the config file. With ``sandbox`` the config file is not read: what is not given is the
    sandbox's demo credentials, and the base URL comes from the sandbox itself."""
    if sandbox:
        if given.get("base_url"):
            raise ConfigurationError("--sandbox sets the base URL: drop --base-url")
        return Settings(
            {c.name: given.get(c.name) or SANDBOX_CREDENTIALS[c.name] for c in api.credentials},
            None,
        )
    wanted = [*(c.name for c in api.credentials), "base_url"]
    values: dict[str, Any] = {name: given.get(name) for name in wanted}
    path: Path | None = None
    if not all(values.values()):
        table, path = load_config(api, config)
        for name in wanted:
            values[name] = values[name] or table.get(name)
    values["base_url"] = values["base_url"] or api.default_base_url
    missing = [name for name in wanted if not values[name]]
    if missing:
        name = missing[0]
        option = "--" + name.replace("_", "-")
        where = f" or add {name} under [{api.name}] in {path}" if path else ""
        raise ConfigurationError(
            f"{api.name} needs {name}: pass {option}, set {env_var(api.name, name)}{where}"
        )
    return Settings({c.name: values[c.name] for c in api.credentials}, values["base_url"])
