"""Every operation's request goes over a real socket exactly as the vendor docs show it."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest

import brokerlink
from tests.recording_server import RecordingServer
from tests.spec_data import (
    FACADES,
    multipart_model,
    operations,
    request_example,
    snake,
    success,
    without_nulls,
)

TOKEN = {"access_token": "tok-placeholder", "token_type": "Bearer", "expires_in": 600}
CREDENTIALS = {
    "metaapi": {"token": "meta-secret"},
    "brokerwork": {"tenant_id": "T001117", "token": "bw-secret"},
    "b2core": {"client_id": "app-id", "client_secret": "app-secret"},
}
# Keyword arguments an operation requires besides its path parameters and body.
REQUIRED = {
    ("brokerwork", "getAccountInfo"): {"server_id": "1", "account_id": ["3004273"]},
    ("brokerwork", "listAccounts"): {"server_id": "1"},
    ("brokerwork", "listPositions"): {"server_id": "1", "account_id": ["3004273"]},
    ("brokerwork", "listDeals"): {"server_id": "1", "account_id": ["3004273"]},
    ("brokerwork", "getAccountInfoByUserId"): {"user_ids": ["3"]},
    ("brokerwork", "getUserInfo"): {"user_ids": ["3"]},
    ("brokerwork", "getParentAndLowerUserInfo"): {"user_id": "3"},
    ("brokerwork", "getUserIds"): {"email": "a@example.com"},
    ("brokerwork", "changeBalance"): {"x_api_signature": "sig"},
}


def make(api: str, url: str, asynchronous: bool, **options: Any) -> Any:
    name = ("Async" if asynchronous else "") + FACADES[api]
    return getattr(brokerlink, name)(base_url=f"{url}/{api}", **CREDENTIALS[api], **options)


def invoke(client: Any, method: str, *args: Any, asynchronous: bool, **kwargs: Any) -> Any:
    async def run() -> Any:
        async with client:
            return await getattr(client, method)(*args, **kwargs)

    if asynchronous:
        return asyncio.run(run())
    with client:
        return getattr(client, method)(*args, **kwargs)


def expect_auth(api: str, server: RecordingServer) -> None:
    sent = server.requests[-1]
    if api == "metaapi":
        assert sent.headers["auth-token"] == "meta-secret"
    elif api == "brokerwork":
        assert sent.headers["x-api-tenantid"] == "T001117"
        assert sent.headers["x-api-token"] == "bw-secret"
    else:
        token_request = server.requests[0]
        assert (token_request.method, token_request.path) == ("POST", "/b2core/tokens")
        assert token_request.json() == {"grant_type": "client_credentials"}
        assert token_request.headers["authorization"].startswith("Basic ")
        assert sent.headers["authorization"] == "Bearer tok-placeholder"


ALL = [(api, op) for api in FACADES for op in operations(api)]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("api", "operation_id"), ALL, ids=[f"{a}:{o}" for a, o in ALL])
def test_every_operation_reaches_its_path(
    server: RecordingServer, api: str, operation_id: str, asynchronous: bool
) -> None:
    http_method, path, _ = operations(api)[operation_id]
    client = make(api, server.url, asynchronous)
    method = snake(operation_id)
    signature = inspect.signature(getattr(client, method))
    args = [
        f"id-{name}"
        for name, p in signature.parameters.items()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    kwargs: dict[str, Any] = dict(REQUIRED.get((api, operation_id), {}))
    for name, p in signature.parameters.items():
        required = p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        if required and name not in kwargs and name != "body":
            kwargs[name] = (
                ["1"]
                if "list" in str(p.annotation)
                else (1 if str(p.annotation).startswith("int") else "1")
            )
    upload_model = multipart_model(api, operation_id)
    if "body" in signature.parameters:
        if upload_model:
            import io

            from brokerlink.generated.metaapi import models
            from brokerlink.generated.metaapi.types import File

            upload = File(payload=io.BytesIO(b"servers-bytes"), file_name="servers.dat")
            kwargs["body"] = getattr(models, upload_model)(file=upload)
        else:
            kwargs["body"] = request_example(api, operation_id)
    status, reply = success(api, operation_id)
    if api == "b2core" and operation_id != "createToken":
        server.reply(200, TOKEN)
    server.reply(status, reply)

    result = invoke(client, method, *args, asynchronous=asynchronous, **kwargs)

    sent = server.requests[-1]
    expected_path = path
    for name, value in zip([n for n in path.split("{")[1:]], args, strict=False):
        expected_path = expected_path.replace("{" + name.split("}")[0] + "}", value)
    assert (sent.method, sent.path) == (http_method, f"/{api}{expected_path}")
    if operation_id != "createToken":
        expect_auth(api, server)
    returns_nothing = inspect.signature(getattr(client, method)).return_annotation == "None"
    if reply is None or returns_nothing:
        assert result is None
    else:
        assert result is not None
    if upload_model:
        assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert b'name="file"; filename="servers.dat"' in sent.body
        assert b"servers-bytes" in sent.body
    elif kwargs.get("body") is not None:
        assert sent.json() == without_nulls(kwargs["body"])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_metaapi_redeploy_as_documented(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(204)
    client = make("metaapi", server.url, asynchronous)
    assert (
        invoke(
            client,
            "redeploy_account",
            "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9",
            asynchronous=asynchronous,
        )
        is None
    )
    sent = server.requests[-1]
    assert sent.method == "POST"
    assert (
        sent.path == "/metaapi/users/current/accounts/1eda642a-a9a3-457c-99af-3bc5e8d5c4c9/redeploy"
    )
    assert sent.query == "executeForAllReplicas=true"
    assert sent.headers["auth-token"] == "meta-secret"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_metaapi_execute_for_all_replicas_false(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(204)
    client = make("metaapi", server.url, asynchronous)
    invoke(
        client, "deploy_account", "acc-1", execute_for_all_replicas=False, asynchronous=asynchronous
    )
    assert server.requests[-1].query == "executeForAllReplicas=false"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("given", "query"),
    [
        ({}, "executeForAllReplicas=false"),
        ({"execute_for_all_replicas": True}, "executeForAllReplicas=true"),
    ],
)
def test_metaapi_delete_account_replicas_only_when_asked(
    server: RecordingServer, asynchronous: bool, given: dict[str, bool], query: str
) -> None:
    server.reply(204)
    client = make("metaapi", server.url, asynchronous)
    invoke(client, "delete_account", "acc-1", asynchronous=asynchronous, **given)
    assert (server.requests[-1].method, server.requests[-1].query) == ("DELETE", query)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_metaapi_replica_create_as_documented(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(201, {"id": "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9", "state": "DEPLOYED"})
    client = make("metaapi", server.url, asynchronous)
    created = invoke(
        client,
        "create_account_replica",
        "861ceafd-a58e-2fb9-a9bb-c9dd449f3bb4",
        body={"magic": 123456, "region": "london"},
        transaction_id="transactionId",
        asynchronous=asynchronous,
    )
    sent = server.requests[-1]
    assert (
        sent.path == "/metaapi/users/current/accounts/861ceafd-a58e-2fb9-a9bb-c9dd449f3bb4/replicas"
    )
    assert sent.headers["transaction-id"] == "transactionId"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"magic": 123456, "region": "london"}
    assert created.id == "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
    assert created.state == "DEPLOYED"


def test_transaction_id_made_when_absent(server: RecordingServer) -> None:
    for _ in range(2):
        server.reply(201, {"id": "r1", "state": "DEPLOYED"})
    client = make("metaapi", server.url, False)
    with client:
        client.create_account_replica("a1", body={"magic": 1, "region": "london"})
        client.create_account_replica("a1", body={"magic": 1, "region": "london"})
    ids = [r.headers["transaction-id"] for r in server.requests[-2:]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert ids[0] != ids[1]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_brokerwork_account_info_as_documented(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, {"data": [], "mcode": "m0000000", "result": True})
    client = make("brokerwork", server.url, asynchronous)
    invoke(
        client,
        "get_account_info",
        server_id="1",
        account_id=["3004273", "3004272"],
        asynchronous=asynchronous,
    )
    sent = server.requests[-1]
    assert sent.method == "GET"
    assert sent.path == "/brokerwork/v1/api/account/info"
    assert sent.query == "serverId=1&accountId=3004273,3004272"
    assert sent.headers["x-api-tenantid"] == "T001117"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_b2core_list_with_filters_as_documented(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(200, TOKEN)
    server.reply(200, [])
    client = make("b2core", server.url, asynchronous)
    from datetime import UTC, datetime

    invoke(
        client,
        "list_accounts",
        limit=10,
        offset=0,
        sort_by="createTime",
        sort_order="desc",
        filter_={
            "archived": False,
            "currency": "BTC",
            "number": "12345",
            "enabled": True,
            "platformGroupName": "B2BUSD",
            "type": 2,
        },
        query={"platform": True, "metrics": True},
        asynchronous=asynchronous,
    )
    sent = server.requests[-1]
    assert sent.path == "/b2core/accounts"
    pairs = sent.query.split("&")
    assert pairs[:4] == ["limit=10", "offset=0", "sort_by=createTime", "sort_order=desc"]
    assert set(pairs[4:]) == {
        "filter[archived]=0",
        "filter[currency]=BTC",
        "filter[number]=12345",
        "filter[enabled]=1",
        "filter[platformGroupName]=B2BUSD",
        "filter[type]=2",
        "query[platform]=1",
        "query[metrics]=1",
    }
    # a typed filter: datetimes go out as ISO 8601 with an offset
    from brokerlink.generated.b2core.models import AccountFilter

    server.reply(200, TOKEN)
    server.reply(200, [])
    invoke(
        make("b2core", server.url, asynchronous),
        "list_accounts",
        filter_=AccountFilter(start_time=datetime(2021, 1, 1, tzinfo=UTC)),
        asynchronous=asynchronous,
    )
    assert server.requests[-1].query == "filter[startTime]=2021-01-01T00:00:00+00:00"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_b2core_update_and_get_as_documented(server: RecordingServer, asynchronous: bool) -> None:
    account = {"accountId": "60ba407d15951453e60e49f8", "balance": "3.000000000000000000"}
    server.reply(200, TOKEN)
    server.reply(200, account)
    client = make("b2core", server.url, asynchronous)
    invoke(
        client,
        "update_account",
        "60ba407d15951453e60e49f8",
        body={"enabled": "false", "number": "12345"},
        asynchronous=asynchronous,
    )
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("PUT", "/b2core/accounts/60ba407d15951453e60e49f8")
    assert json.loads(sent.body) == {"enabled": "false", "number": "12345"}

    server.reply(200, TOKEN)
    server.reply(200, account)
    client = make("b2core", server.url, asynchronous)
    got = invoke(
        client,
        "get_account",
        "60ba407d15951453e60e49f8",
        query={"platform": True, "metrics": True, "profile": True, "contacts": True},
        asynchronous=asynchronous,
    )
    assert set(server.requests[-1].query.split("&")) == {
        "query[platform]=1",
        "query[metrics]=1",
        "query[profile]=1",
        "query[contacts]=1",
    }
    from decimal import Decimal

    assert got.balance == Decimal("3.000000000000000000")


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_metaapi_list_methods_have_one_form_whatever_the_server_sends(
    server: RecordingServer, asynchronous: bool
) -> None:
    account = {"_id": "a1", "name": "n"}
    server.reply(200, {"count": 7, "items": [account]})  # a page although no api-version was sent
    listed = invoke(
        make("metaapi", server.url, asynchronous), "list_accounts", asynchronous=asynchronous
    )
    assert [a.id for a in listed] == ["a1"]
    assert "api-version" not in server.requests[-1].headers
    server.reply(200, [account, {"_id": "a2"}])  # a bare array although api-version 2 was sent
    page = invoke(
        make("metaapi", server.url, asynchronous), "list_accounts_page", asynchronous=asynchronous
    )
    assert server.requests[-1].headers["api-version"] == "2"
    assert (page.count, [a.id for a in page.items]) == (2, ["a1", "a2"])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_enum_value_newer_than_the_spec_is_still_sent(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(200, [])
    client = make("metaapi", server.url, asynchronous)
    states: Any = ["DEPLOYED", "HIBERNATED"]  # a value the vendor added after our spec
    invoke(client, "list_accounts", state=states, sort_order="asc", asynchronous=asynchronous)
    assert server.requests[-1].query == "state=DEPLOYED&state=HIBERNATED&sortOrder=asc"
