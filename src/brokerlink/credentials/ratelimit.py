"""Per-end-user rate limit of rejected attempts, counted with ``limits`` on the guard's backend.

Each remembered rejection of an end user is one hit of a moving-window limit
(``max_rejections`` per ``window`` seconds). When the window is full the guard writes a cool-down
entry into its own store, so the check before a request stays one store lookup and the cool-down
follows the guard's clock. The counting itself runs only after a rejection.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brokerlink.credentials.policy import RateLimit

NAMESPACE = "brokerlink-guard"


class RejectionCounter:
    """Counts rejections per end user (hashed id); ``hit`` answers whether the limit is reached."""

    def __init__(self, store: object, rate: RateLimit) -> None:
        self._store = store
        self._rate = rate
        self._sync: Any = None
        self._async: Any = None
        self._item: Any = None

    def _limit_item(self) -> Any:
        if self._item is None:
            from limits import RateLimitItemPerSecond

            self._item = RateLimitItemPerSecond(self._rate.max_rejections, int(self._rate.window))
        return self._item

    def _sync_limiter(self) -> Any:
        if self._sync is None:
            from limits.storage import MemoryStorage
            from limits.strategies import MovingWindowRateLimiter

            factory = getattr(self._store, "limits_storage", None)
            storage = factory() if callable(factory) else MemoryStorage()
            self._sync = MovingWindowRateLimiter(storage)
        return self._sync

    def hit(self, user: str) -> bool:
        limiter, item = self._sync_limiter(), self._limit_item()
        accepted = limiter.hit(item, NAMESPACE, user)
        return not accepted or not limiter.test(item, NAMESPACE, user)

    async def ahit(self, user: str) -> bool:
        if self._async is None:
            factory = getattr(self._store, "async_limits_storage", None)
            storage = factory() if callable(factory) else None
            if storage is None:
                self._async = False
            else:
                from limits.aio.strategies import MovingWindowRateLimiter

                self._async = MovingWindowRateLimiter(storage)
        if self._async is False:
            if getattr(self._store, "limits_blocking", True):
                return await asyncio.to_thread(self.hit, user)
            return self.hit(user)
        item = self._limit_item()
        accepted = await self._async.hit(item, NAMESPACE, user)
        return not accepted or not await self._async.test(item, NAMESPACE, user)
