"""The facades' docstrings, which the API reference renders: every method says what it raises."""

from __future__ import annotations

import inspect

import pytest

import brokerlink
from brokerlink import errors

FACADES = [
    brokerlink.MetaApi,
    brokerlink.AsyncMetaApi,
    brokerlink.BrokerWork,
    brokerlink.AsyncBrokerWork,
    brokerlink.B2Core,
    brokerlink.AsyncB2Core,
]
METHODS = [
    (facade, name)
    for facade in FACADES
    for name, member in vars(facade).items()
    if inspect.isfunction(member) and not name.startswith("_")
]


def raised(doc: str) -> dict[str, str]:
    """The ``Raises:`` section as exception name -> when (continuation lines joined)."""
    section = doc.split("\nRaises:\n", 1)[1]
    rows: dict[str, str] = {}
    name = ""
    for line in section.splitlines():
        if line.startswith("        "):
            rows[name] += " " + line.strip()
        elif line.startswith("    "):
            name, _, when = line.strip().partition(": ")
            rows[name] = when
        else:
            break
    return rows


@pytest.mark.parametrize(("facade", "name"), METHODS, ids=[f"{f.__name__}.{n}" for f, n in METHODS])
def test_every_method_names_real_error_classes(facade: type, name: str) -> None:
    rows = raised(inspect.getdoc(getattr(facade, name)) or "")
    assert rows["TransportError | ServerError | UnexpectedResponse"]
    for names in rows:
        for cls in names.split(" | "):
            assert issubclass(getattr(errors, cls), errors.BrokerLinkError), cls


def test_a_guarded_polled_call_names_the_broker_refusals_and_the_guard() -> None:
    rows = raised(inspect.getdoc(brokerlink.MetaApi.create_account) or "")
    assert rows["NotFound"] == "HTTP 404."
    assert "InvalidBrokerCredentials" in rows["BrokerAccountRejected"]
    assert {"PollTimeout", "KnownBadCredentials | TooManyRejectedAttempts"} <= set(rows)
    unguarded = raised(inspect.getdoc(brokerlink.AsyncMetaApi.list_regions) or "")
    assert set(unguarded) == {
        "AuthenticationError",
        "PermissionDenied",
        "RateLimited",
        "TransportError | ServerError | UnexpectedResponse",
    }


def test_broker_work_failures_inside_http_200_name_their_classes() -> None:
    rows = raised(inspect.getdoc(brokerlink.BrokerWork.get_account_info) or "")
    assert rows["ApiError"].startswith("A failure code inside HTTP 200")
    assert "ValidationError" in rows["ApiError"] and "RateLimited" in rows["ApiError"]
    b2core = raised(inspect.getdoc(brokerlink.B2Core.list_accounts) or "")
    assert b2core["ValidationError"] == "HTTP 400, 422."


def test_each_credential_is_its_own_argument() -> None:
    doc = inspect.getdoc(brokerlink.BrokerWork.__init__) or ""
    assert (
        "    tenant_id: The tenant's id (e.g. `T001117`). Sent as the `x-api-tenantId` header.\n"
        in doc
    )
    assert "\n    token: The tenant's API token. Sent as the `x-api-token` header.\n" in doc
