"""Vendor failures become one typed hierarchy, through real sockets, sync and async alike."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import brokerlink
from brokerlink import errors
from tests.recording_server import RecordingServer
from tests.test_requests import TOKEN
from tests.test_requests import invoke as call
from tests.test_requests import make as make_client

E_AUTH = {
    "id": 3,
    "error": "ValidationError",
    "message": "We failed to authenticate",
    "details": "E_AUTH",
}


def make(api: str, url: str, asynchronous: bool) -> Any:
    """A client that reports the first failure as is (retries have their own tests)."""
    return make_client(api, url, asynchronous, max_retries=0)


MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


def metaapi_error(
    server: RecordingServer,
    asynchronous: bool,
    status: int,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    server.reply(status, body, body=raw, headers=headers)
    with pytest.raises(errors.BrokerLinkError) as caught:
        call(
            make("metaapi", server.url, asynchronous),
            "redeploy_account",
            "acc-1",
            asynchronous=asynchronous,
        )
    return caught.value


@MODES
def test_e_auth_on_redeploy(server: RecordingServer, asynchronous: bool) -> None:
    exc = metaapi_error(
        server,
        asynchronous,
        400,
        E_AUTH,
        headers={"Content-Type": "application/json", "x-request-id": "req-42"},
    )
    assert type(exc) is errors.InvalidBrokerCredentials
    assert isinstance(exc, errors.BrokerAccountRejected) and isinstance(exc, errors.ValidationError)
    assert (exc.vendor, exc.operation, exc.status, exc.code) == (
        "metaapi",
        "redeployAccount",
        400,
        "E_AUTH",
    )
    assert exc.message == "We failed to authenticate"
    assert exc.request_id == "req-42"
    assert b"E_AUTH" in exc.body
    assert "meta-secret" not in str(exc) + repr(exc)


@MODES
@pytest.mark.parametrize(
    ("details", "cls"),
    [
        ("E_SERVER_TIMEZONE", errors.BrokerSettingsDetectionFailed),
        ("E_NO_SYMBOLS", errors.NoSymbols),
        ("ERR_OTP_REQUIRED", errors.OtpRequired),
        ("E_PASSWORD_CHANGE_REQUIRED", errors.PasswordChangeRequired),
        ("E_TRADING_ACCOUNT_DISABLED", errors.TradingAccountDisabled),
        ({"code": "E_RESOURCE_SLOTS", "recommendedResourceSlots": 2}, errors.ResourceSlotsTooLow),
        (
            {
                "code": "E_SRV_NOT_FOUND",
                "serversByBrokers": {"Raw Trading Ltd": ["ICMarketsSC-Demo"]},
            },
            errors.BrokerServerNotFound,
        ),
        (
            [{"parameter": "password", "value": "wrong", "message": "Invalid value"}],
            errors.ValidationError,
        ),
        ("E_SOMETHING_NEW", errors.ValidationError),
    ],
)
def test_metaapi_details_shapes(
    server: RecordingServer, asynchronous: bool, details: Any, cls: type[Exception]
) -> None:
    exc = metaapi_error(
        server,
        asynchronous,
        400,
        {"id": 3, "error": "ValidationError", "message": "no", "details": details},
    )
    assert type(exc) is cls
    assert exc.details == details
    if cls is errors.ResourceSlotsTooLow:
        assert exc.recommended_resource_slots == 2
    if cls is errors.BrokerServerNotFound:
        assert exc.suggested_servers == {"Raw Trading Ltd": ["ICMarketsSC-Demo"]}
    if isinstance(details, str):
        assert exc.code == details


@MODES
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, errors.AuthenticationError),
        (403, errors.PermissionDenied),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (500, errors.ServerError),
        (503, errors.ServiceUnavailable),
    ],
)
def test_metaapi_by_status(
    server: RecordingServer, asynchronous: bool, status: int, cls: type[Exception]
) -> None:
    exc = metaapi_error(server, asynchronous, status, {"id": 1, "error": "E", "message": "m"})
    assert type(exc) is cls and exc.status == status


@MODES
def test_rate_limited_reads_header_then_metadata(
    server: RecordingServer, asynchronous: bool
) -> None:
    exc = metaapi_error(
        server,
        asynchronous,
        429,
        {"id": 1, "error": "TooManyRequestsError", "message": "slow down", "metadata": {}},
        headers={"Content-Type": "application/json", "Retry-After": "7"},
    )
    assert type(exc) is errors.RateLimited and exc.retry_after == 7.0
    exc = metaapi_error(
        server,
        asynchronous,
        429,
        {
            "id": 1,
            "error": "TooManyRequestsError",
            "message": "m",
            "metadata": {"recommendedRetryTime": "garbage"},
        },
    )
    assert type(exc) is errors.RateLimited and exc.retry_after is None


@MODES
def test_html_error_page_keeps_status_and_body(server: RecordingServer, asynchronous: bool) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    exc = metaapi_error(server, asynchronous, 502, raw=page, headers={"Content-Type": "text/html"})
    assert type(exc) is errors.ServerError
    assert exc.status == 502 and exc.body == page
    assert "502 Bad Gateway" in exc.message


@MODES
@pytest.mark.parametrize("raw", [b"{not json", b'{"id": "a1", "state":', b"<html>ok</html>", b""])
def test_bad_success_body_is_unexpected_response(
    server: RecordingServer, asynchronous: bool, raw: bytes
) -> None:
    server.reply(200, body=raw)
    with pytest.raises(errors.UnexpectedResponse) as caught:
        call(
            make("metaapi", server.url, asynchronous),
            "get_account",
            "a1",
            asynchronous=asynchronous,
        )
    assert caught.value.status == 200 and caught.value.body == raw


@MODES
def test_undocumented_status_is_unexpected_response(
    server: RecordingServer, asynchronous: bool
) -> None:
    server.reply(302, body=b"", headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(errors.UnexpectedResponse) as caught:
        call(
            make("metaapi", server.url, asynchronous),
            "get_account",
            "a1",
            asynchronous=asynchronous,
        )
    assert caught.value.status == 302
    assert len(server.requests) == 1  # never followed: credentials stay on our host


BW_CASES = [
    ("BW_INVALID_PARAM", errors.ValidationError),
    ("BW_INVALID_SERVERID", errors.ValidationError),
    ("-1", errors.ServiceUnavailable),
    ("BW_REQUEST_TOO_MUCH", errors.RateLimited),
    ("BW_API_0000001", errors.AuthenticationError),
    ("BW_API_0000003", errors.AuthenticationError),
    ("BW_API_0000004", errors.PermissionDenied),
    ("RIGHT_NO_00000001", errors.PermissionDenied),
    ("m0000001", errors.ApiError),
    ("BW_REPORT_99999", errors.ApiError),
]


@MODES
@pytest.mark.parametrize(("mcode", "cls"), BW_CASES)
def test_brokerwork_result_false_raises_despite_http_200(
    server: RecordingServer, asynchronous: bool, mcode: str, cls: type[Exception]
) -> None:
    server.reply(200, {"mcode": mcode, "errorMessage": "nope", "result": False})
    with pytest.raises(errors.ApiError) as caught:
        call(
            make("brokerwork", server.url, asynchronous),
            "get_account_info",
            server_id="1",
            account_id=["3004273"],
            asynchronous=asynchronous,
        )
    assert type(caught.value) is cls
    assert (caught.value.code, caught.value.status, caught.value.vendor) == (
        mcode,
        200,
        "brokerwork",
    )
    assert caught.value.operation == "getAccountInfo"


def test_brokerwork_error_message_as_list(server: RecordingServer) -> None:
    server.reply(200, {"mcode": "BW_INVALID_PARAM", "errorMessage": ["a", "b"], "result": False})
    with pytest.raises(errors.ValidationError, match="a; b"):
        call(make("brokerwork", server.url, False), "list_levels", asynchronous=False)


@MODES
def test_b2core_404_with_text_body(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, TOKEN)
    server.reply(404, body=b"Not Found", headers={"Content-Type": "text/plain"})
    with pytest.raises(errors.NotFound) as caught:
        call(
            make("b2core", server.url, asynchronous), "get_account", "x", asynchronous=asynchronous
        )
    assert caught.value.body == b"Not Found"


@MODES
def test_b2core_refreshes_token_once_on_401(server: RecordingServer, asynchronous: bool) -> None:
    server.reply(200, {**TOKEN, "access_token": "old-token"})
    server.reply(401, {"message": "expired"})
    server.reply(200, {**TOKEN, "access_token": "new-token"})
    server.reply(200, {"total": 1, "metrics": [{"key": "trades", "value": 101}]})
    result = call(
        make("b2core", server.url, asynchronous),
        "get_account_metrics",
        "a1",
        asynchronous=asynchronous,
    )
    assert result.total == 1
    sent = [(r.method, r.path, r.headers.get("authorization")) for r in server.requests]
    assert [s[:2] for s in sent] == [
        ("POST", "/b2core/tokens"),
        ("GET", "/b2core/accounts/a1/metrics"),
        ("POST", "/b2core/tokens"),
        ("GET", "/b2core/accounts/a1/metrics"),
    ]
    assert sent[1][2] == "Bearer old-token" and sent[3][2] == "Bearer new-token"

    # a second 401 after the refresh is final
    server.requests.clear()
    server.reply(200, TOKEN)
    server.reply(401, {"message": "expired"})
    server.reply(200, TOKEN)
    server.reply(401, {"message": "still"})
    with pytest.raises(errors.AuthenticationError):
        call(
            make("b2core", server.url, asynchronous), "get_account", "a1", asynchronous=asynchronous
        )
    assert len(server.requests) == 4


def test_token_is_reused_across_calls(server: RecordingServer) -> None:
    server.reply(200, TOKEN)
    server.reply(204)
    server.reply(204)
    with make("b2core", server.url, False) as client:
        client.delete_account("a1")
        client.delete_account("a2")
    assert [r.path for r in server.requests] == [
        "/b2core/tokens",
        "/b2core/accounts/a1",
        "/b2core/accounts/a2",
    ]


@MODES
def test_connection_refused_is_a_transport_error(asynchronous: bool) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make("metaapi", f"http://127.0.0.1:{port}", asynchronous)
    with pytest.raises(errors.TransportError) as caught:
        call(client, "list_regions", asynchronous=asynchronous)
    assert caught.value.operation == "listRegions"


def test_bad_body_mapping_is_rejected_locally(server: RecordingServer) -> None:
    with (
        pytest.raises(errors.InvalidRequest, match="region"),
        make("metaapi", server.url, False) as c,
    ):
        c.create_account_replica("a1", body={"magic": 1})
    assert server.requests == []


def test_reprs_hide_secrets() -> None:
    client = brokerlink.B2Core(
        base_url="https://b2.example", client_id="cid", client_secret="top-secret"
    )
    text = repr(client) + repr(client._auth) + repr(client.with_options(max_retries=1))
    assert "top-secret" not in text and "cid" not in text
