"""Facade clients for one test, sync or async, all closed when the test ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import brokerlink
from brokerlink._facade import SyncFacade
from tests.cassette_suite.target import Target

FACADES = {"metaapi": "MetaApi", "brokerwork": "BrokerWork", "b2core": "B2Core"}


class Awaitable:
    """A sync facade whose methods can be awaited: the call itself runs synchronously, through
    the sync hook transport, before the coroutine is even created."""

    def __init__(self, facade: SyncFacade) -> None:
        self.facade = facade

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.facade, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if isinstance(result, SyncFacade):
                result = Awaitable(result)

            async def done() -> Any:
                return result

            return done()

        return call

    def __repr__(self) -> str:
        return f"Awaitable({self.facade!r})"


class Clients:
    """Makes facades for the run's target; ``make(api, **overrides)`` changes credentials or
    options (a wrong token, ``max_retries=0``)."""

    def __init__(
        self, target: Target, *, asynchronous: bool, transport: Callable[[bool], Any]
    ) -> None:
        self.target = target
        self.asynchronous = asynchronous
        self._transport = transport
        self._made: list[Any] = []

    def make(self, api: str, **overrides: Any) -> Any:
        name = ("Async" if self.asynchronous else "") + FACADES[api]
        options: dict[str, Any] = {
            "base_url": self.target.base_urls[api],
            "transport": self._transport(self.asynchronous),
            **self.target.credentials[api],
        }
        if api == "metaapi":
            options["credential_cache"] = "memory://"  # no state shared between tests or runs
        options.update(overrides)
        facade = getattr(brokerlink, name)(**options)
        self._made.append(facade)
        return facade if self.asynchronous else Awaitable(facade)

    async def aclose(self) -> None:
        for facade in self._made:
            if self.asynchronous:
                await facade.close()
            else:
                facade.close()
