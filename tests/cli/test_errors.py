"""Typed errors leave ``brokerlink call`` as one line on stderr and an exit code per family.

Each family is produced for real: sandbox magic inputs and faults, a strict sandbox that rejects
credentials, a closed port. Nothing prints a traceback or a credential.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.cli.exit_codes import FAMILIES, exit_code, one_line
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.testing import SandboxServer
from tests.cli.conftest import Run, run_cli

NO_RETRY = ("--max-retries", "0")


def assert_error(result: Run, code: int, error_class: str) -> None:
    assert result.code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{error_class}: "), lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "error_class", "words"),
    [
        (
            ["metaapi", "get-account", "-p", "acountId=x"],
            "InvalidRequest",
            "did you mean 'accountId'",
        ),
        (["metaapi", "get-account"], "InvalidRequest", "needs --param accountId"),
        (["metaapi", "get-account", "-p", "accountId"], "InvalidRequest", "NAME=VALUE"),
        (["metaapi", "create-account"], "InvalidRequest", "needs --body"),
        (["metaapi", "create-account", "--body", "{"], "InvalidRequest", "not valid JSON"),
        (["metaapi", "create-account", "--body", "[1]"], "InvalidRequest", "JSON object"),
        (["metaapi", "create-account", "--body", "{}"], "InvalidRequest", "missing required"),
        (["metaapi", "list-accounts", "-p", "limit=ten"], "InvalidRequest", "integer"),
        (["metaapi", "list-accounts", "-p", "state=RUNNING"], "InvalidRequest", "DEPLOYED"),
        (["metaapi", "list-accounts", "-p", "limit=1", "-p", "limit=2"], "InvalidRequest", "twice"),
        (["b2core", "list-accounts", "-p", "filter.nope=1"], "InvalidRequest", "unknown key"),
        (["b2core", "list-accounts", "-p", "limit.x=1"], "InvalidRequest", "not an object"),
        (["b2core", "list-accounts", "-p", "filter=BTC"], "InvalidRequest", "filter.KEY=VALUE"),
        (["b2core", "list-accounts", "-p", "filter.endTime=yesterday"], "InvalidRequest", "ISO"),
        (
            ["brokerwork", "list-levels", "--base-url", "http://x"],
            "ConfigurationError",
            "tenant_id",
        ),
    ],
)
def test_bad_input_is_refused_before_sending(
    sandbox: SandboxServer, args: list[str], error_class: str, words: str
) -> None:
    target = [] if "--base-url" in args else ["--sandbox"]
    result = run_cli(["call", *args, *target])
    assert_error(result, 2, error_class)
    assert words in result.stderr


def test_magic_inputs_map_to_their_family(call: Any) -> None:
    cases = [
        (call("metaapi", "get-account", "-p", "accountId=missing"), 4, "NotFound"),
        (call("b2core", "get-account", "-p", "accountId=ffffffffffffffffffffffff"), 4, "NotFound"),
        (
            call(
                "metaapi",
                "create-account",
                "--body",
                '{"name": "x", "server": "s", "magic": 0, "login": "1", "password": "E_AUTH", '
                '"platform": "mt5"}',
            ),
            5,
            "InvalidBrokerCredentials",
        ),
        (
            call("brokerwork", "get-account-info", "-p", "serverId=992", "-p", "accountId=1"),
            5,
            "ValidationError",
        ),
        (
            call(
                "b2core",
                "create-account",
                "--body",
                '{"number": "1", "platformId": "nope", "profileId": "nope"}',
            ),
            5,
            "ValidationError",
        ),
        (
            call(
                "brokerwork",
                "get-account-info",
                "-p",
                "serverId=991",
                "-p",
                "accountId=1",
                *NO_RETRY,
            ),
            6,
            "RateLimited",
        ),
        (
            call(
                "brokerwork",
                "get-account-info",
                "-p",
                "serverId=990",
                "-p",
                "accountId=1",
                *NO_RETRY,
            ),
            7,
            "ServiceUnavailable",
        ),
        (
            call("brokerwork", "get-account-info", "-p", "serverId=993", "-p", "accountId=1"),
            3,
            "PermissionDenied",
        ),
    ]
    for result, code, error_class in cases:
        assert_error(result, code, error_class)


def test_a_conflict_is_a_rejection(call: Any) -> None:
    account = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"  # seeded with a replica in london
    result = call(
        "metaapi",
        "create-account-replica",
        "-p",
        f"accountId={account}",
        "--body",
        '{"region": "london", "magic": 0}',
    )
    assert_error(result, 5, "Conflict")


def test_forbidden_token_is_a_permission_error(call: Any, sandbox: SandboxServer) -> None:
    result = run_cli(
        [
            "call",
            "metaapi",
            "list-regions",
            "--base-url",
            sandbox.base_url("metaapi"),
            "--token",
            "forbidden",
        ]
    )
    assert_error(result, 3, "PermissionDenied")


@pytest.mark.parametrize(
    ("mode", "code", "error_class"),
    [
        ("html-502", 7, "ServerError"),
        ("429", 6, "RateLimited"),
        ("malformed-json", 9, "UnexpectedResponse"),
        ("reset", 8, "TransportError"),
    ],
)
def test_server_faults_map_to_their_family(
    call: Any, sandbox: SandboxServer, mode: str, code: int, error_class: str
) -> None:
    sandbox.sandbox.faults.add(FaultRule(mode, api="metaapi"))
    result = call("metaapi", "list-regions", *NO_RETRY)
    assert_error(result, code, error_class)
    if mode == "429":
        assert "[retry after 1 s]" in result.stderr


def test_no_server_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        [
            "call",
            "metaapi",
            "list-regions",
            "--base-url",
            f"http://127.0.0.1:{port}",
            "--token",
            "t",
            *NO_RETRY,
        ]
    )
    assert_error(result, 8, "TransportError")


SECRETS = {
    "metaapi": ["--token", "meta-WRONG-s3cr3t"],
    "brokerwork": ["--tenant-id", "T1", "--token", "bw-WRONG-s3cr3t"],
    "b2core": ["--client-id", "app", "--client-secret", "app-WRONG-s3cr3t"],
}
OPERATION = {"metaapi": "list-regions", "brokerwork": "list-levels", "b2core": "list-accounts"}


@pytest.fixture(scope="module")
def strict() -> Iterator[SandboxServer]:
    """A sandbox that accepts only its own credentials."""
    with SandboxServer(
        metaapi_tokens={"meta-right"},
        brokerwork_tenants={"T1": "bw-right"},
        b2core_clients={"app": "app-right"},
    ) as server:
        yield server


@pytest.mark.parametrize("api", list(SECRETS))
def test_rejected_credentials_exit_3_without_showing_them(strict: SandboxServer, api: str) -> None:
    result = run_cli(
        [
            "call",
            api,
            OPERATION[api],
            "--base-url",
            strict.base_url(api),
            *SECRETS[api],
            *NO_RETRY,
        ]
    )
    assert_error(result, 3, "AuthenticationError")
    assert "s3cr3t" not in result.stdout + result.stderr


@pytest.mark.parametrize("api", list(SECRETS))
def test_right_credentials_from_the_environment_pass(strict: SandboxServer, api: str) -> None:
    env = {
        "metaapi": {"BROKERLINK_METAAPI_TOKEN": "meta-right"},
        "brokerwork": {
            "BROKERLINK_BROKERWORK_TENANT_ID": "T1",
            "BROKERLINK_BROKERWORK_TOKEN": "bw-right",
        },
        "b2core": {
            "BROKERLINK_B2CORE_CLIENT_ID": "app",
            "BROKERLINK_B2CORE_CLIENT_SECRET": "app-right",
        },
    }[api]
    result = run_cli(
        ["call", api, OPERATION[api], "--base-url", strict.base_url(api), *NO_RETRY], env=env
    )
    assert result.code == 0, result.stderr
    assert "right" not in result.stderr


class PollGaveUp(errors.BrokerLinkError):
    """Stands for the local refusals other plugins raise (poll timeout, credential guard)."""


class PluginNotFound(errors.NotFound):
    """An error class a plugin adds through ``brokerlink_error_classes``."""


def api_error(cls: type[errors.ApiError]) -> errors.ApiError:
    return cls("m", vendor="v", operation="op", status=400)


def test_every_family_has_its_own_code() -> None:
    assert exit_code(errors.InvalidRequest("x")) == 2
    assert exit_code(api_error(errors.AuthenticationError)) == 3
    assert exit_code(api_error(errors.PermissionDenied)) == 3
    assert exit_code(api_error(errors.NotFound)) == 4
    assert exit_code(api_error(PluginNotFound)) == 4
    assert exit_code(api_error(errors.ValidationError)) == 5
    assert exit_code(api_error(errors.BrokerServerNotFound)) == 5
    assert exit_code(api_error(errors.Conflict)) == 5
    assert exit_code(api_error(errors.RateLimited)) == 6
    assert exit_code(api_error(errors.ServiceUnavailable)) == 7
    assert exit_code(errors.ApiTimeout("t")) == 8
    assert exit_code(api_error(errors.UnexpectedResponse)) == 9
    assert exit_code(api_error(errors.ApiError)) == 9
    assert exit_code(PollGaveUp("gave up")) == 10
    assert exit_code(RuntimeError("bug")) == 1
    codes = sorted(FAMILIES)
    assert codes == list(range(2, 11))


def test_one_line_messages() -> None:
    limited = errors.RateLimited(
        "slow\ndown",
        vendor="b2core",
        operation="listAccounts",
        status=429,
        retry_after=2.5,
        request_id="req-1",
    )
    assert one_line(limited) == (
        "RateLimited: b2core.listAccounts: HTTP 429: slow down [request id req-1] "
        "[retry after 2.5 s]"
    )
    assert one_line(PollGaveUp("waited 600 s")) == "PollGaveUp: waited 600 s"
    assert one_line(KeyError("k")).startswith("InternalError: KeyError: 'k'")
