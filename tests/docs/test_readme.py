"""The README's quick start says what CI and the demo really run (its Python block runs in
test_code_blocks)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from brokerlink.cli.app import cli

ROOT = Path(__file__).resolve().parents[2]


def quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n\n```bash\n(.*?)```", text, re.S)
    assert block, "README: the quick start must open with a bash block"
    return [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]


def test_two_commands_main_job_then_tests() -> None:
    main_job, tests = quick_start()
    assert main_job.endswith("python -m brokerlink demo")
    assert tests.endswith("python -m nox")
    for command in (main_job, tests):  # a virtual environment: no install into the system's
        assert command.startswith("python3 -m venv .venv && .venv/bin/python -m pip install ")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == quick_start()[1]


def test_the_main_job_runs() -> None:
    result = CliRunner().invoke(cli, ["demo", "--fast"])
    assert result.exit_code == 0, result.output
    assert "[8/8]" in result.output and "refused locally, nothing sent" in result.output
