"""``brokerlink demo``: every step's line and facts, waits under the test's control, failures as
one typed line with the family's exit code, and nothing left on disk.

The demo starts its own sandbox; the shared ``sandbox`` fixture serves as an independent source
of the seed data the demo prints (read as raw JSON, not through brokerlink).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time
from tests.cli.conftest import Run, run_cli

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STEPS = 8


@pytest.fixture
def cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The user cache directory, empty, and no BROKERLINK_CACHE_URL to fall back on: whatever
    store the demo opened would appear here."""
    path = tmp_path / "user-cache"
    path.mkdir()
    monkeypatch.delenv("BROKERLINK_CACHE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(path))
    return path


def demo(*args: str, env: dict[str, str] | None = None) -> Run:
    """The demo in-process, wide enough that every step and result is one line (the wrapping at
    80 columns has its own test)."""
    return run_cli(["demo", *args], env={"COLUMNS": "1000", **(env or {})})


def steps(stdout: str) -> dict[int, list[str]]:
    """Step number -> [its explanation, then every line up to the next step]."""
    found: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        heading = re.match(rf"\[(\d+)/{STEPS}\] (.+)", line)
        if heading:
            current = found.setdefault(int(heading[1]), [heading[2]])
        elif current is not None:
            current.append(line)
    return found


def b2core_usd_accounts(sandbox: SandboxServer) -> list[dict[str, str]]:
    """The enabled USD accounts straight from the sandbox's wire (money as the JSON strings)."""
    base = sandbox.base_url("b2core")
    with httpx.Client(base_url=base) as http:
        token = http.post(
            "/tokens", auth=("check", "check-secret"), json={"grant_type": "client_credentials"}
        ).json()["access_token"]
        params = {"filter[currency]": "USD", "filter[enabled]": "1", "filter[archived]": "0"}
        answer = http.get("/accounts", params=params, headers={"authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def test_every_step_explains_itself_then_shows_its_result(cache_home: Path) -> None:
    run = demo("--fast")
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    found = steps(run.stdout)
    assert sorted(found) == list(range(1, STEPS + 1))
    for number, (explanation, *results) in found.items():
        assert len(explanation) > 30, number  # a sentence, not a label
        assert any(line.startswith("      ") and line.strip() for line in results), number
    assert list(cache_home.iterdir()) == []  # memory:// guard store: nothing on disk


def test_metaapi_steps(cache_home: Path) -> None:
    found = steps(demo("--fast").stdout)
    create = "\n".join(found[1])
    waits = re.findall(r"createAccount send (\d): 202 Accepted \"[^\"]+\"; waiting 1\.0 s", create)
    assert waits == ["1", "2"]
    created = re.search(rf"account ({UUID}) created after 2 waits \(2\.0 s advised", create)
    assert created is not None
    assert "DEPLOYED, CONNECTED in vint-hill" in create

    rejected = "\n".join(found[2])
    assert "InvalidBrokerCredentials (code E_AUTH): metaapi.createAccount: HTTP 400 E_AUTH" in (
        rejected
    )
    refused = "\n".join(found[3])
    assert "KnownBadCredentials (reason E_AUTH, first rejected as InvalidBrokerCredentials)" in (
        refused
    )
    counts = re.search(r"this call: (\d+) \(count before (\d+), after (\d+)\)", refused)
    assert counts is not None
    assert counts[1] == "0" and counts[2] == counts[3] and int(counts[2]) > 0

    assert f"account {created[1]} redeployed: DEPLOYED, CONNECTED" in "\n".join(found[4])
    replica = re.search(rf"replica ({UUID}) in london: DEPLOYED", "\n".join(found[5]))
    assert replica is not None and replica[1] != created[1]


def test_broker_work_steps(cache_home: Path) -> None:
    found = steps(demo("--fast").stdout)
    info = "\n".join(found[6])
    assert "async client" in found[6][0]
    for server, login in [("1", "3004272"), ("1", "3004273"), ("428", "2109730462")]:
        assert f"server {server} login {login}: " in info
    assert "server 1 login 3004273: USD, leverage 1:300" in info
    failure = "\n".join(found[7])
    assert (
        "ValidationError (mcode BW_INVALID_PARAM): brokerwork.getAccountInfo: "
        "HTTP 200 BW_INVALID_PARAM" in failure
    )


def test_b2core_money_is_printed_to_the_last_digit(
    cache_home: Path, sandbox: SandboxServer
) -> None:
    wire = b2core_usd_accounts(sandbox)
    assert wire and all(len(a["balance"].split(".")[1]) == 18 for a in wire)
    table = "\n".join(steps(demo("--fast").stdout)[8])
    rows = {
        cells[0]: cells[1:]
        for line in table.splitlines()
        if len(cells := [c.strip() for c in re.split(r"[│┃|]", line)[1:-1]]) == 4
    }
    for account in wire:
        expected = [account["currency"], account["balance"], account["equity"]]
        assert rows[account["number"]] == expected
    assert len([n for n in rows if n != "number"]) == len(wire)
    total = sum((Decimal(a["balance"]) for a in wire), Decimal(0))
    assert f"{len(wire)} accounts, total balance {total:f} (Decimal sum)" in table


def test_by_default_the_advised_seconds_are_waited(cache_home: Path) -> None:
    with virtual_time() as clock:  # the real waits, without the test sleeping
        run = demo()
    assert run.code == 0, run.stderr
    assert clock.waits == [1.0, 1.0]  # type: ignore[attr-defined]
    assert re.search(r"created after 2 waits \(2\.0 s advised, call took \d+\.\d s\)", run.stdout)
    assert "2.0 s of waits)" in run.stdout


def test_fast_skips_the_waits(cache_home: Path) -> None:
    with virtual_time() as clock:
        run = demo("--fast")
    assert run.code == 0, run.stderr
    assert clock.waits == []  # type: ignore[attr-defined]
    assert "(2.0 s advised, skipped with --fast)" in run.stdout
    assert "2.0 s of waits skipped by --fast" in run.stdout


def test_a_terminal_gets_a_spinner_and_the_same_lines(cache_home: Path) -> None:
    run = demo("--fast", env={"TTY_COMPATIBLE": "1"})
    assert run.code == 0, run.stderr
    assert ANSI.search(run.stdout)  # colours and the spinner's cursor control
    plain = ANSI.sub("", run.stdout)
    assert sorted(steps(plain)) == list(range(1, STEPS + 1))
    assert "waiting 1.0 s before send 2" in plain  # the spinner's text


@pytest.mark.parametrize(
    ("fault", "code", "line", "last_step"),
    [
        ("b2core:html-503", 7, "ServiceUnavailable: b2core.createToken: HTTP 503", 8),
        ("brokerwork:malformed-json", 9, "UnexpectedResponse: brokerwork.getAccountInfo", 6),
        ("metaapi:html-500", 7, "ServerError: metaapi.createAccount: HTTP 500", 1),
    ],
)
def test_an_unexpected_failure_is_one_typed_line_and_its_exit_code(
    cache_home: Path, fault: str, code: int, line: str, last_step: int
) -> None:
    run = demo("--fast", "--fault", fault)
    assert run.code == code
    assert run.stderr.startswith(line)
    assert run.stderr.count("\n") == 1
    assert max(steps(run.stdout)) == last_step
    assert "Done:" not in run.stdout


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("x:y", "Invalid value for '--fault': expected API:MODE"),
        ("b2core", "Invalid value for '--fault': expected API:MODE"),
        ("b2core:nope", "InvalidRequest: --fault: unknown fault mode 'nope' (known: html-5xx"),
    ],
)
def test_a_bad_fault_option_is_refused(cache_home: Path, fault: str, message: str) -> None:
    run = demo("--fault", fault)
    assert run.code == 2
    assert message in run.stderr
    assert "[1/" not in run.stdout


def _environment(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("FORCE_COLOR", None)
    env.pop("TTY_COMPATIBLE", None)
    return env


def test_the_console_script_in_a_real_process(cache_home: Path) -> None:
    script = Path(sys.executable).with_name("brokerlink")
    if not script.exists():
        pytest.skip("the brokerlink console script is not installed next to this Python")
    result = subprocess.run(
        [str(script), "demo", "--fast"],
        capture_output=True,
        text=True,
        env=_environment(cache_home),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    found = steps(result.stdout)
    assert sorted(found) == list(range(1, STEPS + 1))
    assert "KnownBadCredentials" in "\n".join(found[3])
    assert "1000000.123456789012345678" in "\n".join(found[8])
    assert re.search(r"Done: 8 steps in \d+\.\d s", result.stdout)
    assert list(cache_home.iterdir()) == []


def test_python_m_brokerlink_is_the_command(cache_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "brokerlink", "demo", "--help"],
        capture_output=True,
        text=True,
        env=_environment(cache_home),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--fast" in result.stdout and "Usage: brokerlink demo" in result.stdout


def _words(stdout: str) -> list[str]:
    """The words printed, with what differs between two runs (ids, port, time) made equal and
    the terminal's transient spinner line left out."""
    text = ANSI.sub("", stdout).replace("\r", "\n")
    text = re.sub(UUID, "UUID", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "HOST", text)
    text = re.sub(r"Done: 8 steps in \d+\.\d s", "Done: 8 steps in T s", text)
    lines = [line for line in text.split("\n") if not re.search(r"waiting .* before send", line)]
    return " ".join(lines).split()


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_at_80_columns_lines_break_between_words(cache_home: Path, terminal: bool) -> None:
    """``COLUMNS=80 python -m brokerlink demo``: no line is longer than 80 columns (a terminal
    would fold it, mid-word) and no word is split: the words are those of an unwrapped run."""
    command = [sys.executable, "-m", "brokerlink", "demo", "--fast"]
    outputs = {}
    for columns in ("80", "1000"):
        env = _environment(cache_home) | {"COLUMNS": columns}
        if terminal:
            env["TTY_COMPATIBLE"] = "1"  # rich writes as to a terminal (colours, spinner)
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        outputs[columns] = result.stdout
    narrow = ANSI.sub("", outputs["80"]).replace("\r", "\n").splitlines()
    assert max(len(line) for line in narrow) <= 80
    assert len(narrow) > len(ANSI.sub("", outputs["1000"]).splitlines())  # it did wrap
    assert _words(outputs["80"]) == _words(outputs["1000"])
    assert "[3/8] The same request again: the credential guard (memory:// store, nothing on" in (
        narrow
    )
