"""``brokerlink sandbox`` says how to use it: the banner's base URLs answer, any token works, and
the file it names documents the magic inputs (the same file the docs' Sandbox page includes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from brokerlink.sandbox.options import SandboxOptions
from brokerlink.sandbox.server import banner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served() -> Iterator[list[str]]:
    """``brokerlink sandbox --port 0`` in a child process; its banner, line by line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    command = [sys.executable, "-m", "brokerlink", "sandbox", "--port", "0"]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        for line in child.stdout:  # the banner is flushed once the port is bound
            lines.append(line.rstrip("\n"))
            if line.startswith("Stop with Ctrl-C"):
                break
        yield lines
    finally:
        child.send_signal(signal.SIGINT)
        _, errors = child.communicate(timeout=30)
        assert child.returncode == 130, errors  # Ctrl-C, as from a terminal
        assert "Uvicorn running on http://127.0.0.1:" in errors


def test_each_base_url_answers_with_any_token(served: list[str]) -> None:
    base = re.fullmatch(r"brokerlink sandbox on (http://127\.0\.0\.1:\d+): .*", served[0])
    assert base, served
    urls = dict(re.findall(r"^  (\S.*?\S)\s+(http://\S+)$", "\n".join(served), re.M))
    root = base[1]
    assert urls == {
        "MetaApi provisioning": f"{root}/metaapi",
        "Lean Work Broker Work": f"{root}/brokerwork",
        "B2Broker B2Core IB": f"{root}/b2core",
        "sandbox control": f"{root}/_sandbox",
    }
    assert "Any token works" in "\n".join(served)
    made_up = {"auth-token": "any-made-up-token"}
    regions = httpx.get(f"{urls['MetaApi provisioning']}/users/current/regions", headers=made_up)
    assert regions.status_code == 200 and regions.json()
    token = httpx.post(
        f"{urls['B2Broker B2Core IB']}/tokens",
        auth=("made-up-id", "made-up-secret"),
        json={"grant_type": "client_credentials"},
    )
    assert token.status_code == 200, token.text
    assert f"--base-url {root}/metaapi --token any" in served[-2]


def test_it_names_where_the_magic_inputs_are(served: list[str]) -> None:
    text = "\n".join(served)
    assert "Magic inputs make it fail on purpose" in text
    readme = Path(next(line.strip() for line in served if line.strip().endswith("README.md")))
    assert readme.is_file()
    content = readme.read_text()
    assert "## Magic inputs" in content and "## Fault modes" in content
    assert "`password`, `login` or `server` equal to `E_AUTH`" in content
    assert "docs/sandbox.md" in text
    page = (ROOT / "docs" / "sandbox.md").read_text()
    assert '--8<-- "src/brokerlink/sandbox/README.md"' in page  # the page is that README


def test_the_readme_ships_in_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"brokerlink.sandbox" = ["README.md"]' in pyproject


def test_configured_credentials_are_not_called_free() -> None:
    options = SandboxOptions.from_kwargs({"metaapi_tokens": ["t"], "b2core_clients": {"a": "b"}})
    text = banner("http://h:1", options)
    assert "(except MetaApi, B2Core: only the configured ones)." in text
    assert "client id and secret." in banner("http://h:1", SandboxOptions())
