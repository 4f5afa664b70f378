"""``client.with_raw_response``: the same operations, answering the HTTP response around the result.

Each generated facade has a ``...WithRawResponse`` view whose attributes wrap the facade's own
methods (one line per operation, typed by ``ParamSpec``): the view calls them on a copy of the
client that hands back a :class:`RawResponse` instead of the parsed result. Failures are still
raised, typed, before anything is returned.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast

import httpx

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class RawResponse(Generic[T]):
    """The final HTTP answer of one call (after its retries and polls) and the parser of its body.

    ``status_code`` and ``headers`` are the answer's, ``request_id`` the vendor's request-id
    header (None without one), ``elapsed`` the time from the first send to the final answer on
    brokerlink's clock, ``http_response`` the ``httpx.Response`` itself; ``parse()`` returns what
    the plain method would (``UnexpectedResponse`` when the body does not fit the spec).
    """

    def __init__(
        self,
        response: httpx.Response,
        request_id: str | None,
        elapsed: timedelta,
        parse: Callable[[], T],
    ) -> None:
        self.http_response, self.status_code = response, response.status_code
        self.headers, self.request_id, self.elapsed = response.headers, request_id, elapsed
        self.parse = parse

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] request_id={self.request_id!r}>"


class RawResponses:
    """Base of the generated views: holds a copy of the client that answers raw responses."""

    def __init__(self, client: Any) -> None:
        self._client = copy.copy(client)  # shares the pool; closing stays with the original
        self._client._raw_responses = True


class _RawMethod(Generic[P, R]):
    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method

    def __get__(self, view: RawResponses | None, owner: object = None) -> Callable[P, R]:
        if view is None:  # read on the class (help(), docs): the attribute itself
            return cast("Callable[P, R]", self)
        return cast("Callable[P, R]", functools.partial(self._method, view._client))


def raw(method: Callable[Concatenate[Any, P], T]) -> _RawMethod[P, RawResponse[T]]:
    """A view attribute calling the synchronous facade ``method`` for its raw response."""
    return _RawMethod(method)


def araw(
    method: Callable[Concatenate[Any, P], Awaitable[T]],
) -> _RawMethod[P, Awaitable[RawResponse[T]]]:
    """As :func:`raw`, for an asynchronous facade method."""
    return _RawMethod(method)
