"""The ``brokerlink`` console script is installed and answers."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from brokerlink.cli import main


def test_console_script_help() -> None:
    exe = shutil.which("brokerlink")
    assert exe is not None
    result = subprocess.run([exe, "sandbox", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "--port" in result.stdout


def test_a_subcommand_is_required() -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
