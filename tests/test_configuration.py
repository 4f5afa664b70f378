"""Client settings from the environment, ``default_headers=`` and ``with_options``' keywords,
checked on the wire against a real local server."""

from __future__ import annotations

import base64
import dataclasses
import inspect
from typing import Any

import pytest

import brokerlink
from brokerlink.environment import env_var
from brokerlink.errors import BrokerLinkError, ConfigurationError, InvalidRequest
from brokerlink.hooks.call import CallOptions
from tests.recording_server import RecordingServer
from tests.test_requests import FACADES, TOKEN, invoke

FROM_ENV = {
    "metaapi": {"token": "env-meta-secret"},
    "brokerwork": {"tenant_id": "T-env", "token": "env-bw-secret"},
    "b2core": {"client_id": "env-app", "client_secret": "env-app-secret"},
}
# An operation without required arguments per API, and the answer it parses.
CALL = {
    "metaapi": ("list_regions", ["london"]),
    "brokerwork": ("list_levels", {"data": [], "mcode": "m0000000", "result": True}),
    "b2core": ("list_accounts", []),
}
SYNC_ASYNC = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


def facade(api: str, asynchronous: bool) -> Any:
    return getattr(brokerlink, ("Async" if asynchronous else "") + FACADES[api])


def set_env(monkeypatch: pytest.MonkeyPatch, api: str, base_url: str | None = None) -> None:
    for name, value in FROM_ENV[api].items():
        monkeypatch.setenv(env_var(api, name), value)
    if base_url is not None:
        monkeypatch.setenv(env_var(api, "base_url"), base_url)


def call(server: RecordingServer, api: str, client: Any, asynchronous: bool, **kwargs: Any) -> Any:
    method, answer = CALL[api]
    if api == "b2core":
        server.reply(200, TOKEN)
    server.reply(200, answer)
    return invoke(client, method, asynchronous=asynchronous, **kwargs)


def credentials_sent(api: str, server: RecordingServer) -> dict[str, str]:
    headers = server.requests[0].headers
    if api == "metaapi":
        return {"token": headers["auth-token"]}
    if api == "brokerwork":
        return {"tenant_id": headers["x-api-tenantid"], "token": headers["x-api-token"]}
    basic = base64.b64decode(headers["authorization"].removeprefix("Basic ")).decode()
    client_id, client_secret = basic.split(":")
    return {"client_id": client_id, "client_secret": client_secret}


@SYNC_ASYNC
@pytest.mark.parametrize("api", FACADES)
def test_omitted_settings_come_from_the_environment(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, api: str, asynchronous: bool
) -> None:
    set_env(monkeypatch, api, f"{server.url}/{api}/")  # read now, after brokerlink was imported
    client = facade(api, asynchronous)()
    assert client.base_url == f"{server.url}/{api}"
    call(server, api, client, asynchronous)
    assert credentials_sent(api, server) == FROM_ENV[api]
    assert all(r.path.startswith(f"/{api}/") for r in server.requests)


@pytest.mark.parametrize("api", FACADES)
def test_an_argument_wins_over_its_variable(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    set_env(monkeypatch, api, "http://from-env.invalid")
    given = {name: f"arg-{value}" for name, value in FROM_ENV[api].items()}
    client = facade(api, False)(base_url=server.url, **given)
    call(server, api, client, False)
    assert credentials_sent(api, server) == given
    assert client.base_url == server.url


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKERLINK_METAAPI_TOKEN", "")
    monkeypatch.setenv("BROKERLINK_METAAPI_BASE_URL", "")
    with pytest.raises(ConfigurationError, match="token is required"):
        brokerlink.MetaApi()
    client = brokerlink.MetaApi(token="t")  # the vendor's endpoint, as without the variable
    assert client.base_url == "https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai"


@SYNC_ASYNC
@pytest.mark.parametrize(
    ("api", "missing"),
    [(api, name) for api in FACADES for name in FROM_ENV[api]]
    + [("brokerwork", "base_url"), ("b2core", "base_url")],
)
def test_a_missing_setting_names_the_argument_and_the_variable(
    monkeypatch: pytest.MonkeyPatch, api: str, missing: str, asynchronous: bool
) -> None:
    set_env(monkeypatch, api, "https://api.example")
    monkeypatch.delenv(env_var(api, missing))
    with pytest.raises(ConfigurationError) as caught:
        facade(api, asynchronous)()
    variable = f"BROKERLINK_{api.upper()}_{missing.upper()}"
    assert str(caught.value) == f"{missing} is required: pass {missing}=... or set {variable}"
    assert isinstance(caught.value, InvalidRequest) and isinstance(caught.value, BrokerLinkError)
    assert not any(secret in str(caught.value) for secret in FROM_ENV[api].values())


def test_secrets_from_the_environment_stay_out_of_reprs_and_errors(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, "brokerwork", server.url)
    server.reply(401, {"mcode": "m0010001", "result": False, "message": "bad token"})
    with brokerlink.BrokerWork() as client:
        with pytest.raises(BrokerLinkError) as caught:
            client.list_levels()
        shown = [repr(client), repr(client.with_options(max_retries=0)), str(caught.value)]
        shown.append(repr(caught.value))
    for secret in FROM_ENV["brokerwork"].values():
        assert not any(secret in text for text in shown), secret


@SYNC_ASYNC
def test_default_headers_go_on_every_request_and_merge_in_copies(
    server: RecordingServer, asynchronous: bool
) -> None:
    cls = facade("metaapi", asynchronous)
    client = cls(token="t", base_url=server.url, default_headers={"X-Team": "ops", "X-Env": "a"})
    copy = client.with_options(default_headers={"x-env": "b", "X-Trace": "1"})
    for _ in range(3):
        server.reply(200, ["london"])

    async def run() -> None:
        async with client:
            await client.list_regions()
            await copy.list_regions()
            await client.list_regions()

    if asynchronous:
        import asyncio

        asyncio.run(run())
    else:
        with client:
            client.list_regions()
            copy.list_regions()
            client.list_regions()
    first, copied, again = (r.headers for r in server.requests)
    assert (first["x-team"], first["x-env"], first["auth-token"]) == ("ops", "a", "t")
    assert (copied["x-team"], copied["x-env"], copied["x-trace"]) == ("ops", "b", "1")
    assert "x-trace" not in again and again["x-env"] == "a"
    assert len({r.peer for r in server.requests}) == 1  # the copy shares the pool


def test_default_headers_replace_httpx_defaults_and_yield_to_the_operations(
    server: RecordingServer,
) -> None:
    headers = {"User-Agent": "acme-backoffice/2.1", "x-language": "zh-CN"}
    answer = {"data": [], "mcode": "m0000000", "result": True}
    for _ in range(2):
        server.reply(200, answer)
    with brokerlink.BrokerWork(
        base_url=server.url, tenant_id="T1", token="t", default_headers=headers
    ) as client:
        client.list_levels()
        client.list_levels(x_language="en-US")
    plain, chosen = (r.headers for r in server.requests)
    assert plain["user-agent"] == "acme-backoffice/2.1" and plain["x-language"] == "zh-CN"
    assert chosen["x-language"] == "en-US"


@pytest.mark.parametrize(
    ("api", "header"),
    [("metaapi", "Auth-Token"), ("brokerwork", "x-api-token"), ("b2core", "Authorization")],
)
def test_a_default_header_that_carries_a_credential_is_refused(api: str, header: str) -> None:
    cls = facade(api, False)
    credentials = {name: "c" for name in FROM_ENV[api]}
    with pytest.raises(InvalidRequest, match=f"default_headers: {header} carries a credential"):
        cls(base_url="https://api.example", default_headers={header: "x"}, **credentials)
    client = cls(base_url="https://api.example", **credentials)
    with pytest.raises(InvalidRequest, match=header):
        client.with_options(default_headers={header: "x"})
    with pytest.raises(InvalidRequest, match="must map header names to strings"):
        client.with_options(default_headers={"X-Count": 3})


def test_with_options_rejects_an_unknown_keyword_by_name() -> None:
    client = brokerlink.MetaApi(token="t")
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_retrys'"):
        client.with_options(max_retrys=1)  # type: ignore[call-arg]


def test_with_options_keeps_what_is_omitted_and_takes_none_as_a_value() -> None:
    client = brokerlink.MetaApi(token="t").with_options(end_user_id="alice", max_retries=2)
    kept = client.with_options(poll_interval=1.5, timeout=3.0)
    assert (kept.options.end_user_id, kept.options.max_retries) == ("alice", 2)
    assert kept.options.poll_interval == 1.5 and kept._timeout == 3.0
    assert kept.with_options(end_user_id=None).options.end_user_id is None


def test_with_options_names_every_call_option() -> None:
    keywords = set(inspect.signature(brokerlink.MetaApi.with_options).parameters) - {"self"}
    options = {f.name for f in dataclasses.fields(CallOptions)}
    assert keywords == options | {"timeout", "default_headers"}


@pytest.mark.parametrize("api", FACADES)
def test_the_constructor_docs_name_the_variables_clients_read(api: str) -> None:
    # The generator (which runs without brokerlink installed) writes these names itself.
    doc = facade(api, False).__init__.__doc__
    for name in [*FROM_ENV[api], "base_url"]:
        assert f"``{env_var(api, name)}``" in doc, name
