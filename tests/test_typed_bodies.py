"""Request bodies given as mappings are checked before anything is sent: a field the spec does
not know (at any depth) or a value of the wrong type is ``InvalidRequest`` naming the field;
``extra_body=`` sends a vendor's newer fields on purpose. (The TypedDicts that let a type
checker catch the same mistakes are checked in tests/test_typed_usage.py.)"""

from __future__ import annotations

import pytest

from brokerlink import errors
from tests.recording_server import RecordingServer
from tests.test_requests import invoke, make

ACCOUNT = {"name": "Alice", "server": "ICMarketsSC-Demo", "magic": 0, "platform": "mt5"}
MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


@MODES
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**ACCOUNT, "regoin": "london"}, r"body\.regoin: not a field of NewMetatraderAccount"),
        ({**ACCOUNT, "magic": "zero"}, r"body: .*magic.*int"),
        ({"name": "Alice"}, r"missing required field 'server'"),
    ],
    ids=["typo", "wrong-type", "missing"],
)
def test_a_bad_mapping_is_refused_unsent(
    server: RecordingServer, asynchronous: bool, body: dict[str, object], message: str
) -> None:
    client = make("metaapi", server.url, asynchronous)
    with pytest.raises(errors.InvalidRequest, match=message):
        invoke(client, "create_account", body=body, asynchronous=asynchronous)
    assert server.requests == []


@MODES
def test_a_misspelt_nested_field_is_named_by_its_path(
    server: RecordingServer, asynchronous: bool
) -> None:
    client = make("metaapi", server.url, asynchronous)
    body = {"copyFactoryApi": {"copyFactoryRoles": ["PROVIDER"], "slots": 2}}
    with pytest.raises(errors.InvalidRequest, match=r"body\.copy_factory_api\.slots"):
        invoke(client, "enable_account_features", "acc-1", body=body, asynchronous=asynchronous)
    assert server.requests == []


@MODES
def test_extra_body_sends_fields_newer_than_the_spec(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(201, {"id": "acc-1", "state": "DEPLOYED"})
    client = make("metaapi", server.url, asynchronous)
    invoke(
        client,
        "create_account",
        body=ACCOUNT,
        extra_body={"keywords": ["Raw Trading Ltd"]},
        asynchronous=asynchronous,
    )
    assert server.requests[-1].json() == {**ACCOUNT, "keywords": ["Raw Trading Ltd"]}


@MODES
def test_free_form_objects_take_any_key(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(204)
    client = make("metaapi", server.url, asynchronous)
    body = {"name": "n", "server": "s", "metadata": {"anything": {"goes": 1}}}
    invoke(client, "update_account", "acc-1", body=body, asynchronous=asynchronous)
    assert server.requests[-1].json()["metadata"] == {"anything": {"goes": 1}}
