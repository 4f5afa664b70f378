"""Auto-pagination: ``iter_<noun>`` walks every page of a list operation lazily, sync and async,
in both styles (offset/limit for MetaApi and B2Core, page/size for Broker Work), against a real
local server whose requests are counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from brokerlink import errors
from tests.recording_server import RecordingServer
from tests.test_requests import TOKEN, make

MODES = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


async def take(items: Iterator[Any] | AsyncIterator[Any], n: int | None = None) -> list[Any]:
    """The first ``n`` items (all without ``n``), consumed the way a user would."""
    out: list[Any] = []
    if isinstance(items, AsyncIterator):
        async for item in items:
            out.append(item)
            if len(out) == n:
                break
    else:
        for item in items:
            out.append(item)
            if len(out) == n:
                break
    return out


def scenario(api: str, server: RecordingServer, asynchronous: bool, body: Any) -> None:
    """Run ``body(client)`` with the API's sync or async client, in one event loop."""

    async def run() -> None:
        client = make(api, server.url, asynchronous)
        try:
            await body(client)
        finally:
            closed = client.close()
            if asynchronous:
                await closed

    asyncio.run(run())


def queries(server: RecordingServer, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in server.requests if r.path.endswith(path)]


@MODES
def test_offset_pages_are_fetched_when_needed_and_stop_at_a_short_page(
    server: RecordingServer, asynchronous: bool
) -> None:
    async def body(meta: Any) -> None:
        server.reply(200, [{"_id": "a1"}, {"_id": "a2"}])
        first = await take(meta.iter_accounts(state=["DEPLOYED"], page_size=2), 1)
        assert [a.id for a in first] == ["a1"]
        assert len(queries(server, "/accounts")) == 1  # no second page asked for
        server.requests.clear()
        server.reply(200, [{"_id": "b1"}, {"_id": "b2"}])
        server.reply(200, [{"_id": "b3"}])
        everything = await take(meta.iter_accounts(state=["DEPLOYED"], page_size=2))
        assert [a.id for a in everything] == ["b1", "b2", "b3"]
        sent = queries(server, "/accounts")
        assert [(q["offset"], q["limit"], q["state"]) for q in sent] == [
            (["0"], ["2"], ["DEPLOYED"]),
            (["2"], ["2"], ["DEPLOYED"]),
        ]

    scenario("metaapi", server, asynchronous, body)


@MODES
def test_b2core_pages_by_offset_too(server: RecordingServer, asynchronous: bool) -> None:
    async def body(b2: Any) -> None:
        account = {"accountId": "1", "number": "12346", "currency": "USD"}
        server.reply(200, TOKEN)
        server.reply(200, [account, {**account, "number": "12349"}])
        server.reply(200, {"data": [], "total": 2})  # an installation that wraps its lists
        accounts = await take(b2.iter_accounts(filter_={"currency": "USD"}, page_size=2))
        assert [a.number for a in accounts] == ["12346", "12349"]
        assert len(queries(server, "/accounts")) == 2

    scenario("b2core", server, asynchronous, body)


@MODES
def test_broker_work_pages_by_number_until_the_last(
    server: RecordingServer, asynchronous: bool
) -> None:
    def page(number: int, logins: list[int]) -> dict[str, Any]:
        rows = [{"login": login, "serverId": "428"} for login in logins]
        data = {"list": rows, "pager": number, "pages": 2, "size": 2, "total": 3}
        return {"result": True, "mcode": "m0000000", "data": data}

    async def body(work: Any) -> None:
        server.reply(200, page(1, [1, 2]))
        server.reply(200, page(2, [3]))
        rows = await take(work.iter_accounts(server_id="428", from_="2019-11-01", to="2019-11-30"))
        assert [str(r.login) for r in rows] == ["1", "2", "3"]
        sent = queries(server, "/account/list")
        assert [(q["page"], q["size"]) for q in sent] == [(["1"], ["100"]), (["2"], ["100"])]

    scenario("brokerwork", server, asynchronous, body)


@MODES
def test_a_bad_page_size_is_refused_before_anything_is_sent(
    server: RecordingServer, asynchronous: bool
) -> None:
    async def body(meta: Any) -> None:
        for size in (0, -1, 1.5, True):
            with pytest.raises(errors.InvalidRequest, match="page_size"):
                meta.iter_accounts(page_size=size)
        assert server.requests == []

    scenario("metaapi", server, asynchronous, body)


@MODES
def test_the_commission_report_pages_by_fields_of_its_body(
    server: RecordingServer, asynchronous: bool
) -> None:
    def page(number: int, users: list[int]) -> dict[str, Any]:
        rows = [{"userId": u, "commissionValue": 1.5} for u in users]
        data = {"list": rows, "pager": number, "pages": 2, "size": 2, "total": 3}
        return {"result": True, "mcode": "m0000000", "data": data}

    async def body(work: Any) -> None:
        server.reply(200, page(1, [2, 4]))
        server.reply(200, page(2, [5]))
        query = {"serverId": "454", "userId": "2", "level": "0", "start": "2017-08-01"}
        rows = await take(work.iter_commission_rows(body=query, page_size=2))
        assert len(rows) == 3
        sent = [r.json() for r in server.requests if r.path.endswith("/report/user/commission")]
        assert [(b["index"], b["pageSize"], b["userId"]) for b in sent] == [
            (1, 2, "2"),
            (2, 2, "2"),
        ]

    scenario("brokerwork", server, asynchronous, body)


@pytest.mark.parametrize("api", ["metaapi", "brokerwork", "b2core"])
def test_every_paginated_operation_has_an_iterator(api: str) -> None:
    import brokerlink
    from tests.spec_data import FACADES, operations, resolve

    facade = getattr(brokerlink, FACADES[api])
    for operation_id, (_, _, op) in operations(api).items():
        names = {resolve(api, p)["name"] for p in op.get("parameters", [])}
        paginate = op.get("x-brokerlink-paginate")
        if names & {"offset", "limit", "page", "size"}:
            assert paginate, f"{operation_id} pages but has no x-brokerlink-paginate"
        if paginate:
            assert hasattr(facade, f"iter_{paginate['noun']}"), operation_id
