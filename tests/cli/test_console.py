"""The ``brokerlink`` console script is installed and answers; ``python -m brokerlink.cli`` too."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from brokerlink.cli import main


def test_console_script_help() -> None:
    exe = shutil.which("brokerlink")
    assert exe is not None
    result = subprocess.run([exe, "sandbox", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "--port" in result.stdout


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "brokerlink.cli", "call", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "metaapi" in result.stdout and "Exit codes" in result.stdout


def test_a_subcommand_is_required() -> None:
    assert main([]) == 2


def test_usage_errors_are_one_line_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "metaapi", "no-such-operation"]) == 2
    assert capsys.readouterr().err == (
        "UsageError: No such command 'no-such-operation' (try 'brokerlink call metaapi --help')\n"
    )
    assert main(["call", "metaapi", "list-regions", "--timeout", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("UsageError: Invalid value for '--timeout'")
    assert err.count("\n") == 1


def test_typed_errors_through_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "metaapi", "get-account", "--sandbox", "-p", "accountId=x"]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("NotFound: metaapi.getAccount: GET http://127.0.0.1:")
    assert "/metaapi/users/current/accounts/x: HTTP 404: " in captured.err


def test_version() -> None:
    assert main(["--version"]) == 0
