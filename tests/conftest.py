from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.recording_server import RecordingServer

# Every client a test makes without credential_cache= gets a fresh in-memory credential guard,
# never the user's persistent SQLite file (remembered rejections would leak between tests).
os.environ["BROKERLINK_CACHE_URL"] = "memory://"
# Clients read omitted credentials and base URLs from BROKERLINK_<API>_*: none from the shell.
for _name in list(os.environ):
    if _name.startswith(("BROKERLINK_METAAPI_", "BROKERLINK_BROKERWORK_", "BROKERLINK_B2CORE_")):
        del os.environ[_name]


@pytest.fixture(scope="session")
def _server() -> Iterator[RecordingServer]:
    server = RecordingServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(_server: RecordingServer) -> RecordingServer:
    """The session's recording server, emptied for this test."""
    _server.requests.clear()
    _server.replies.clear()
    return _server
