"""Answers the specs do not describe exactly still parse, and go back out unchanged.

Unknown enum values, unknown fields, full-precision money and the shapes where the vendors' docs and
samples disagree are fed to the generated models (or, for whole answers, to the generated
``_parse_response`` through an ``httpx.Response`` built in memory).
"""

from __future__ import annotations

import copy
import decimal
import json
import pickle
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from brokerlink.generated.b2core.api.accounts import get_account as b2core_get_account
from brokerlink.generated.b2core.models import Account as B2CoreAccount
from brokerlink.generated.b2core.models import AccountType as B2CoreAccountType
from brokerlink.generated.brokerwork.api.accounts import get_account_info
from brokerlink.generated.brokerwork.models import (
    AccountInfo,
    AccountInfoResponse,
    AccountListItem,
    AccountListResponse,
    AccountPage,
    CommissionAccount,
    CommissionAccountResponse,
    CreateIntroduceLinkRequest,
    IntroduceType,
    OpenCommissionAccountRequest,
    TotalMarginCalculationType,
    TradeType,
)
from brokerlink.generated.brokerwork.models import AccountType as BrokerWorkAccountType
from brokerlink.generated.metaapi.api.accounts import create_account, get_account, list_accounts
from brokerlink.generated.metaapi.models import (
    AccountState,
    ConnectionStatus,
    CopyFactoryRole,
    Error,
    ErrorCode,
    ErrorCodeDetails,
    FieldError,
    MetatraderAccount,
    MetatraderAccountList,
    MetatraderVersion,
    NewMetatraderAccount,
)
from brokerlink.generated.metaapi.models import AccountType as MetaApiAccountType

DECIMAL_ZERO_BUG = (
    "decimal_property.py.jinja serialises with str(Decimal), which switches to exponent notation "
    "for zero and for magnitudes below 1e-6 ('0.000000000000000000' -> '0E-18'); "
    "it should use format(Decimal(str(x)), 'f')"
)
IS_KNOWN_BUG = (
    "is_known compares the pseudo-member's _name_ (set to the raw value) with member names, so an "
    "unknown value spelled like a member name (AccountType('CLOUD')) claims to be known; it should "
    "be `type(self).__members__.get(self._name_) is self`"
)


def _response(status: int, body: Any) -> httpx.Response:
    """An answer as the server would send it: JSON text, parsed by the generated code itself."""
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def _metaapi_account(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9",
        "login": "1234567",
        "name": "Trading account #1",
        "server": "ICMarketsSC-Demo",
        "magic": 123456,
        "state": "DEPLOYED",
        "type": "cloud-g2",
        "connectionStatus": "CONNECTED",
        "version": 5,
        "copyFactoryRoles": ["PROVIDER"],
        **fields,
    }


def _b2core_account(**fields: Any) -> dict[str, Any]:
    return {
        "accountId": "6006dda272f002519c3eb505",
        "number": "12345",
        "type": 2,
        "currency": "BTC",
        "balance": "3.000000000000000000",
        "createTime": "2021-01-01T00:00:00+00:00",
        **fields,
    }


# --------------------------------------------------------------------------------------------
# Open enums
# --------------------------------------------------------------------------------------------


def test_metaapi_account_with_unknown_enum_values_parses_and_round_trips() -> None:
    body = _metaapi_account(
        state="HIBERNATED",
        type="cloud-g3",
        connectionStatus="CONNECTED_TO_BACKUP",
        version=6,
        copyFactoryRoles=["PROVIDER", "AUDITOR"],
    )
    parsed = get_account._parse_response(_response(200, body))

    assert isinstance(parsed, MetatraderAccount)
    assert isinstance(parsed.state, AccountState)
    assert parsed.state == "HIBERNATED"
    assert not parsed.state.is_known
    assert isinstance(parsed.type_, MetaApiAccountType)
    assert parsed.type_.value == "cloud-g3"
    assert not parsed.type_.is_known
    assert isinstance(parsed.connection_status, ConnectionStatus)
    assert parsed.connection_status.value == "CONNECTED_TO_BACKUP"
    assert not parsed.connection_status.is_known
    assert isinstance(parsed.version, MetatraderVersion)
    assert parsed.version == 6
    assert not parsed.version.is_known
    assert parsed.copy_factory_roles == [CopyFactoryRole.PROVIDER, CopyFactoryRole("AUDITOR")]
    assert isinstance(parsed.copy_factory_roles, list)
    assert [role.is_known for role in parsed.copy_factory_roles] == [True, False]
    assert parsed.to_dict() == body


def test_documented_enum_values_are_known_members() -> None:
    parsed = MetatraderAccount.from_dict(_metaapi_account())
    assert parsed.state is AccountState.DEPLOYED
    assert parsed.type_ is MetaApiAccountType.CLOUD_G2
    assert parsed.connection_status is ConnectionStatus.CONNECTED
    assert parsed.version is MetatraderVersion.VALUE_5
    for member in (parsed.state, parsed.type_, parsed.connection_status, parsed.version):
        assert member.is_known
    assert B2CoreAccountType(2) is B2CoreAccountType.VALUE_2
    assert B2CoreAccountType(2).is_known
    assert BrokerWorkAccountType("HEDGED") is BrokerWorkAccountType.HEDGED
    assert BrokerWorkAccountType("HEDGED").is_known


@pytest.mark.parametrize(
    ("enum", "value"),
    [
        (AccountState, "HIBERNATED"),
        (MetaApiAccountType, "cloud-g3"),
        (ConnectionStatus, "CONNECTED_TO_BACKUP"),
        (ErrorCode, "E_NEW_REASON"),
        (MetatraderVersion, 6),
        (B2CoreAccountType, 42),
        (B2CoreAccountType, -1),
        (BrokerWorkAccountType, "SPREAD_BETTING_PRO"),
        (TotalMarginCalculationType, "AVG"),
    ],
)
def test_unknown_enum_value_is_one_stable_unknown_member(enum: Any, value: Any) -> None:
    member = enum(value)
    assert isinstance(member, enum)
    assert member.value == value
    assert member == value
    assert str(member) == str(value)
    assert member.is_known is False
    assert enum(value) is member
    assert copy.deepcopy(member) is member
    assert pickle.loads(pickle.dumps(member)) is member
    assert member not in list(enum), "an unknown value must not become a documented member"
    assert all(known.is_known for known in enum)


@pytest.mark.parametrize(("enum", "value"), [(B2CoreAccountType, "2"), (AccountState, 3)])
def test_enum_value_of_the_wrong_json_type_is_rejected(enum: Any, value: Any) -> None:
    with pytest.raises(ValueError):
        enum(value)


@pytest.mark.parametrize(
    ("enum", "value"),
    [(MetaApiAccountType, "CLOUD"), (IntroduceType, "AGENT"), (TradeType, "BUY")],
)
def test_unknown_value_spelled_like_a_member_name_is_not_known(enum: Any, value: Any) -> None:
    member = enum(value)
    assert all(member is not known for known in enum)
    assert member.is_known is False


def test_b2core_unknown_account_type_round_trips() -> None:
    body = _b2core_account(type=42)
    parsed = B2CoreAccount.from_dict(body)
    assert isinstance(parsed.type_, B2CoreAccountType)
    assert parsed.type_ == 42
    assert parsed.type_.is_known is False
    assert B2CoreAccountType(42) is parsed.type_
    assert parsed.to_dict() == body
    assert json.loads(json.dumps(parsed.to_dict()))["type"] == 42


def test_brokerwork_unknown_account_type_round_trips() -> None:
    row = {
        "login": "3004272",
        "accountType": "SPREAD_BETTING_PRO",
        "totalMarginCalculationType": "MAX",
        "leverage": 20,
    }
    parsed = AccountInfo.from_dict(row)
    assert isinstance(parsed.account_type, BrokerWorkAccountType)
    assert parsed.account_type == "SPREAD_BETTING_PRO"
    assert parsed.account_type.is_known is False
    assert parsed.total_margin_calculation_type is TotalMarginCalculationType.MAX
    assert parsed.to_dict() == row


def test_unknown_enum_values_go_out_in_query_parameters() -> None:
    kwargs = list_accounts._get_kwargs(
        state=[AccountState("HIBERNATED"), AccountState.DEPLOYED],
        type_=[MetaApiAccountType("cloud-g3")],
        version=[MetatraderVersion(6)],
    )
    assert kwargs["params"]["state"] == ["HIBERNATED", "DEPLOYED"]
    assert kwargs["params"]["type"] == ["cloud-g3"]
    assert kwargs["params"]["version"] == [6]


# --------------------------------------------------------------------------------------------
# Unknown fields
# --------------------------------------------------------------------------------------------


def test_metaapi_unknown_fields_are_kept_at_every_level() -> None:
    body = _metaapi_account(
        riskLimits={"maxDrawdown": 0.2},
        futureFlag=True,
        metadata={"client": "abc", "nested": {"n": 1}},
        accountReplicas=[
            {"_id": "r1", "region": "london", "state": "DEPLOYED", "replicaNote": "new"}
        ],
        connections=[{"region": "vint-hill", "zone": "a", "application": "MetaApi", "pid": 7}],
    )
    page = {"count": 1, "items": [body], "cursor": "next-token"}
    parsed = list_accounts._parse_response(_response(200, page))

    assert isinstance(parsed, MetatraderAccountList)
    assert parsed.additional_properties == {"cursor": "next-token"}
    assert parsed.items is not None
    account = parsed.items[0]
    assert account.additional_properties == {"riskLimits": {"maxDrawdown": 0.2}, "futureFlag": True}
    assert account["futureFlag"] is True
    assert account.account_replicas is not None
    assert account.account_replicas[0].additional_properties == {"replicaNote": "new"}
    assert account.connections is not None
    assert account.connections[0].additional_properties == {"pid": 7}
    assert account.metadata is not None
    assert account.metadata.additional_properties == {"client": "abc", "nested": {"n": 1}}
    assert parsed.to_dict() == page


def test_bare_array_answer_of_list_accounts_still_parses() -> None:
    body = [_metaapi_account(extra=1), _metaapi_account(_id="second", state="HIBERNATED")]
    parsed = list_accounts._parse_response(_response(200, body))
    assert isinstance(parsed, list)
    assert all(isinstance(account, MetatraderAccount) for account in parsed)
    assert [account.to_dict() for account in parsed] == body


def test_b2core_and_brokerwork_unknown_fields_round_trip() -> None:
    b2core = _b2core_account(riskScore=3, tags=["vip"])
    parsed_b2core = B2CoreAccount.from_dict(b2core)
    assert parsed_b2core.additional_properties == {"riskScore": 3, "tags": ["vip"]}
    assert parsed_b2core.to_dict() == b2core

    envelope = {
        "result": True,
        "mcode": "m0000000",
        "traceId": "abc",
        "data": [{"login": 1, "newFlag": "x"}],
    }
    parsed_envelope = AccountInfoResponse.from_dict(envelope)
    assert parsed_envelope.additional_properties == {"traceId": "abc"}
    assert isinstance(parsed_envelope.data, list)
    assert parsed_envelope.data[0].additional_properties == {"newFlag": "x"}
    assert parsed_envelope.to_dict() == envelope


def test_extra_request_fields_are_sent() -> None:
    body = NewMetatraderAccount.from_dict(
        {"name": "n", "server": "s", "magic": 1, "futureOption": {"x": 1}}
    )
    body["anotherOption"] = "y"
    kwargs = create_account._get_kwargs(body=body, transaction_id="t" * 32)
    assert kwargs["json"] == {
        "name": "n",
        "server": "s",
        "magic": 1,
        "futureOption": {"x": 1},
        "anotherOption": "y",
    }


# --------------------------------------------------------------------------------------------
# B2Core money: Decimal with every digit, never float
# --------------------------------------------------------------------------------------------

MONEY_FIELDS = [
    ("balance", "balance"),
    ("credit", "credit"),
    ("equity", "equity"),
    ("commission", "commission"),
    ("swap", "swap"),
    ("profit", "profit"),
    ("pnl", "pnl"),
    ("deposits", "deposits"),
    ("withdrawals", "withdrawals"),
]


@pytest.mark.parametrize(
    "text",
    [
        "3.000000000000000000",
        "123456789012.123456789012345678",
        "-3000.000000000000000000",
        "6.000000000000000001",
        "0.000001000000000000",
    ],
)
@pytest.mark.parametrize(("key", "attribute"), MONEY_FIELDS)
def test_b2core_money_keeps_all_digits(key: str, attribute: str, text: str) -> None:
    body = _b2core_account(**{key: text})
    parsed = b2core_get_account._parse_response(_response(200, body))

    assert isinstance(parsed, B2CoreAccount)
    amount = getattr(parsed, attribute)
    assert type(amount) is Decimal
    assert amount == Decimal(text)
    assert amount.as_tuple() == Decimal(text).as_tuple(), "trailing zeros are kept"
    assert parsed.to_dict()[key] == text
    assert json.loads(json.dumps(parsed.to_dict()))[key] == text


def test_b2core_money_is_exact_where_float_is_not() -> None:
    text = "123456789012.123456789012345678"
    parsed = B2CoreAccount.from_dict(_b2core_account(balance=text))
    assert str(parsed.balance) == text
    assert parsed.balance != Decimal(float(text))
    assert parsed.balance - Decimal("123456789012") == Decimal("0.123456789012345678")


@pytest.mark.parametrize(
    "text", ["0.000000000000000000", "0.000000000000000001", "-0.000000100000000000"]
)
def test_b2core_small_money_serialises_back_to_the_same_string(text: str) -> None:
    parsed = B2CoreAccount.from_dict(_b2core_account(credit=text))
    assert parsed.credit == Decimal(text)
    assert parsed.to_dict()["credit"] == text


# --------------------------------------------------------------------------------------------
# Broker Work: documented and sampled shapes both parse
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("leverage", ["100", 100])
@pytest.mark.parametrize("login", ["3004272", 3004272])
@pytest.mark.parametrize("lead_source", ["", "asd", 7])
def test_brokerwork_account_info_contradictions(
    leverage: Any, login: Any, lead_source: Any
) -> None:
    row = {"login": login, "leverage": leverage, "leadSource": lead_source, "enable": 1}
    parsed = AccountInfo.from_dict(row)
    assert parsed.login == login
    assert type(parsed.login) is type(login)
    assert parsed.leverage == leverage
    assert type(parsed.leverage) is type(leverage)
    assert parsed.lead_source == lead_source
    assert type(parsed.lead_source) is type(lead_source)
    assert parsed.to_dict() == row


@pytest.mark.parametrize("login", ["20004", 20004])
def test_brokerwork_commission_account_login_string_or_number(login: Any) -> None:
    envelope = {
        "result": True,
        "mcode": "m0000000",
        "data": {"login": login, "serverId": "428", "password": "p", "investorPassword": "i"},
    }
    parsed = CommissionAccountResponse.from_dict(envelope)
    assert isinstance(parsed.data, CommissionAccount)
    assert parsed.data.login == login
    assert parsed.to_dict() == envelope


@pytest.mark.parametrize("total", [105, "105"])
@pytest.mark.parametrize("offset", [0, "0"])
@pytest.mark.parametrize(("login", "leverage"), [(330006, 100), ("330006", "100")])
def test_brokerwork_account_page_contradictions(
    total: Any, offset: Any, login: Any, leverage: Any
) -> None:
    envelope = {
        "result": True,
        "mcode": "m0000000",
        "time": 1575368835183,
        "data": {
            "list": [{"login": login, "leverage": leverage, "regdate": "2019-11-01 05:34:33"}],
            "offset": offset,
            "pager": 1,
            "pages": 21,
            "size": 5,
            "total": total,
        },
    }
    parsed = AccountListResponse.from_dict(envelope)
    assert isinstance(parsed.data, AccountPage)
    assert parsed.data.total == total
    assert type(parsed.data.total) is type(total)
    assert parsed.data.offset == offset
    assert isinstance(parsed.data.list_[0], AccountListItem)
    assert parsed.data.list_[0].login == login
    assert parsed.data.list_[0].leverage == leverage
    assert parsed.to_dict() == envelope


@pytest.mark.parametrize(
    "detail",
    ["", "Invalid serverId", ["serverId is required", "accountId is required"], [], None],
)
@pytest.mark.parametrize("key", ["errorMessage", "message"])
def test_brokerwork_error_message_string_list_or_null(key: str, detail: Any) -> None:
    envelope = {"result": False, "mcode": "BW_INVALID_PARAM", key: detail}
    parsed = get_account_info._parse_response(_response(200, envelope))
    assert isinstance(parsed, AccountInfoResponse)
    assert parsed.result is False
    assert parsed.mcode == "BW_INVALID_PARAM"
    assert parsed.data is None
    value = parsed.error_message if key == "errorMessage" else parsed.message
    assert value == detail
    assert type(value) is type(detail)
    assert parsed.to_dict() == {k: v for k, v in envelope.items() if v is not None}


def test_brokerwork_account_info_data_is_an_array_of_models() -> None:
    envelope = {
        "result": True,
        "mcode": "m0000000",
        "data": [
            {"login": "3004272", "leverage": 20, "leadSource": "", "accountType": "HEDGED"},
            {"login": 3004273, "leverage": "50", "leadSource": 3, "accountType": "NETTED"},
        ],
    }
    parsed = get_account_info._parse_response(_response(200, envelope))
    assert isinstance(parsed, AccountInfoResponse)
    assert isinstance(parsed.data, list)
    assert [type(row) for row in parsed.data] == [AccountInfo, AccountInfo]
    assert [row.account_type for row in parsed.data] == [
        BrokerWorkAccountType.HEDGED,
        BrokerWorkAccountType.NETTED,
    ]
    assert parsed.to_dict() == envelope


@pytest.mark.parametrize("leverage", ["100", 100])
def test_brokerwork_requests_accept_leverage_string_or_number(leverage: Any) -> None:
    link = {
        "name": "apiTest1234",
        "introduceType": "Agent",
        "visibleType": "UserAllVisible",
        "leverage": leverage,
    }
    assert CreateIntroduceLinkRequest.from_dict(link).to_dict() == link
    account = {
        "serverId": "428",
        "enable": "1",
        "readOnly": 0,
        "group": "g",
        "leverage": leverage,
        "name": "n",
    }
    assert OpenCommissionAccountRequest.from_dict(account).to_dict() == account


# --------------------------------------------------------------------------------------------
# MetaApi Error.details: code, object with a code, list of field errors
# --------------------------------------------------------------------------------------------


def _metaapi_error(details: Any) -> Error:
    body = {"id": 3, "error": "ValidationError", "message": "failed", "details": details}
    parsed = create_account._parse_response(_response(400, body))
    assert isinstance(parsed, Error)
    assert parsed.to_dict() == body
    return parsed


def test_error_details_as_a_code() -> None:
    parsed = _metaapi_error("E_AUTH")
    assert parsed.details is ErrorCode.E_AUTH
    assert parsed.details.is_known


def test_error_details_as_an_unknown_code() -> None:
    parsed = _metaapi_error("E_BROKER_MAINTENANCE")
    assert isinstance(parsed.details, ErrorCode)
    assert parsed.details.is_known is False


def test_error_details_with_servers_by_brokers() -> None:
    servers = {"Raw Trading Ltd": ["ICMarketsSC-Demo", "ICMarketsSC-MT5"], "Other Ltd": []}
    parsed = _metaapi_error({"code": "E_SRV_NOT_FOUND", "serversByBrokers": servers, "hint": 1})
    assert isinstance(parsed.details, ErrorCodeDetails)
    assert parsed.details.code is ErrorCode.E_SRV_NOT_FOUND
    assert parsed.details.servers_by_brokers is not None
    assert parsed.details.servers_by_brokers.additional_properties == servers
    assert parsed.details.additional_properties == {"hint": 1}


def test_error_details_with_recommended_resource_slots() -> None:
    parsed = _metaapi_error({"code": "E_RESOURCE_SLOTS", "recommendedResourceSlots": 2})
    assert isinstance(parsed.details, ErrorCodeDetails)
    assert parsed.details.code is ErrorCode.E_RESOURCE_SLOTS
    assert parsed.details.recommended_resource_slots == 2


def test_error_details_object_with_an_unknown_code() -> None:
    parsed = _metaapi_error({"code": "E_NEW", "retryAfter": 30})
    assert isinstance(parsed.details, ErrorCodeDetails)
    assert parsed.details.code.is_known is False
    assert parsed.details.additional_properties == {"retryAfter": 30}


def test_error_details_as_field_errors() -> None:
    details = [
        {"parameter": "password", "value": "wrong", "message": "Invalid value"},
        {"parameter": "magic", "value": -1, "message": "Must be positive", "rule": "min"},
        {"parameter": "tags", "value": ["a", None], "message": "Bad"},
    ]
    parsed = _metaapi_error(details)
    assert isinstance(parsed.details, list)
    assert all(isinstance(item, FieldError) for item in parsed.details)
    assert [item.parameter for item in parsed.details] == ["password", "magic", "tags"]
    assert parsed.details[1].value == -1
    assert parsed.details[1].additional_properties == {"rule": "min"}


def test_error_without_details_parses() -> None:
    body = {"id": 1, "error": "NotFoundError", "message": "Not found", "extra": True}
    parsed = Error.from_dict(body)
    assert parsed.details is None
    assert parsed.to_dict() == body


# --------------------------------------------------------------------------------------------
# Property: any 18-place decimal survives a B2Core account round trip
# --------------------------------------------------------------------------------------------

MONEY = st.decimals(allow_nan=False, allow_infinity=False, places=18)


@given(amount=MONEY)
def test_b2core_decimal_value_round_trips(amount: Decimal) -> None:
    text = format(amount, "f")
    body = _b2core_account(balance=text, withdrawals=text)
    parsed = B2CoreAccount.from_dict(json.loads(json.dumps(body)))
    assert type(parsed.balance) is Decimal
    assert parsed.balance == amount
    assert parsed.balance.as_tuple() == decimal.Decimal(text).as_tuple()
    dumped = parsed.to_dict()
    assert isinstance(dumped["balance"], str)
    assert Decimal(dumped["balance"]).as_tuple() == Decimal(text).as_tuple()
    assert B2CoreAccount.from_dict(dumped).to_dict() == dumped


@given(amount=MONEY)
@example(amount=Decimal("0.000000000000000000"))
def test_b2core_decimal_text_round_trips_exactly(amount: Decimal) -> None:
    text = format(amount, "f")
    parsed = B2CoreAccount.from_dict(_b2core_account(balance=text))
    assert parsed.to_dict()["balance"] == text
