"""Hostile answers and bad configuration end in typed errors, through real sockets: bodies too
deep to parse, dates and numbers beyond range, lying envelopes, absurd token lifetimes, URLs
without a scheme."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import brokerlink
from brokerlink import errors
from brokerlink.credentials.redis_store import redacted
from brokerlink.plugins import retries
from brokerlink.plugins.b2core.auth import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    MIN_LIFETIME,
    B2CoreTokenAuth,
    lifetime_of,
)
from brokerlink.plugins.polling import MAX_WAIT, MIN_WAIT
from brokerlink.testing import instant_waits
from tests.recording_server import RecordingServer
from tests.test_requests import TOKEN, make
from tests.test_requests import invoke as call

MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
DEEP = b"[" * 100_000 + b"]" * 100_000
FAR_FUTURE = "Mon, 01 Jan 9999999999 00:00:00 GMT"
CREATE = {"name": "x", "server": "s", "magic": 0}


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8787/metaapi", "ftp://host/x", "https://", "http://h/x?a=1", "http://h/#f"]
)
@pytest.mark.parametrize(
    ("facade", "credentials"),
    [
        ("MetaApi", {"token": "t"}),
        ("BrokerWork", {"tenant_id": "T1", "token": "t"}),
        ("B2Core", {"client_id": "c", "client_secret": "s"}),
    ],
)
def test_a_base_url_that_is_no_http_url_is_refused_when_the_client_is_made(
    url: str, facade: str, credentials: dict[str, str]
) -> None:
    for name in (facade, "Async" + facade):
        with pytest.raises(errors.InvalidRequest, match="base_url"):
            getattr(brokerlink, name)(base_url=url, **credentials)


@MODES
@pytest.mark.parametrize("status", [200, 400, 500])
def test_json_nested_too_deep_is_an_unexpected_response(
    server: RecordingServer, asynchronous: bool, status: int
) -> None:
    server.reply(status, body=DEEP)
    with pytest.raises(errors.ApiError) as caught:
        call(
            make("metaapi", server.url, asynchronous, max_retries=0),
            "get_account",
            "a1",
            asynchronous=asynchronous,
        )
    assert isinstance(caught.value, errors.UnexpectedResponse if status == 200 else errors.ApiError)
    assert caught.value.status == status and caught.value.body == DEEP


@MODES
def test_an_overflowing_number_in_a_body_is_an_unexpected_response(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(200, body=b'{"balance": 1e999999, "equity": ' + b"9" * 5000 + b"}")
    with pytest.raises(errors.UnexpectedResponse):
        call(
            make("b2core", server.url, asynchronous), "get_account", "a1", asynchronous=asynchronous
        )


@MODES
@pytest.mark.parametrize("advice", [FAR_FUTURE, "1e400", "9" * 400, "-5", "soon", ""])
def test_absurd_retry_after_on_a_202_is_capped_never_raised(
    server: RecordingServer, asynchronous: bool, advice: str
) -> None:
    server.reply(202, {"message": "working"}, headers={"Retry-After": advice})
    server.reply(201, {"id": "acc-1", "state": "DEPLOYED"})
    with instant_waits() as waits:
        created = call(
            make("metaapi", server.url, asynchronous),
            "create_account",
            body=CREATE,
            asynchronous=asynchronous,
        )
    assert created.id == "acc-1"
    assert len(waits) == 1 and MIN_WAIT <= waits[0] <= MAX_WAIT


@MODES
@pytest.mark.parametrize("status", [429, 503])
def test_absurd_retry_after_on_a_failure_is_capped_never_raised(
    server: RecordingServer, asynchronous: bool, status: int
) -> None:
    server.reply(status, {"message": "busy"}, headers={"Retry-After": FAR_FUTURE})
    server.reply(200, ["london"])
    with instant_waits() as waits:
        regions = call(
            make("metaapi", server.url, asynchronous), "list_regions", asynchronous=asynchronous
        )
    assert regions == ["london"]
    assert len(waits) == 1 and waits[0] <= retries.MAX_DELAY


ENVELOPE = {"mcode": "m0000000", "data": []}


@MODES
@pytest.mark.parametrize(
    ("body", "raised"),
    [
        ({**ENVELOPE, "result": 0}, errors.UnexpectedResponse),
        ({**ENVELOPE, "result": None}, errors.UnexpectedResponse),
        ({**ENVELOPE, "result": "false"}, errors.UnexpectedResponse),
        ({**ENVELOPE, "result": False}, errors.UnexpectedResponse),  # a failure saying success
        ({"result": 0, "mcode": "BW_INVALID_PARAM"}, errors.ValidationError),
        ({"result": "false", "mcode": "BW_SOMETHING_NEW"}, errors.ApiError),
        ({"result": False}, errors.ApiError),
    ],
)
def test_broker_work_success_means_result_true(
    server: RecordingServer, asynchronous: bool, body: dict[str, Any], raised: type[Exception]
) -> None:
    server.reply(200, body)
    with pytest.raises(raised) as caught:
        call(
            make("brokerwork", server.url, asynchronous, max_retries=0),
            "get_account_info",
            server_id="1",
            account_id=["3004273"],
            asynchronous=asynchronous,
        )
    assert type(caught.value) is raised or not isinstance(caught.value, errors.UnexpectedResponse)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (3600, 3600.0),
        ("120", 120.0),
        (5, MIN_LIFETIME),
        (10**9, MAX_LIFETIME),
        (0, DEFAULT_LIFETIME),
        ("0", DEFAULT_LIFETIME),
        (-60, DEFAULT_LIFETIME),
        ("nan", DEFAULT_LIFETIME),
        (float("inf"), DEFAULT_LIFETIME),
        (int("9" * 400), DEFAULT_LIFETIME),
        ("soon", DEFAULT_LIFETIME),
        (None, DEFAULT_LIFETIME),
        (True, DEFAULT_LIFETIME),
        ([60], DEFAULT_LIFETIME),
    ],
)
def test_one_rule_for_token_lifetimes(given: Any, used: float) -> None:
    assert lifetime_of(given) == used


@MODES
@pytest.mark.parametrize("expires_in", [0, "0", -1, "NaN", "9" * 400, None])
def test_an_absurd_expires_in_never_costs_a_token_request_per_call(
    server: RecordingServer, asynchronous: bool, expires_in: Any
) -> None:
    token = {**TOKEN, "expires_in": expires_in} if expires_in is not None else {"access_token": "t"}
    server.reply(200, token)
    for _ in range(3):
        server.reply(204)

    async def three(client: Any) -> None:
        async with client:
            for name in ("a1", "a2", "a3"):
                await client.delete_account(name)

    client = make("b2core", server.url, asynchronous)
    if asynchronous:
        import asyncio

        asyncio.run(three(client))
    else:
        with client:
            for name in ("a1", "a2", "a3"):
                client.delete_account(name)
    assert [r.path for r in server.requests].count("/b2core/tokens") == 1


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a stalled token endpoint)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@MODES
def test_a_stalled_token_endpoint_times_out_with_the_clients_timeout(
    silent_port: int, asynchronous: bool
) -> None:
    url = f"http://127.0.0.1:{silent_port}/b2core"
    client = make("b2core", url, asynchronous, max_retries=0, timeout=0.3)
    began = time.monotonic()
    with pytest.raises(errors.ApiTimeout) as caught:
        call(client, "get_account", "a1", asynchronous=asynchronous)
    assert caught.value.operation == "createToken"
    assert time.monotonic() - began < 3  # the token request had the client's timeout


def test_a_request_httpx_cannot_send_is_never_resent() -> None:
    from brokerlink.hooks import Call, CallOptions, ClientState, Operation

    call_ = Call(
        Operation("metaapi", "listRegions", idempotent=True),
        CallOptions(),
        ClientState("metaapi"),
        time.monotonic(),
    )
    request = httpx.Request("GET", "http://h/x")
    for error in (httpx.UnsupportedProtocol("no"), httpx.LocalProtocolError("bad")):
        assert retries.brokerlink_on_transport_error(call_, request, error) is None
    assert retries.brokerlink_on_transport_error(call_, request, httpx.ConnectError("x"))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw-secret@h:6379/0", "redis://:***@h:6379/0"),
        ("redis://u:pw-secret@h/0?password=pw-secret&db=1", "redis://u:***@h/0?password=***&db=1"),
        ("rediss://h/0?Password=pw-secret", "rediss://h/0?Password=***"),
        ("redis://h:6379/0", "redis://h:6379/0"),
    ],
)
def test_redis_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redacted(url) == shown
    from brokerlink.credentials import RedisStore

    assert "pw-secret" not in repr(RedisStore(url, key="k" * 32))


def test_client_options_never_show_the_end_user() -> None:
    with brokerlink.MetaApi(token="t", credential_cache="memory://") as meta:
        options = meta.with_options(end_user_id="alice@example.com").options
        assert options.end_user_id == "alice@example.com"
        assert "alice" not in repr(options) and "alice" not in str(options)


# --- secrets a server echoes back ----------------------------------------------------------


@MODES
def test_a_password_the_server_echoes_is_masked(
    server: RecordingServer, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A MetaApi 400 quoting the body's password: masked in str, message, repr, the body and
    the details kept on the error."""
    details = [{"parameter": "password", "value": "hunter2", "message": "hunter2 is weak"}]
    message = "password 'hunter2' is invalid"
    server.reply(400, {"error": "ValidationError", "message": message, "details": details})
    body = {**CREATE, "login": "123", "password": "hunter2"}
    client = make("metaapi", server.url, asynchronous, max_retries=0)
    with pytest.raises(errors.ValidationError) as caught:
        call(client, "create_account", body=body, asynchronous=asynchronous)
    error = caught.value
    assert error.message == "password '***' is invalid"
    assert str(error).endswith(": password '***' is invalid")
    assert "hunter2" not in repr(error) and "'***'" in repr(error)
    assert b"hunter2" not in error.body and b"***" in error.body
    assert "hunter2" not in repr(error.details) and error.details[0]["value"] == "***"
    assert b"hunter2" in server.requests[-1].body  # it was sent, only what it raised is masked


@MODES
def test_a_password_echoed_in_an_answer_off_the_spec_is_masked(
    server: RecordingServer, asynchronous: bool
) -> None:
    """A 201 that does not fit its model, quoting the password: an ``UnexpectedResponse``
    without it, in the message or the body kept."""
    server.reply(201, {"id": ["not", "a", "string"], "echo": {"password": "hunter2"}})
    body = {**CREATE, "login": "123", "password": "hunter2"}
    client = make("metaapi", server.url, asynchronous, max_retries=0)
    with pytest.raises(errors.UnexpectedResponse) as caught:
        call(client, "create_account", body=body, asynchronous=asynchronous)
    error = caught.value
    assert b"hunter2" not in error.body and b'"password": "***"' in error.body
    assert "hunter2" not in str(error) and "hunter2" not in repr(error)


@MODES
@pytest.mark.parametrize(
    ("api", "method", "kwargs", "replies", "secret"),
    [
        (
            "metaapi",
            "get_account",
            {},
            [(503, {"message": "bad token meta-secret"})],
            "meta-secret",
        ),
        (
            "brokerwork",
            "get_account_info",
            {"server_id": "1", "account_id": ["3"]},
            [(503, {"message": "token bw-secret refused"})],
            "bw-secret",
        ),
        (
            "b2core",
            "get_account",
            {},
            [(200, {**TOKEN, "access_token": "b2-access-1"}), (503, {"message": "b2-access-1?"})],
            "b2-access-1",
        ),
        (
            "b2core",
            "get_account",
            {},
            [(200, TOKEN), (503, {"message": "secret app-secret is not allowed"})],
            "app-secret",
        ),
    ],
)
def test_the_clients_own_secrets_are_masked_in_messages_and_logs(
    server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    asynchronous: bool,
    api: str,
    method: str,
    kwargs: dict[str, Any],
    replies: list[tuple[int, Any]],
    secret: str,
) -> None:
    """Its key, client secret and access token: masked in the error and in the retry's log."""
    for status, body in replies:
        server.reply(status, body)
    server.reply(*replies[-1])
    args = () if api == "brokerwork" else ("a1",)
    caplog.set_level("INFO", logger="brokerlink")
    with instant_waits(), pytest.raises(errors.ServerError) as caught:
        client = make(api, server.url, asynchronous, max_retries=1)
        call(client, method, *args, asynchronous=asynchronous, **kwargs)
    error = caught.value
    shown = [str(error), repr(error), error.message, caplog.text, error.body.decode()]
    assert all(secret not in text for text in shown), shown
    assert "***" in caught.value.message and "***" in caplog.text


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("127.0.0.1:8787/metaapi?password=pw-secret", "pw-secret"),
        ("https://user:pw-secret@h/x?api_key=key-secret", "pw-secret"),
        ("https://user:pw-secret@h/x?api_key=key-secret", "key-secret"),
        ("ftp://u:pw-secret@h/x", "pw-secret"),
        ("http://h/#token=pw-secret", "pw-secret"),
        ("http://[::1/x?pw-secret", "pw-secret"),
    ],
)
def test_a_refused_base_url_is_shown_without_its_secrets(url: str, hidden: str) -> None:
    with pytest.raises(errors.InvalidRequest, match="base_url") as caught:
        brokerlink.MetaApi(token="t", base_url=url)
    assert hidden not in str(caught.value) and "***" in str(caught.value)


def test_a_base_url_with_user_info_is_shown_without_it() -> None:
    with brokerlink.MetaApi(token="t", base_url="https://u:pw-secret@h/x") as meta:
        assert repr(meta) == "MetaApi(base_url='https://***@h/x')"


def test_the_b2core_token_flow_shows_its_base_url_without_user_info() -> None:
    auth = B2CoreTokenAuth("https://u:pw-secret@b2.example/api", "app", "app-secret")
    assert repr(auth) == "B2CoreTokenAuth(base_url='https://***@b2.example/api/', has_token=False)"
    plain = B2CoreTokenAuth("https://b2.example", "app", "app-secret")
    assert repr(plain) == "B2CoreTokenAuth(base_url='https://b2.example/', has_token=False)"
