"""``BROKERLINK_LOG`` switches brokerlink's logging on for a library user: each case is a fresh
Python process calling the sandbox, so "once, when the first client is made" is observable."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

PROGRAM = """
import logging, sys
import brokerlink
from brokerlink.sandbox.testing import SandboxServer

logger = logging.getLogger("brokerlink")
print("at import:", logger.level, len(logger.handlers), file=sys.stderr)
with SandboxServer() as sandbox:
    for _ in range(2):
        url = sandbox.base_url("metaapi")
        with brokerlink.MetaApi(token="meta-secret-token", base_url=url) as client:
            client.list_regions()
print("after:", logger.level, len(logger.handlers), file=sys.stderr)
"""


def run(setting: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    env["BROKERLINK_CACHE_URL"] = "memory://"
    if setting is not None:
        env["BROKERLINK_LOG"] = setting
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "meta-secret-token" not in result.stderr
    return [line for line in result.stderr.splitlines() if "uvicorn" not in line]


def test_unset_logs_nothing() -> None:
    assert run(None) == ["at import: 0 0", "after: 0 0"]


@pytest.mark.parametrize("setting", ["debug", " DEBUG "])
def test_debug_logs_every_send_once(setting: str) -> None:
    lines = run(setting)
    assert lines[0] == "at import: 0 0"  # nothing at import time
    assert lines[-1] == "after: 10 1"  # one handler for both clients
    sends = [
        line
        for line in lines
        if re.match(r"DEBUG brokerlink\.http: metaapi\.listRegions GET", line)
    ]
    assert len(sends) == 2, lines  # one line per send, not one per client made


def test_info_leaves_out_debug() -> None:
    lines = run("info")
    assert lines == ["at import: 0 0", "after: 20 1"]


@pytest.mark.parametrize("setting", ["", "off", "0", "none"])
def test_off(setting: str) -> None:
    assert run(setting) == ["at import: 0 0", "after: 0 0"]


def test_an_unknown_level_warns_and_logs_nothing() -> None:
    lines = run("loud")
    assert lines[0] == "at import: 0 0" and lines[-1] == "after: 0 0"
    warning = "\n".join(lines[1:-1])
    assert (
        "BrokerLinkWarning: BROKERLINK_LOG='loud' is not one of debug, info, warning, error"
        in warning
    )
    assert "<string>:" in warning  # names the caller's line, where the client was made


@pytest.mark.parametrize(
    ("setting", "flags"), [("debug", []), ("debug", ["-v"]), ("info", ["-vv"])]
)
def test_the_command_line_shares_it(setting: str, flags: list[str]) -> None:
    """``BROKERLINK_LOG`` works for ``brokerlink call`` too; ``-v`` adds detail, never a second
    handler (each line once)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    env["BROKERLINK_LOG"] = setting
    command = [sys.executable, "-m", "brokerlink", "call", "metaapi", "list-regions", "--sandbox"]
    result = subprocess.run([*command, *flags], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    sends = re.findall(
        r"^DEBUG brokerlink\.http: metaapi\.listRegions GET .*$", result.stderr, re.M
    )
    assert len(sends) == 1, result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "BROKERLINK_PLUGINS",
            "probe,typo",
            "WARNING brokerlink.hooks.manager: BROKERLINK_PLUGINS names typo: no installed plugin "
            "has that entry-point name (installed: metrics, probe)",
        ),
        (
            "BROKERLINK_LOG",
            "loud",
            "WARNING brokerlink: BROKERLINK_LOG='loud' is not one of debug, info, warning, error "
            "(or off): logging stays off",
        ),
    ],
)
def test_the_command_line_prints_a_setting_warning_once(
    variable: str, value: str, line: str
) -> None:
    """A ``BrokerLinkWarning`` is one log line on stderr, not also Python's two-line warning."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    env[variable] = value
    command = [sys.executable, "-m", "brokerlink", "call", "metaapi", "list-regions", "--sandbox"]
    result = subprocess.run([*command, "-q"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [line]
