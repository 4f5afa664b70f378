"""Test helpers for code that uses brokerlink: no real waiting, time under the test's control.

``instant_waits()`` keeps real clocks but skips every wait (retries, 202 polls);
``virtual_time()`` also makes the clocks virtual, moved only by brokerlink's own waits (or the
test), so deadlines and HTTP-date ``Retry-After`` values behave exactly as in production. Pass the
sandbox's ``ManualClock`` to share one clock between client and server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from brokerlink import timing

__all__ = ["VirtualClock", "instant_waits", "virtual_time"]


class _Clock(Protocol):
    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class VirtualClock:
    """Epoch seconds that move only when ``advance`` is called; records every wait asked for."""

    def __init__(self, start: float | None = None) -> None:
        self.current = time.time() if start is None else start
        self.waits: list[float] = []

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds


@contextmanager
def _waits_done_by(
    on_wait: Callable[[float], None], monotonic: Callable[[], float], wall: Callable[[], float]
) -> Iterator[None]:
    """Install a timing whose waits only call ``on_wait`` (async ones still yield to the loop)."""

    async def asleep(seconds: float) -> None:
        on_wait(seconds)
        await asyncio.sleep(0)

    previous = timing.install(timing.Timing(monotonic, wall, on_wait, asleep))
    try:
        yield
    finally:
        timing.install(previous)


@contextmanager
def instant_waits() -> Iterator[list[float]]:
    """Within the block, brokerlink waits take no time; yields the list of waits asked for."""
    waits: list[float] = []
    with _waits_done_by(waits.append, time.monotonic, time.time):
        yield waits


@contextmanager
def virtual_time(clock: _Clock | None = None) -> Iterator[_Clock]:
    """Within the block, brokerlink's clocks read ``clock`` and each wait advances it instantly."""
    used: _Clock = clock if clock is not None else VirtualClock()
    waits = getattr(used, "waits", None)

    def wait(seconds: float) -> None:
        if isinstance(waits, list):
            waits.append(seconds)
        used.advance(seconds)

    with _waits_done_by(wait, used.now, used.now):
        yield used
