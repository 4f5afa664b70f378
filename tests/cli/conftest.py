"""Fixtures: the CLI run in-process (click's CliRunner) against one shared sandbox server.

Every test starts without BROKERLINK_* variables and with an empty user config directory, so the
developer's own credentials and config file never leak in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from brokerlink.cli import cli
from brokerlink.sandbox import ManualClock
from brokerlink.sandbox.testing import SandboxServer

CREDENTIALS = {
    "metaapi": ["--token", "meta-token"],
    "brokerwork": ["--tenant-id", "T001117", "--token", "bw-token"],
    "b2core": ["--client-id", "app-id", "--client-secret", "app-secret"],
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


def run_cli(
    args: Sequence[str], *, input: str | bytes | None = None, env: dict[str, str] | None = None
) -> Run:
    result = CliRunner().invoke(
        cli, list(args), input=input, env=env, catch_exceptions=False, prog_name="brokerlink"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("BROKERLINK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.setenv("BROKERLINK_CACHE_URL", "memory://")


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(clock=ManualClock()) as server:
        yield server


@pytest.fixture
def sandbox(_sandbox_server: SandboxServer) -> SandboxServer:
    """The shared sandbox, back to its seed data and without faults."""
    _sandbox_server.reset()
    return _sandbox_server


@pytest.fixture
def call(sandbox: SandboxServer) -> Any:
    """``call("metaapi", "get-account", "-p", "accountId=...")`` against the shared sandbox."""

    def invoke(api: str, operation: str, *args: str, input: str | bytes | None = None) -> Run:
        target = ["--base-url", sandbox.base_url(api), *CREDENTIALS[api]]
        return run_cli(["call", api, operation, *target, *args], input=input)

    return invoke
