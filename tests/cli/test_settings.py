"""Credentials and base URLs: option > env var > config file, checked on what reaches the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.recording_server import RecordingServer


def regions(server: RecordingServer, *args: str, env: dict[str, str] | None = None) -> str:
    """Run list-regions and return the auth-token the server received."""
    server.reply(200, ["london"])
    result = run_cli(["call", "metaapi", "list-regions", *args], env=env)
    assert result.code == 0, result.stderr
    return server.requests[-1].headers["auth-token"]


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_option_beats_env_beats_file(server: RecordingServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.toml", f'[metaapi]\ntoken = "from-file"\nbase_url = "{server.url}/file"\n'
    )
    env = {"BROKERLINK_METAAPI_TOKEN": "from-env"}
    assert regions(server, "--config", str(config)) == "from-file"
    assert server.requests[-1].path == "/file/users/current/regions"
    assert regions(server, "--config", str(config), env=env) == "from-env"
    assert regions(server, "--config", str(config), "--token", "from-option", env=env) == (
        "from-option"
    )
    env["BROKERLINK_METAAPI_BASE_URL"] = f"{server.url}/env"
    regions(server, "--config", str(config), env=env)
    assert server.requests[-1].path == "/env/users/current/regions"
    regions(server, "--config", str(config), "--base-url", f"{server.url}/option", env=env)
    assert server.requests[-1].path == "/option/users/current/regions"


def test_settings_mix_across_sources(server: RecordingServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.toml", f'[brokerwork]\ntenant_id = "T-file"\nbase_url = "{server.url}/bw"\n'
    )
    server.reply(200, {"result": True, "mcode": "m0000000", "data": []})
    result = run_cli(
        ["call", "brokerwork", "list-levels", "--config", str(config)],
        env={"BROKERLINK_BROKERWORK_TOKEN": "token-env"},
    )
    assert result.code == 0, result.stderr
    sent = server.requests[-1]
    assert (sent.headers["x-api-tenantid"], sent.headers["x-api-token"]) == ("T-file", "token-env")


def test_config_file_locations(server: RecordingServer, tmp_path: Path) -> None:
    # The fixture points XDG_CONFIG_HOME at tmp_path / "user-config".
    write_config(
        tmp_path / "user-config" / "brokerlink" / "config.toml",
        f'[metaapi]\ntoken = "default-file"\nbase_url = "{server.url}"\n',
    )
    assert regions(server) == "default-file"
    other = write_config(
        tmp_path / "other.toml", f'[metaapi]\ntoken = "env-file"\nbase_url = "{server.url}"\n'
    )
    assert regions(server, env={"BROKERLINK_CONFIG": str(other)}) == "env-file"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[metaapi]\ntoken = "s3cr3t-value"\ntokn = "x"\n', "unknown key 'tokn' in [metaapi]"),
        ("[metaapi]\ntoken = 5\n", "metaapi.token must be a non-empty string"),
        ('metaapi = "s3cr3t-value"\n', "[metaapi] must be a table"),
        ('[metaapi]\ntoken = "s3cr3t-value\n', "config file"),
    ],
)
def test_bad_config_files_are_refused_without_echoing_them(
    tmp_path: Path, text: str, words: str
) -> None:
    config = write_config(tmp_path / "bad.toml", text)
    result = run_cli(["call", "metaapi", "list-regions", "--config", str(config)])
    assert result.code == 2
    assert result.stderr.startswith("ConfigurationError: ")
    assert words in result.stderr
    assert "s3cr3t" not in result.stderr


def test_an_explicit_config_file_must_exist(tmp_path: Path) -> None:
    result = run_cli(["call", "metaapi", "list-regions", "--config", str(tmp_path / "none.toml")])
    assert (result.code, result.stderr.split(":")[0]) == (2, "ConfigurationError")
    assert "does not exist" in result.stderr


def test_missing_settings_say_where_to_put_them(tmp_path: Path) -> None:
    result = run_cli(["call", "b2core", "list-accounts", "--client-id", "a"])
    assert result.code == 2
    assert (
        "b2core needs client_secret: pass --client-secret, set BROKERLINK_B2CORE_CLIENT_SECRET"
        in (result.stderr)
    )
    assert str(tmp_path / "user-config" / "brokerlink" / "config.toml") in result.stderr


def test_the_sandbox_ignores_env_credentials_but_not_options() -> None:
    env = {"BROKERLINK_METAAPI_TOKEN": "forbidden"}  # the sandbox answers 403 to this token
    assert run_cli(["call", "metaapi", "list-regions", "--sandbox"], env=env).code == 0
    forbidden = run_cli(["call", "metaapi", "list-regions", "--sandbox", "--token", "forbidden"])
    assert forbidden.code == 3


def test_the_sandbox_sets_the_base_url() -> None:
    result = run_cli(["call", "metaapi", "list-regions", "--sandbox", "--base-url", "http://x"])
    assert result.code == 2
    assert "drop --base-url" in result.stderr


def test_help_never_shows_credential_values() -> None:
    env = {"BROKERLINK_B2CORE_CLIENT_SECRET": "s3cr3t-in-env"}
    result = run_cli(["call", "b2core", "list-accounts", "--help"], env=env)
    assert result.code == 0
    assert "BROKERLINK_B2CORE_CLIENT_SECRET" in result.stdout
    assert "s3cr3t" not in result.stdout
