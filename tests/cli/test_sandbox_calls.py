"""Real calls through ``brokerlink call`` against the sandbox: bodies from files and stdin,
list and deepObject parameters, exact decimals, table output, and ``--sandbox`` itself."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokerlink.sandbox.testing import SandboxServer
from tests.cli.conftest import run_cli

NEW_ACCOUNT = {
    "name": "cli account",
    "server": "ICMarketsSC-Demo",
    "platform": "mt5",
    "login": "5551234",
    "password": "trading-pass",
    "magic": 0,
}


def test_metaapi_create_deploy_redeploy_and_replica(call: Any, tmp_path: Path) -> None:
    body = tmp_path / "account.json"
    body.write_text(json.dumps(NEW_ACCOUNT))
    created = call("metaapi", "create-account", "--body", f"@{body}").json()
    account_id = created["id"]

    fetched = call("metaapi", "get-account", "-p", f"accountId={account_id}").json()
    assert (fetched["_id"], fetched["name"], fetched["login"]) == (
        account_id,
        "cli account",
        "5551234",
    )

    undeployed = call("metaapi", "undeploy-account", "--param", f"accountId={account_id}")
    assert (undeployed.code, undeployed.stdout.strip()) == (0, "null")
    state = call("metaapi", "get-account", "-p", f"account_id={account_id}").json()["state"]
    assert state == "UNDEPLOYED"
    assert call("metaapi", "deploy-account", "-p", f"accountId={account_id}").code == 0
    redeploy = call(
        "metaapi",
        "redeploy-account",
        "-p",
        f"accountId={account_id}",
        "-p",
        "executeForAllReplicas=false",
    )
    assert redeploy.code == 0
    assert call("metaapi", "get-account", "-p", f"accountId={account_id}").json()["state"] == (
        "DEPLOYED"
    )

    replica = call(
        "metaapi",
        "create-account-replica",
        "-p",
        f"accountId={account_id}",
        "--body",
        "-",
        input=json.dumps({"region": "london", "magic": 0}),
    ).json()
    replicas = call("metaapi", "list-account-replicas", "-p", f"accountId={account_id}").json()
    assert [(r["_id"], r["region"]) for r in replicas] == [(replica["id"], "london")]


def test_metaapi_list_filters_are_typed_lists(call: Any) -> None:
    listed = call(
        "metaapi",
        "list-accounts",
        "-p",
        "state=DEPLOYED,UNDEPLOYED",
        "-p",
        "version=5",
        "-p",
        "limit=10",
    ).json()
    assert {a["state"] for a in listed} <= {"DEPLOYED", "UNDEPLOYED"}
    assert {a["version"] for a in listed} == {5}
    assert "861ceafd-a58e-2fb9-a9bb-c9dd449f3bb4" in {a["_id"] for a in listed}


def test_metaapi_upload_from_a_file_and_from_stdin(call: Any, tmp_path: Path) -> None:
    profile_id = call(
        "metaapi",
        "create-provisioning-profile",
        "--body",
        json.dumps(
            {
                "name": "cli profile",
                "version": 5,
                "brokerTimezone": "EET",
                "brokerDSTSwitchTimezone": "EET",
            }
        ),
    ).json()["id"]
    assert (
        call(
            "metaapi", "get-provisioning-profile", "-p", f"provisioningProfileId={profile_id}"
        ).json()["status"]
        == "new"
    )
    servers = tmp_path / "servers.dat"
    servers.write_bytes(b"\x00binary servers file\xff")
    uploaded = call(
        "metaapi",
        "upload-provisioning-profile-file",
        "-p",
        f"provisioningProfileId={profile_id}",
        "-p",
        "fileName=servers.dat",
        "--form",
        f"file=@{servers}",
    )
    assert uploaded.code == 0, uploaded.stderr
    assert (
        call(
            "metaapi", "get-provisioning-profile", "-p", f"provisioningProfileId={profile_id}"
        ).json()["status"]
        == "active"
    )
    from_stdin = call(
        "metaapi",
        "upload-provisioning-profile-file",
        "-p",
        f"provisioningProfileId={profile_id}",
        "-p",
        "fileName=broker.srv",
        "--form",
        "file=@-",
        input=b"srv bytes",
    )
    assert from_stdin.code == 0, from_stdin.stderr


def test_brokerwork_account_info_balance_and_mcode(call: Any) -> None:
    info = call(
        "brokerwork",
        "get-account-info",
        "-p",
        "serverId=1",
        "-p",
        "accountId=3004272",
        "-p",
        "accountId=3004273",
    ).json()
    assert info["mcode"] == "m0000000"
    assert sorted(a["login"] for a in info["data"]) == ["3004272", "3004273"]

    changed = call(
        "brokerwork",
        "change-balance",
        "-p",
        "x-api-signature=T001117,serverId=428",
        "--body",
        '{"serverId": "428", "accountId": 2109730462, "amount": 5.25, "type": "DEPOSITE"}',
    ).json()
    assert (changed["result"], changed["mcode"]) == (True, "m0000000")


def test_b2core_filters_as_dots_brackets_or_json_and_exact_decimals(call: Any) -> None:
    dotted = call(
        "b2core",
        "list-accounts",
        "-p",
        "filter.currency=USD",
        "-p",
        "filter.enabled=true",
        "-p",
        "sort_by=number",
        "-p",
        "sort_order=asc",
    ).json()
    bracketed = call(
        "b2core",
        "list-accounts",
        "-p",
        "filter[currency]=USD",
        "-p",
        "filter[enabled]=1",
        "-p",
        "sort_by=number",
        "-p",
        "sort_order=asc",
    ).json()
    as_json = call(
        "b2core",
        "list-accounts",
        "-p",
        'filter={"currency": "USD", "enabled": true}',
        "-p",
        "sort_by=number",
        "-p",
        "sort_order=asc",
    ).json()
    assert dotted == bracketed == as_json
    assert [a["number"] for a in dotted] == ["12346", "12349", "50001"]
    assert {a["currency"] for a in dotted} == {"USD"}
    exact = next(a for a in dotted if a["number"] == "12349")
    assert exact["balance"] == "1000000.123456789012345678"
    assert Decimal(exact["balance"]) == Decimal("1000000.123456789012345678")

    with_metrics = call(
        "b2core", "get-account", "-p", f"accountId={exact['accountId']}", "-p", "query.metrics=true"
    ).json()
    assert with_metrics["accountId"] == exact["accountId"]
    assert "metrics" in with_metrics


def test_b2core_create_patch_delete(call: Any, tmp_path: Path) -> None:
    body = tmp_path / "new.json"
    body.write_text(
        json.dumps(
            {
                "number": "77001",
                "platformId": "6006dda272f002519c3eb505",
                "profileId": "6006dda272f002519c3eb520",
            }
        )
    )
    created = call("b2core", "create-account", "--body", f"@{body}").json()
    patched = call(
        "b2core",
        "patch-account",
        "-p",
        f"accountId={created['accountId']}",
        "--body",
        '{"enabled": false}',
    ).json()
    assert (patched["number"], patched["enabled"]) == ("77001", False)
    assert call("b2core", "delete-account", "-p", f"accountId={created['accountId']}").code == 0
    assert call("b2core", "get-account", "-p", f"accountId={created['accountId']}").code == 4


def test_compact_and_table_output(call: Any) -> None:
    compact = call("metaapi", "list-regions", "-o", "compact")
    assert compact.stdout.count("\n") == 1
    assert json.loads(compact.stdout) == ["vint-hill", "new-york", "london", "singapore"]
    table = call(
        "brokerwork",
        "get-account-info",
        "-p",
        "serverId=1",
        "-p",
        "accountId=3004272,3004273",
        "-o",
        "table",
    )
    assert table.code == 0
    lines = table.stdout.splitlines()
    header = next(line for line in lines if "login" in line)
    assert "currency" in header and "leverage" in header
    assert any("3004272" in line and "EUR" in line for line in lines)
    assert any("3004273" in line and "USD" in line for line in lines)


def test_a_single_object_as_a_table_of_fields(call: Any) -> None:
    table = call(
        "metaapi",
        "get-account",
        "-p",
        "accountId=1eda642a-a9a3-457c-99af-3bc5e8d5c4c9",
        "-o",
        "table",
    )
    assert table.code == 0, table.stderr
    rows = [line for line in table.stdout.splitlines() if "│" in line]
    assert any("_id" in row and "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9" in row for row in rows)
    assert any("state" in row and "DEPLOYED" in row for row in rows)


def test_the_sandbox_option_starts_its_own_server() -> None:
    regions = run_cli(["call", "metaapi", "list-regions", "--sandbox"])
    assert regions.json() == ["vint-hill", "new-york", "london", "singapore"]
    levels = run_cli(["call", "brokerwork", "list-levels", "--sandbox"]).json()
    assert levels["mcode"] == "m0000000" and levels["data"]
    accounts = run_cli(["call", "b2core", "list-accounts", "--sandbox", "-p", "limit=2"]).json()
    assert len(accounts) == 2


def test_the_sandbox_starts_fresh_every_time(sandbox: SandboxServer) -> None:
    body = json.dumps(NEW_ACCOUNT)
    first = run_cli(["call", "metaapi", "create-account", "--sandbox", "--body", body]).json()
    listed = run_cli(["call", "metaapi", "list-accounts", "--sandbox"]).json()
    assert first["id"] not in {a["_id"] for a in listed}
