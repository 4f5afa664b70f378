"""What an error line says: the request (method, URL, no secret), the server's field errors, an
HTML page's title, the status once, and hints in the command line's syntax. Also ``--no-guard``,
``-v``, Ctrl-C during a poll, JSON as sent and table columns, all through the real command.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from brokerlink.cli.output import as_sent, dump_json
from brokerlink.cli.report import safe_url
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.testing import SandboxServer
from tests.cli.conftest import Run, run_cli

NO_RETRY = ("--max-retries", "0")
ACCOUNT = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
BAD_PASSWORD = json.dumps(
    {
        "name": "x",
        "server": "ICMarketsSC-Demo",
        "magic": 0,
        "login": "42",
        "password": "E_AUTH",
        "platform": "mt5",
    }
)


def error_line(result: Run, code: int) -> str:
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_wrong_base_url_names_the_request(sandbox: SandboxServer) -> None:
    base = sandbox.url + "/wrong"
    result = run_cli(["call", "metaapi", "list-accounts", "--base-url", base, "--token", "t"])
    line = error_line(result, 4)
    assert line == (
        f"NotFound: metaapi.listAccounts: GET {base}/users/current/accounts: HTTP 404: Not Found"
    )


def test_connection_refused_names_the_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    result = run_cli(
        ["call", "metaapi", "list-regions", "--base-url", base, "--token", "t", *NO_RETRY]
    )
    line = error_line(result, 8)
    assert line.startswith(
        f"TransportError: metaapi.listRegions: GET {base}/users/current/regions: "
    ), line
    assert "refused" in line.lower()


def test_user_info_in_the_base_url_is_not_shown() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://me:s3cr3t@127.0.0.1:{port}"
    result = run_cli(
        ["call", "metaapi", "list-regions", "--base-url", base, "--token", "tok3n", *NO_RETRY]
    )
    line = error_line(result, 8)
    assert f"GET http://127.0.0.1:{port}/users/current/regions" in line
    assert "s3cr3t" not in line and "tok3n" not in line


def test_safe_url_hides_credential_query_values() -> None:
    url = "https://me:pw@host/p?token=abc&limit=5&client_secret=x&api_key=k"
    assert (
        safe_url(url)
        == "https://host/p?token=%2A%2A%2A&limit=5&client_secret=%2A%2A%2A&api_key=%2A%2A%2A"
    )


def test_field_errors_are_shown(call: Any) -> None:
    body = json.loads(BAD_PASSWORD) | {"platform": "mt9", "password": "p4ss"}
    result = call("metaapi", "create-account", "--body", json.dumps(body))
    line = error_line(result, 5)
    assert line.startswith("ValidationError: metaapi.createAccount: POST http://127.0.0.1:")
    assert "/metaapi/users/current/accounts: HTTP 400: Validation failed (platform='mt9': " in line
    assert "p4ss" not in line


def test_b2core_field_errors_and_status_said_once(call: Any) -> None:
    body = {"number": "1", "platformId": "nope", "profileId": "nope"}
    line = error_line(call("b2core", "create-account", "--body", json.dumps(body)), 5)
    assert "HTTP 422: " in line and "(platformId: " in line
    missing = call("b2core", "get-account", "-p", "accountId=ffffffffffffffffffffffff")
    line = error_line(missing, 4)
    assert "HTTP 404: Account ffffffffffffffffffffffff not found" in line
    assert "404 404" not in line
    assert "GET http://127.0.0.1:" in line and "/b2core/accounts/ffffffffffffffffffffffff" in line


def test_an_html_page_is_reduced_to_its_title(call: Any, sandbox: SandboxServer) -> None:
    sandbox.sandbox.faults.add(FaultRule("html-502", api="metaapi"))
    line = error_line(call("metaapi", "list-regions", *NO_RETRY), 7)
    assert line.endswith("/metaapi/users/current/regions: HTTP 502: Bad Gateway (HTML page)")
    assert "<" not in line


def test_the_guard_hint_is_the_no_guard_flag(call: Any, tmp_path: Path) -> None:
    store = ("--credential-cache", f"sqlite:///{tmp_path / 'guard.db'}")
    first = call("metaapi", "create-account", "--body", BAD_PASSWORD, *store)
    assert error_line(first, 5).startswith("InvalidBrokerCredentials: ")
    again = error_line(call("metaapi", "create-account", "--body", BAD_PASSWORD, *store), 10)
    assert again.startswith("KnownBadCredentials: ")
    assert "--no-guard sends anyway" in again
    assert "with_options" not in again and "credential_guard" not in again
    sent = call("metaapi", "create-account", "--body", BAD_PASSWORD, "--no-guard", *store)
    assert error_line(sent, 5).startswith("InvalidBrokerCredentials: ")  # sent, rejected again


def test_the_poll_timeout_hint_is_a_param(call: Any) -> None:
    body = json.loads(BAD_PASSWORD) | {"password": "right"}
    result = call(
        "metaapi",
        "create-account",
        "--body",
        json.dumps(body),
        "-p",
        "transaction-id=accepted20",
        "--poll-timeout",
        "0",
        "-q",
    )
    line = error_line(result, 10)
    assert line.startswith("PollTimeout: ")
    assert "-p transaction-id=accepted20 to resume" in line
    assert "transaction_id" not in line


def test_verbose_logs_to_stderr(call: Any) -> None:
    quiet = call("metaapi", "list-regions")
    assert quiet.stderr == ""
    debug = call("metaapi", "list-regions", "-vv")
    assert debug.code == 0
    assert re.search(
        r"DEBUG brokerlink\.http: metaapi\.listRegions GET \S+ attempt 1", debug.stderr
    )
    assert "meta-token" not in debug.stderr
    info = call("metaapi", "list-regions", "-v")
    assert "DEBUG" not in info.stderr
    assert call("metaapi", "list-regions").stderr == ""  # the handler went with the call


def test_verbose_info_shows_waits(call: Any) -> None:
    body = json.loads(BAD_PASSWORD) | {"password": "right"}
    result = call(
        "metaapi",
        "create-account",
        "--body",
        json.dumps(body),
        "-p",
        "transaction-id=accepted1",
        "-v",
        "-q",
    )
    assert result.code == 0, result.stderr
    assert "INFO brokerlink.wait: metaapi.createAccount accepted: waiting" in result.stderr


@pytest.fixture
def slow_sandbox() -> Iterator[SandboxServer]:
    """Every new MetaApi transaction is answered 202 (Retry-After 1 s) many times."""
    with SandboxServer(accepted_retries=100) as server:
        yield server


def interrupt_during_poll(server: SandboxServer, *extra: str) -> subprocess.CompletedProcess[str]:
    body = json.loads(BAD_PASSWORD) | {"password": "right"}
    command = [
        sys.executable,
        "-m",
        "brokerlink",
        "call",
        "metaapi",
        "create-account",
        "--base-url",
        server.base_url("metaapi"),
        "--token",
        "t",
        "--body",
        json.dumps(body),
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")}
    env["BROKERLINK_CACHE_URL"] = "memory://"
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # the progress line of the first 202: now it waits
    assert "202" in first or "accepted" in first, first
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(command, process.returncode, out, first + err)


def test_ctrl_c_during_a_poll_prints_the_resume_command(slow_sandbox: SandboxServer) -> None:
    done = interrupt_during_poll(slow_sandbox)
    assert done.returncode == 130, done.stderr
    assert done.stdout == ""
    last = done.stderr.splitlines()[-1]
    match = re.search(r"-p transaction-id=([0-9a-f]{32})( |$)", last)
    assert match, last
    assert last.startswith("Interrupted; ")
    assert "brokerlink call metaapi create-account" in last
    assert "right" not in last  # the body (a password) is not repeated
    assert "Traceback" not in done.stderr


def test_ctrl_c_keeps_a_given_transaction_id(slow_sandbox: SandboxServer) -> None:
    done = interrupt_during_poll(slow_sandbox, "-p", "transaction-id=abc123")
    assert done.returncode == 130, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.count("transaction-id") == 1
    assert "-p transaction-id=abc123" in last


def test_json_is_what_the_server_sent(call: Any, sandbox: SandboxServer) -> None:
    result = call("metaapi", "get-account", "-p", f"accountId={ACCOUNT}")
    raw = httpx.get(
        f"{sandbox.base_url('metaapi')}/users/current/accounts/{ACCOUNT}",
        headers={"auth-token": "meta-token"},
    ).json(object_pairs_hook=list)
    printed = json.loads(result.stdout, object_pairs_hook=list)
    assert printed == raw  # same keys, order and values, timestamps included
    created = json.loads(result.stdout)["createdAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created), created
    compact = call("metaapi", "get-account", "-p", f"accountId={ACCOUNT}", "-o", "compact")
    assert json.loads(compact.stdout) == json.loads(result.stdout)
    assert "\n" not in compact.stdout.strip()


def test_json_numbers_keep_their_digits() -> None:
    sent = b'{"a": 0.1000000000000000000001, "b": [1e400, 12345678901234567890], "c": {}}'
    data = as_sent(object(), sent)
    assert dump_json(data, compact=True) == (
        '{"a":0.1000000000000000000001,"b":[1e400,12345678901234567890],"c":{}}'
    )
    assert json.loads(dump_json(data)) == json.loads(dump_json(data, compact=True))


def table_header(stdout: str) -> list[str]:
    header = next(line for line in stdout.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in header.strip("┃").split("┃")]


def test_table_default_columns_and_columns_option(call: Any) -> None:
    result = call("metaapi", "list-accounts", "-o", "table")
    assert result.code == 0, result.stderr
    assert table_header(result.stdout) == [
        "_id",
        "name",
        "login",
        "server",
        "state",
        "connectionStatus",
    ]  # the sandbox's seed has no platform field
    chosen = call("metaapi", "list-accounts", "-o", "table", "--columns", "name,tags,connections.0")
    assert table_header(chosen.stdout) == ["name", "tags", "connections.0"]
    assert '["main"]' in chosen.stdout


def test_table_nested_values_are_shortened(call: Any) -> None:
    result = call("metaapi", "list-accounts", "-o", "table", "--columns", "_id,accountReplicas")
    assert result.code == 0, result.stderr
    assert "…" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) < 100
