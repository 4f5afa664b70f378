"""Where brokerlink gets the time and how it waits: real by default, virtual in tests.

Executors and hooks read the current :class:`Timing` once per call, so swapping it (see
``brokerlink.testing``) changes every client at once without touching the network path.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Clocks and sleeps: ``monotonic`` for deadlines, ``wall`` (epoch seconds) for HTTP-dates."""

    monotonic: Callable[[], float]
    wall: Callable[[], float]
    sleep: Callable[[float], None]
    asleep: Callable[[float], Awaitable[None]]


async def _sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported on the first wait: a sync client never loads asyncio."""
    import asyncio

    await asyncio.sleep(seconds)


SYSTEM = Timing(time.monotonic, time.time, time.sleep, _sleep)
_current = SYSTEM


def current() -> Timing:
    """The timing in force now (``SYSTEM`` unless a test switched it)."""
    return _current


def install(timing: Timing) -> Timing:
    """Put ``timing`` in force for the whole process; returns the previous one to restore."""
    global _current
    previous, _current = _current, timing
    return previous
