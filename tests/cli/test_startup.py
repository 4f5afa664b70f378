"""Help is built from data: it imports no HTTP stack, no generated client, no rich, no plugins.

A deterministic stand-in for "``brokerlink --help`` starts fast" (benchmarks/cli_startup.py
measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "httpx",
    "httpcore",
    "rich",
    "pluggy",
    "attr",
    "attrs",
    "brokerlink.plugins",
    "brokerlink.sandbox",
)


def modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys, json\n"
        "from brokerlink.cli import main\n"
        f"code = main({argv!r})\n"
        "assert code == 0, code\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stderr))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["call", "--help"],
        ["call", "metaapi", "--help"],
        ["call", "metaapi", "create-account", "--help"],
        ["call", "b2core", "list-accounts", "--help"],
        ["demo", "--help"],
    ],
)
def test_help_loads_nothing_heavy(argv: list[str]) -> None:
    loaded = modules_after(argv)
    heavy = {m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)}
    assert heavy <= {"httpx._main"}  # brokerlink's stand-in, which keeps httpx's CLI out
    generated = {m for m in loaded if m.startswith("brokerlink.generated.")}
    assert generated <= {"brokerlink.generated.cli_manifest"}
    if argv[0] == "call":
        assert "brokerlink.generated.cli_manifest" in loaded
