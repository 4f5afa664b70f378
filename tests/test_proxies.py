"""The default transports, sync and async, go through the proxy the standard variables name
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``; ``NO_PROXY`` bypasses), as httpx and requests
do; a ``transport=`` the caller passes is used as given. Against a local proxy (the hostile
server answering in absolute form, or tunnelling a CONNECT to a local HTTPS server)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from brokerlink import errors
from brokerlink.environment import environment_proxy
from brokerlink.testing import instant_waits
from tests.boundary.hostile import HostileServer, Reply, Tunnel, refused_url, tls_server
from tests.test_requests import invoke, make

MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
REGIONS = Reply(200, b'["london"]')
BASIC = "Basic dXNlcjpwcm94eS1zZWNyZXQ="  # user:proxy-secret


@pytest.fixture
def proxy() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def credentialed(server: HostileServer) -> str:
    return f"http://user:proxy-secret@127.0.0.1:{server.port}"


@MODES
def test_http_goes_through_the_environment_proxy(
    proxy: HostileServer, asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's host is never resolved: the proxy gets the request in absolute form."""
    monkeypatch.setenv("HTTP_PROXY", credentialed(proxy))
    proxy.on("/metaapi/", REGIONS)
    client = make("metaapi", "http://api.invalid", asynchronous)
    assert invoke(client, "list_regions", asynchronous=asynchronous) == ["london"]
    (seen,) = proxy.requests
    assert seen.target == "http://api.invalid/metaapi/users/current/regions"
    assert seen.headers["proxy-authorization"] == BASIC


@MODES
def test_https_tunnels_through_the_environment_proxy(
    proxy: HostileServer, asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONNECT with the proxy's credentials, then TLS to the API end to end: with a certificate
    the default trust store does not know, the handshake through the tunnel is refused, typed."""
    server, _ = tls_server()
    try:
        server.on("/metaapi/", REGIONS)
        proxy.on(f"api.invalid:{server.port}", Tunnel(server.port))  # to the local server
        monkeypatch.setenv("https_proxy", credentialed(proxy))
        url = f"https://api.invalid:{server.port}"
        client = make("metaapi", url, asynchronous, max_retries=0)
        with instant_waits(), pytest.raises(errors.TransportError) as caught:
            invoke(client, "list_regions", asynchronous=asynchronous)
    finally:
        server.stop()
    assert "certificate" in str(caught.value).lower()
    (connect,) = proxy.requests
    assert connect.method == "CONNECT" and connect.target == f"api.invalid:{server.port}"
    assert connect.headers["proxy-authorization"] == BASIC


@MODES
def test_this_machines_own_addresses_bypass_it(
    proxy: HostileServer, asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox and local servers are reached directly, whatever the variables say."""
    monkeypatch.setenv("HTTP_PROXY", refused_url())  # would fail every call
    proxy.on("/metaapi/", REGIONS)  # here the API itself
    client = make("metaapi", proxy.url, asynchronous)
    assert invoke(client, "list_regions", asynchronous=asynchronous) == ["london"]
    assert proxy.requests[0].target == "/metaapi/users/current/regions"


@MODES
def test_a_transport_passed_is_used_as_given(
    proxy: HostileServer, asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", refused_url())
    proxy.on("/metaapi/", REGIONS)
    transport = httpx.AsyncHTTPTransport() if asynchronous else httpx.HTTPTransport()
    client = make("metaapi", proxy.url, asynchronous, transport=transport)
    assert invoke(client, "list_regions", asynchronous=asynchronous) == ["london"]


@pytest.mark.parametrize(
    ("variables", "url", "expected"),
    [
        ({}, "https://h.example/x", None),
        ({"HTTPS_PROXY": "http://p:3128"}, "https://h.example/x", "http://p:3128"),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://h.example/x", None),
        ({"ALL_PROXY": "p:3128"}, "http://h.example/x", "http://p:3128"),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": ".example"}, "http://h.example/x", None),
        (
            {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "other.org"},
            "http://h.example/x",
            "http://p:3128",
        ),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "h.example:443"}, "http://h.example/", None),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3/", None),
        (
            {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8"},
            "http://11.1.2.3/",
            "http://p:3128",
        ),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "*"}, "http://h.example/", None),
        (
            {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "example"},
            "http://h.notexample/",
            "http://p:3128",
        ),
        ({"HTTP_PROXY": "http://p:3128"}, "http://127.0.0.1:8787/x", None),
        ({"HTTP_PROXY": "http://p:3128"}, "http://[::1]:8787/x", None),
        ({"HTTP_PROXY": "http://p:3128"}, "http://localhost:8787/x", None),
    ],
)
def test_the_proxy_the_variables_name(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], url: str, expected: str | None
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(url) == expected


@MODES
def test_a_proxy_the_default_transports_cannot_speak_is_a_configuration_error(
    asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://u:pw-secret@p:1080")
    with pytest.raises(errors.ConfigurationError, match="HTTPS_PROXY") as caught:
        make("metaapi", "https://api.example", asynchronous)
    assert "pw-secret" not in str(caught.value)
