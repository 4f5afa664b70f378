"""The ``brokerlink`` console script is installed and answers; ``python -m brokerlink.cli`` too."""

from __future__ import annotations

import shutil
import subprocess
import sys

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


def test_unknown_operation_is_a_usage_error() -> None:
    assert main(["call", "metaapi", "no-such-operation"]) == 2


def test_version() -> None:
    assert main(["--version"]) == 0
