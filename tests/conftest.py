from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.recording_server import RecordingServer


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
