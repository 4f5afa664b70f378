"""docs/cookbook.md runs as written: every Python block in order, every ``$ brokerlink`` line."""

from __future__ import annotations

import json
import re

import pytest

from tests.cli.conftest import run_cli
from tests.docs.markdown import DOCS, Command, commands, run_python

COOKBOOK = DOCS / "cookbook.md"
COMMANDS = commands(COOKBOOK)


def test_the_python_recipes_run() -> None:
    namespace = run_python(COOKBOOK)
    # The recipes' own asserts checked the results; these check that all of them ran.
    assert namespace["server"] == "ICMarketsSC-Demo"
    assert "BROKERLINK_B2CORE_CLIENT_SECRET" in namespace["missing"]
    assert "credential" in namespace["clash"] and namespace["is_deployed"]
    assert str(namespace["total"]) == "1001770.373456789012345678"
    assert namespace["conflict"].status == 409
    assert namespace["unknown"].code == "BW_SANDBOX_0000042"
    assert namespace["deployed"].connection_status == "CONNECTED"
    assert namespace["answer"].status_code == namespace["raw_info"].status_code == 200
    assert not namespace["sandbox"].port  # stopped by the teardown block


def test_every_vendor_has_shell_recipes() -> None:
    apis = {c.argv[1] for c in COMMANDS if c.argv[0] == "call"}
    assert apis == {"metaapi", "brokerwork", "b2core"}


@pytest.mark.parametrize("command", COMMANDS, ids=[f"line{c.line}" for c in COMMANDS])
def test_the_shell_recipes_run(command: Command) -> None:
    result = run_cli(command.argv, input=command.stdin)
    if command.shown:  # the document shows the error line the command prints
        assert result.code not in (0, 1)
        # The error line names the request's URL: the sandbox's port is this run's.
        shown = [
            re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:8787", x) for x in result.stderr.splitlines()
        ]
        assert shown == command.shown
    else:
        assert result.code == 0, result.stderr
        if "table" not in command.argv:
            json.loads(result.stdout)
