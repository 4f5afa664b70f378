"""Injectable clocks: the sandbox never reads the wall clock directly."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now()`` returning epoch seconds."""

    def now(self) -> float:
        """Current time as epoch seconds."""
        ...


class SystemClock:
    """Wall clock plus an adjustable offset (``advance`` moves it forward)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class ManualClock:
    """A clock that only moves when told to: for tests that control time."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.current = start

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds

    def set(self, epoch_seconds: float) -> None:
        self.current = epoch_seconds


def iso_utc(epoch: float, *, millis: bool = True) -> str:
    """``2022-05-31T09:00:52.361Z`` (or without milliseconds)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(epoch: float) -> str:
    """``2021-01-01T00:00:00+00:00``: the B2Core style."""
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def http_date(epoch: float) -> str:
    """``Thu, 04 May 2023 13:42:20 GMT``."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def naive(epoch: float) -> str:
    """``2016-10-05 15:52:47``: the Broker Work style (UTC, no zone)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_naive(text: str) -> float | None:
    """Inverse of :func:`naive`; also accepts a bare ``yyyy-MM-dd``. None when unparsable."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def parse_iso(text: str) -> float | None:
    """Parse an ISO 8601 timestamp (``Z`` or offset); None when unparsable."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
