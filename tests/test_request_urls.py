"""What the facade spares httpx per request, without changing what is sent: an operation's URL
is parsed once per path, and the cookie jar reads only responses that set a cookie."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import brokerlink
from tests.boundary.hostile import HostileServer, Reply


def test_an_operation_url_is_the_one_httpx_would_build_parsed_once_per_path() -> None:
    client = brokerlink.MetaApi(base_url="https://api.example/v1/", token="t")
    plain = httpx.Client(base_url="https://api.example/v1/")
    for path in ("/users/current/accounts", "/users/current/accounts/a%2Fb%20c", "/é", "/x?y=1"):
        assert client._url(path) == plain.build_request("GET", path).url
    assert client._url("/users/current/regions") is client._url("/users/current/regions")
    for n in range(3000):  # paths with ids in them: the cache stays bounded
        client._url(f"/users/current/accounts/{n}")
    assert 0 < len(client._urls) <= 1024
    client.close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


def test_a_cookie_the_server_sets_is_still_sent_back(hostile: HostileServer) -> None:
    regions = b'["london"]'
    sets = {"Content-Type": "application/json", "Set-Cookie": "session=abc; Path=/"}
    hostile.on("/metaapi/", Reply(200, regions), Reply(200, regions, sets), Reply(200, regions))
    with brokerlink.MetaApi(base_url=f"{hostile.url}/metaapi", token="t") as client:
        for _ in range(3):
            assert client.list_regions() == ["london"]
    assert [seen.headers.get("cookie") for seen in hostile.requests] == [None, None, "session=abc"]
