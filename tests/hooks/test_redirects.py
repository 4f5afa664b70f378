"""Credentials never travel to another host: redirects are not followed, for every API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from brokerlink import errors
from tests.hooks.conftest import MODES, run
from tests.recording_server import RecordingServer
from tests.test_requests import TOKEN

CALLS = {
    "metaapi": lambda c: c.list_regions(),
    "brokerwork": lambda c: c.list_levels(),
    "b2core": lambda c: c.list_accounts(),
}


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[RecordingServer]:
    """Another host, which must never hear from a brokerlink client."""
    other = RecordingServer().start()
    yield other
    other.stop()


@MODES
@pytest.mark.parametrize("api", sorted(CALLS))
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_host_is_not_followed(
    server: RecordingServer, elsewhere: RecordingServer, asynchronous: bool, api: str, status: int
) -> None:
    if api == "b2core":
        server.reply(200, TOKEN)
    server.reply(status, {}, headers={"Location": f"{elsewhere.url}/collect"})
    with pytest.raises(errors.UnexpectedResponse) as caught:
        run(api, f"{server.url}/{api}", asynchronous, CALLS[api], max_retries=0)
    assert caught.value.status == status
    assert elsewhere.requests == []
    assert server.requests[-1].headers.get("auth-token", "") in ("", "meta-secret-token")
