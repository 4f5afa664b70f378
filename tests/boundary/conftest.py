"""Fixtures of the boundary tests: one hostile server (and one bystander host) per worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .hostile import HostileServer


@pytest.fixture(scope="session")
def _hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


@pytest.fixture
def hostile(_hostile: HostileServer) -> HostileServer:
    """The hostile server with no rules and no recorded requests."""
    _hostile.reset()
    return _hostile


@pytest.fixture(scope="session")
def elsewhere() -> Iterator[HostileServer]:
    """Another host: redirects point here, and it must never hear from a client."""
    server = HostileServer().start()
    yield server
    server.stop()
