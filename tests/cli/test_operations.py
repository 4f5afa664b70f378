"""Every operation of the three specs is a ``brokerlink call`` command: help from the spec's own
texts, and a real request over a socket with parameters and body given on the command line.

The expectations are read from specs/ here, independently of the generated manifest the command
line is built from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import run_cli
from tests.recording_server import RecordingServer
from tests.spec_data import (
    FACADES,
    multipart_model,
    operations,
    request_example,
    resolve,
    success,
    without_nulls,
)

ALL = [(api, op) for api in FACADES for op in operations(api)]
IDS = [f"{a}:{o}" for a, o in ALL]
TOKEN = {"access_token": "tok-placeholder", "token_type": "Bearer", "expires_in": 600}
ENV = {
    "metaapi": {"BROKERLINK_METAAPI_TOKEN": "meta-secret"},
    "brokerwork": {
        "BROKERLINK_BROKERWORK_TENANT_ID": "T001117",
        "BROKERLINK_BROKERWORK_TOKEN": "bw",
    },
    "b2core": {"BROKERLINK_B2CORE_CLIENT_ID": "app", "BROKERLINK_B2CORE_CLIENT_SECRET": "s3"},
}


def kebab(operation_id: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", operation_id).lower()


def squeeze(text: str) -> str:
    """Text without any whitespace: help output is wrapped (and split at hyphens) by width."""
    return "".join(text.split())


def parameters(api: str, operation_id: str) -> list[dict[str, Any]]:
    _, _, op = operations(api)[operation_id]
    return [resolve(api, p) for p in op.get("parameters", [])]


def test_the_command_list_is_the_spec_operation_list() -> None:
    for api in FACADES:
        listed = run_cli(["call", api, "--help"])
        assert listed.code == 0
        commands = listed.stdout.split("Commands:")[1]
        names = {ln.split()[0] for ln in commands.splitlines() if re.match(r"  \S", ln)}
        assert names == {kebab(op) for op in operations(api)}


@pytest.mark.parametrize(("api", "operation_id"), ALL, ids=IDS)
def test_every_operation_has_help_from_its_spec(api: str, operation_id: str) -> None:
    method, path, op = operations(api)[operation_id]
    result = run_cli(["call", api, kebab(operation_id), "--help"])
    assert result.code == 0, result.stderr
    text = squeeze(result.stdout)
    assert squeeze(op["summary"]) in text
    assert squeeze(op["description"])[:60] in text
    assert squeeze(f"{method} {path}") in text
    page_header = op.get("x-brokerlink-page-form", {}).get("header")
    for param in parameters(api, operation_id):
        if param["name"] == page_header:  # the plain form's method does not take it
            continue
        assert f"\n  {param['name']} " in result.stdout or f"\n  {param['name']}\n" in (
            result.stdout
        ), param["name"]
        if param.get("required") and not param.get("x-brokerlink-autogenerate"):
            usage = squeeze(result.stdout.split("\n\n")[0])
            assert squeeze(f"--param {param['name']}=VALUE") in usage
    body = resolve(api, op.get("requestBody"))
    if body:
        schema = resolve(api, next(iter(body["content"].values()))["schema"])
        for field in schema.get("properties", {}):
            assert f"\n  {field} " in result.stdout or f"\n  {field}\n" in result.stdout, field


@pytest.mark.parametrize(("api", "operation_id"), ALL, ids=IDS)
def test_every_operation_reaches_its_path(
    server: RecordingServer, tmp_path: Path, api: str, operation_id: str
) -> None:
    http_method, path, _ = operations(api)[operation_id]
    args = ["call", api, kebab(operation_id), "--base-url", f"{server.url}/{api}", "-o", "compact"]
    expected_path = path
    for param in parameters(api, operation_id):
        name = param["name"]
        if param["in"] == "path":
            args += ["--param", f"{name}=id-{name}"]
            expected_path = expected_path.replace("{" + name + "}", f"id-{name}")
        elif param.get("required") and not param.get("x-brokerlink-autogenerate"):
            args += ["--param", f"{name}=1"]
    example = request_example(api, operation_id)
    upload_model = multipart_model(api, operation_id)
    if upload_model:
        upload = tmp_path / "servers.dat"
        upload.write_bytes(b"servers-bytes")
        args += ["--form", f"file=@{upload}"]
    elif example is not None:
        body_file = tmp_path / "body.json"
        body_file.write_text(json.dumps(example))
        args += ["--body", f"@{body_file}"]
    status, reply = success(api, operation_id)
    if api == "b2core" and operation_id != "createToken":
        server.reply(200, TOKEN)
    server.reply(status, reply)

    result = run_cli(args, env=ENV[api])

    assert result.code == 0, result.stderr
    sent = server.requests[-1]
    assert (sent.method, sent.path) == (http_method, f"/{api}{expected_path}")
    output = json.loads(result.stdout)
    assert (output is None) == (reply is None)
    if upload_model:
        assert b'name="file"; filename="servers.dat"' in sent.body
        assert b"servers-bytes" in sent.body
    elif example is not None:
        assert sent.json() == without_nulls(example)
    if api == "metaapi":
        assert sent.headers["auth-token"] == "meta-secret"
    elif api == "brokerwork":
        assert (sent.headers["x-api-tenantid"], sent.headers["x-api-token"]) == ("T001117", "bw")
