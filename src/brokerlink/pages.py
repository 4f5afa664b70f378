"""Auto-pagination behind the facades' ``iter_<noun>`` methods: lazy iterators over the items of
every page of a list operation, fetching a page only when the previous one is used up.

``offset`` style (MetaApi, B2Core: ``offset``/``limit``) stops at the first page shorter than
the page size, or empty; ``page`` style (Broker Work: ``page``/``size``, 1-based, or the body's
``index``/``pageSize`` for the commission report) at the answer's ``pages`` (or an empty page).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from brokerlink.errors import InvalidRequest

T = TypeVar("T")


def _paged_body(body: Any, page: int, size: int, page_field: str, size_field: str) -> Any:
    """``body`` (a model or a mapping) asking for one page: its JSON with the page fields set."""
    data = dict(body.to_dict() if hasattr(body, "to_dict") else body)
    data[page_field], data[size_field] = page, size
    return data


def _checked(page_size: int) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InvalidRequest(f"page_size must be a positive int, not {page_size!r}")
    return page_size


def _offset_pages(fetch: Callable[[int, int], list[T]], page_size: int) -> Iterator[T]:
    size = _checked(page_size)  # checked at the call, not at the first next()

    def pages() -> Iterator[T]:
        offset = 0
        while True:
            items = fetch(offset, size)
            yield from items
            if len(items) < size:
                return
            offset += len(items)

    return pages()


def _aoffset_pages(
    fetch: Callable[[int, int], Awaitable[list[T]]], page_size: int
) -> AsyncIterator[T]:
    size = _checked(page_size)

    async def pages() -> AsyncIterator[T]:
        offset = 0
        while True:
            items = await fetch(offset, size)
            for item in items:
                yield item
            if len(items) < size:
                return
            offset += len(items)

    return pages()


def _last(items: list[Any], page: Any, number: int) -> bool:
    return not items or number >= (page.pages or number)


def _page_pages(fetch: Callable[[int, int], Any], page_size: int, field: str) -> Iterator[Any]:
    """``field``: the page model's attribute that holds the items."""
    size = _checked(page_size)

    def pages() -> Iterator[Any]:
        number = 1
        while True:
            page = fetch(number, size)
            items = getattr(page, field)
            yield from items
            if _last(items, page, number):
                return
            number += 1

    return pages()


def _apage_pages(
    fetch: Callable[[int, int], Awaitable[Any]], page_size: int, field: str
) -> AsyncIterator[Any]:
    size = _checked(page_size)

    async def pages() -> AsyncIterator[Any]:
        number = 1
        while True:
            page = await fetch(number, size)
            items = getattr(page, field)
            for item in items:
                yield item
            if _last(items, page, number):
                return
            number += 1

    return pages()
