"""B2Core IB: every operation, the bearer-token flow with its refresh on 401, and every documented
failure (400/401/403/404/422/429, HTML pages, unparsable answers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

import brokerlink
from brokerlink import errors
from brokerlink.generated.b2core.models import AccountFilter, AccountSortKey, SortOrder
from brokerlink.hooks.call import Call
from tests.cassette_suite.clients import Clients
from tests.cassette_suite.target import B2_FORBIDDEN_SECRET, WRONG_TOKEN, SharedClock

API = "b2core"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network]
UNKNOWN_ID = "ffffffffffffffffffffffff"


class Exchanges:
    """A plugin that notes every answer the hook transport sees: proof that replays run through
    brokerlink's hooks, token requests included."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    @brokerlink.hookimpl
    def brokerlink_after_response(
        self, call: Call, request: httpx.Request, response: httpx.Response
    ) -> None:
        self.seen.append((call.operation_id, response.status_code))


async def test_list_and_get(b2core: Any) -> None:
    accounts = await b2core.list_accounts(
        limit=3, sort_by=AccountSortKey.NUMBER, sort_order=SortOrder.ASC
    )
    assert len(accounts) == 3
    numbers = [a.number for a in accounts]
    assert numbers == sorted(numbers)
    one = await b2core.get_account(accounts[0].account_id, query={"platform": True})
    assert one.account_id == accounts[0].account_id
    assert isinstance(one.balance, Decimal)
    assert one.platform is not None
    metrics = await b2core.get_account_metrics(accounts[0].account_id)
    assert metrics.metrics is not None


async def test_list_with_filter_and_expansions(b2core: Any) -> None:
    every = await b2core.list_accounts()
    eur = await b2core.list_accounts(filter_={"currency": "EUR"}, query={"metrics": True})
    assert eur and all(a.currency == "EUR" for a in eur)
    assert len(eur) < len(every)
    assert all(a.metrics is not None for a in eur)


@pytest.mark.writes
async def test_create_update_patch_delete(b2core: Any) -> None:
    template = (await b2core.list_accounts(limit=1))[0]
    body = {
        "number": "77777",
        "platformId": template.platform_id,
        "profileId": template.profile_id,
        "enabled": False,
    }
    created = await b2core.create_account(body=body)
    assert (created.number, created.enabled) == ("77777", False)
    assert await b2core.get_account(created.account_id) == created
    updated = await b2core.update_account(
        created.account_id, body={"number": "77778", "enabled": True}
    )
    assert (updated.number, updated.enabled) == ("77778", True)
    patched = await b2core.patch_account(created.account_id, body={"enabled": False})
    assert (patched.number, patched.enabled) == ("77778", False)
    assert await b2core.delete_account(created.account_id) is None
    with pytest.raises(errors.NotFound):
        await b2core.get_account(created.account_id)


async def test_explicit_create_token(b2core: Any) -> None:
    token = await b2core.create_token(body={"grant_type": "client_credentials"})
    assert token.access_token and token.token_type.lower() == "bearer"
    assert token.expires_in


@pytest.mark.sandbox_only
async def test_token_is_reused_until_it_expires(clients: Clients, clock: SharedClock) -> None:
    seen = Exchanges()
    b2core = clients.make(API, plugins=[seen])
    first = await b2core.list_accounts(limit=1)
    await b2core.get_account(first[0].account_id)
    clock.advance(601)  # client and sandbox agree: the 600 s token has expired
    await b2core.get_account(first[0].account_id)
    assert seen.seen == [
        ("createToken", 200),
        ("listAccounts", 200),
        ("getAccount", 200),
        ("createToken", 200),  # refreshed before sending, no 401 on the wire
        ("getAccount", 200),
    ]


@pytest.mark.sandbox_only
async def test_revoked_token_is_refreshed_after_a_401(clients: Clients, arrange: Any) -> None:
    seen = Exchanges()
    b2core = clients.make(API, plugins=[seen])
    first = await b2core.list_accounts(limit=1)
    arrange(lambda sandbox: sandbox.b2core.tokens.clear())  # the server forgets every token
    again = await b2core.get_account(first[0].account_id)
    assert again.account_id == first[0].account_id
    assert seen.seen == [
        ("createToken", 200),
        ("listAccounts", 200),
        ("getAccount", 401),
        ("createToken", 200),
        ("getAccount", 200),
    ]


# --- failures ----------------------------------------------------------------------------------
async def test_wrong_client_secret(clients: Clients) -> None:
    b2core = clients.make(API, client_secret=WRONG_TOKEN)
    with pytest.raises(errors.AuthenticationError) as error:
        await b2core.list_accounts()
    assert (error.value.operation, error.value.status) == ("createToken", 401)
    assert WRONG_TOKEN not in str(error.value) + repr(error.value)


@pytest.mark.sandbox_only
async def test_forbidden_client(clients: Clients) -> None:
    b2core = clients.make(API, client_id="forbidden", client_secret=B2_FORBIDDEN_SECRET)
    with pytest.raises(errors.PermissionDenied) as error:
        await b2core.list_accounts()
    assert (error.value.operation, error.value.status) == ("listAccounts", 403)


async def test_unknown_account(b2core: Any) -> None:
    with pytest.raises(errors.NotFound) as error:
        await b2core.get_account(UNKNOWN_ID)
    assert (error.value.operation, error.value.status) == ("getAccount", 404)


@pytest.mark.sandbox_only
async def test_unknown_filter_is_a_400(b2core: Any) -> None:
    with pytest.raises(errors.InvalidRequest, match=r"filter_\.colour: not a field"):
        await b2core.list_accounts(filter_={"colour": "red"})  # a mapping: refused, unsent
    newer = AccountFilter()
    newer["colour"] = "red"  # a model carries fields the spec lacks: sent, and refused
    with pytest.raises(errors.ValidationError) as error:
        await b2core.list_accounts(filter_=newer)
    assert (error.value.status, error.value.code) == (400, "400")
    assert error.value.details


@pytest.mark.sandbox_only
async def test_unknown_platform_is_a_422(b2core: Any) -> None:
    template = (await b2core.list_accounts(limit=1))[0]
    body = {"number": "88888", "platformId": "nope", "profileId": template.profile_id}
    with pytest.raises(errors.ValidationError) as error:
        await b2core.create_account(body=body)
    assert (error.value.operation, error.value.status) == ("createAccount", 422)


@pytest.mark.sandbox_only
async def test_number_taken_on_update_is_a_422(b2core: Any) -> None:
    accounts = await b2core.list_accounts()
    first, second = [a for a in accounts if a.platform_id == accounts[0].platform_id][:2]
    with pytest.raises(errors.ValidationError) as error:
        await b2core.update_account(first.account_id, body={"number": second.number})
    assert (error.value.operation, error.value.status) == ("updateAccount", 422)


@pytest.mark.sandbox_only
async def test_rate_limited(clients: Clients, fault: Any) -> None:
    b2core = clients.make(API, max_retries=0)
    await b2core.create_token(body={"grant_type": "client_credentials"})
    fault("429", api=API)
    with pytest.raises(errors.RateLimited) as error:
        await b2core.create_token(body={"grant_type": "client_credentials"})
    assert (error.value.status, error.value.retry_after) == (429, 1.0)


@pytest.mark.sandbox_only
@pytest.mark.parametrize(
    ("mode", "exception"),
    [
        ("html-500", errors.ServerError),
        ("html-502", errors.ServerError),
        ("html-503", errors.ServiceUnavailable),
        ("html-504", errors.ServerError),
    ],
    ids=["html-500", "html-502", "html-503", "html-504"],
)
async def test_html_error_pages(
    clients: Clients, fault: Any, mode: str, exception: type[errors.ApiError]
) -> None:
    b2core = clients.make(API, max_retries=0)
    fault(mode, api=API)
    with pytest.raises(exception) as error:
        await b2core.create_token(body={"grant_type": "client_credentials"})
    assert error.value.status == int(mode[-3:])


@pytest.mark.sandbox_only
@pytest.mark.parametrize("mode", ["malformed-json", "truncated-json", "empty-body"])
async def test_unparsable_answer(clients: Clients, fault: Any, mode: str) -> None:
    b2core = clients.make(API, max_retries=0)
    fault(mode, api=API)
    with pytest.raises(errors.UnexpectedResponse):
        await b2core.create_token(body={"grant_type": "client_credentials"})


@pytest.mark.sandbox_only
async def test_bad_gateway_on_a_read_is_retried(
    b2core: Any, clock: SharedClock, fault: Any
) -> None:
    await b2core.create_token(body={"grant_type": "client_credentials"})
    fault("html-502", api=API)
    assert await b2core.list_accounts(limit=1)
    assert len(clock.waits) == 1


@pytest.mark.sandbox_only
async def test_create_is_not_resent_after_a_server_error(
    b2core: Any, clock: SharedClock, fault: Any
) -> None:
    """A POST without a transaction-id may have been applied: never sent twice."""
    template = (await b2core.list_accounts(limit=1))[0]
    body = {"number": "99999", "platformId": template.platform_id, "profileId": template.profile_id}
    fault("html-503", api=API)
    with pytest.raises(errors.ServiceUnavailable):
        await b2core.create_account(body=body)
    assert clock.waits == []
