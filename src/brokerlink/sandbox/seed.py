"""The demo data every sandbox starts with (reference data survives ``seed=False``)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from brokerlink.sandbox.clock import iso_offset, iso_utc, parse_naive
from brokerlink.sandbox.state import (
    B2Account,
    B2CoreStore,
    BrokerWorkStore,
    BwAccount,
    MetaApiStore,
    MtAccount,
    MtReplica,
    ProvisioningProfile,
)

JSON = dict[str, Any]

REGIONS = ["vint-hill", "new-york", "london", "singapore"]
USER_ID = "f6a1bc2e3d4f5a6b7c8d9e0f1a2b3c4d"

# Seeded MetaApi ids (stable so tests and docs can name them).
MT4_ACCOUNT_ID = "1eda642a-a9a3-457c-99af-3bc5e8d5c4c9"
MT5_ACCOUNT_ID = "861ceafd-a58e-2fb9-a9bb-c9dd449f3bb4"
DRAFT_ACCOUNT_ID = "3b1c7e7c-2f4e-4f0e-9d55-6a0cf0d1d001"
STALE_ACCOUNT_ID = "9c2d5e11-7b3a-4c8e-a1f0-52e6d7a8b002"
REPLICA_ID = "5f0f4a3e-8c21-4b5e-9e11-0d6f2b7c3a01"
EXPERT_ID = "grid-eurusd"
"""The expert advisor of the MT4 account (custom advisors run on MetaTrader 4)."""
MT5_PROFILE_ID = "2c6f9a0e-4d3b-4b8a-8f1e-7a5d0c9b1e01"
MT4_PROFILE_ID = "7e4b2d1c-9a8f-4e6d-b5c3-1f0a9e8d7c02"


def money(value: Decimal | int | str) -> str:
    """A decimal string with exactly 18 fractional digits."""
    return f"{Decimal(value):.18f}"


def mt_account_doc(account_id: str, created: float, **fields: Any) -> JSON:
    """A full MetatraderAccount document with sandbox defaults."""
    doc: JSON = {
        "_id": account_id,
        "name": "",
        "server": "",
        "magic": 0,
        "version": 5,
        "type": "cloud-g2",
        "region": "vint-hill",
        "state": "UNDEPLOYED",
        "connectionStatus": "DISCONNECTED",
        "reliability": "regular",
        "resourceSlots": 1,
        "copyFactoryResourceSlots": 1,
        "quoteStreamingIntervalInSeconds": 2.5,
        "manualTrades": False,
        "tags": [],
        "metadata": {},
        "copyFactoryRoles": [],
        "riskManagementApiEnabled": False,
        "metastatsApiEnabled": False,
        "allocateDedicatedIp": "none",
        "userId": USER_ID,
        "primaryReplica": True,
        "connections": [],
        "createdAt": iso_utc(created),
        "hash": account_hash(account_id),
    }
    doc.update(fields)
    return doc


def account_hash(account_id: str) -> int:
    """A stable hash code of an account (the spec's ``hash``: a number), from its id."""
    return int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16)


def seed_metaapi(now: float, *, empty: bool = False) -> MetaApiStore:
    store = MetaApiStore(regions=list(REGIONS))
    for region in REGIONS:
        store.quotas[region] = {
            "maxAccounts": 1000,
            "maxDeployedG1Accounts": 100,
            "maxDeployedG2Accounts": 500,
            "maxDeployedCopyFactoryAccounts": 50,
        }
    if empty:
        return store
    store.profiles[MT5_PROFILE_ID] = ProvisioningProfile(
        doc={
            "_id": MT5_PROFILE_ID,
            "name": "ICMarkets MT5",
            "version": 5,
            "status": "active",
            "type": "mtTerminal",
            "brokerTimezone": "EET",
            "brokerDSTSwitchTimezone": "EET",
        },
        files={"servers.dat": 18_432},
    )
    store.profiles[MT4_PROFILE_ID] = ProvisioningProfile(
        doc={
            "_id": MT4_PROFILE_ID,
            "name": "Exness MT4",
            "version": 4,
            "status": "new",
            "type": "mtTerminal",
            "brokerTimezone": "EET",
            "brokerDSTSwitchTimezone": "EET",
        }
    )
    mt4 = MtAccount(
        doc=mt_account_doc(
            MT4_ACCOUNT_ID,
            now - 86_400 * 30,
            name="Trading account #1",
            login="1234567",
            server="ICMarketsSC-Demo",
            magic=123456,
            version=4,
            state="DEPLOYED",
            connectionStatus="CONNECTED",
            reliability="high",
            tags=["main"],
            baseCurrency="USD",
            connections=[{"region": "vint-hill", "zone": "a", "application": "MetaApi"}],
        ),
        password="qwerty",
    )
    mt4.experts[EXPERT_ID] = {
        "expertId": EXPERT_ID,
        "period": "1h",
        "symbol": "EURUSD",
        "fileUploaded": True,
    }
    mt4.replicas[REPLICA_ID] = MtReplica(
        doc={
            "_id": REPLICA_ID,
            "state": "DEPLOYED",
            "magic": 123456,
            "connectionStatus": "CONNECTED",
            "quoteStreamingIntervalInSeconds": 2.5,
            "reliability": "high",
            "tags": [],
            "metadata": {},
            "resourceSlots": 1,
            "copyFactoryResourceSlots": 1,
            "region": "london",
            "createdAt": iso_utc(now - 86_400 * 20),
        }
    )
    mt5 = MtAccount(
        doc=mt_account_doc(
            MT5_ACCOUNT_ID,
            now - 86_400 * 10,
            name="Strategy MT5",
            login="50123456",
            server="ICMarketsSC-MT5",
            provisioningProfileId=MT5_PROFILE_ID,
            magic=0,
            manualTrades=True,
            metadata={"desk": "fx"},
            baseCurrency="EUR",
        ),
        password="Abcd1234",
    )
    draft = MtAccount(
        doc=mt_account_doc(
            DRAFT_ACCOUNT_ID,
            now - 86_400 * 2,
            name="Awaiting credentials",
            server="ICMarketsSC-Demo",
            magic=7,
            state="DRAFT",
        )
    )
    stale = MtAccount(
        doc=mt_account_doc(
            STALE_ACCOUNT_ID,
            now - 86_400,
            name="Password changed at broker",
            login="7654321",
            server="ICMarketsSC-Demo",
            magic=42,
            version=4,
        ),
        password="deploy:E_AUTH",
        deploy_error="E_AUTH",
    )
    for account in (mt4, mt5, draft, stale):
        store.accounts[account.doc["_id"]] = account
    return store


# --- Broker Work -------------------------------------------------------------------------------
_LEVELS = [
    {"id": 1, "level": 0, "name": "Master agent"},
    {"id": 3, "level": 1, "name": "Agent"},
    {"id": 4, "level": 2, "name": "Sub-agent"},
    {"id": 5, "level": 3, "name": "IB"},
]
BW_SERVERS = {"1", "428", "429", "454"}


def bw_user(uid: int, email: str, name: str, **fields: Any) -> JSON:
    """A Broker Work user document in the shape the user endpoints answer."""
    phone = fields.pop("phone", {"countryCode": "", "phone": ""})
    doc: JSON = {
        "id": uid,
        "email": email,
        "name": name,
        "entityNo": f"E{uid:03d}",
        "roleId": 2,
        "levelId": 5,
        "address": "",
        "city": "",
        "comment": "",
        "country": "",
        "province": "",
        "password": "",
        "phone": {**phone, "phoneStr": f"{phone['countryCode']} {phone['phone']}"},
        "sendEmail": False,
    }
    doc.update(fields)
    return doc


def bw_account(
    server_id: str,
    login: int,
    regdate: str,
    *,
    currency: str = "USD",
    group: str = "Default",
    leverage: int = 100,
    owner_id: int = 0,
    name: str = "",
    email: str = "",
    balance: str = "0",
) -> BwAccount:
    """A Broker Work account; its ``info`` follows the account-info sample."""
    info: JSON = {
        "accountType": "HEDGED",
        "currency": currency,
        "enable": 1,
        "frenchRisk": False,
        "group": group,
        "leadSource": "",
        "leverage": leverage,
        "login": str(login),
        "maxLeverage": 0,
        "readOnly": 0,
        "regdate": regdate,
        "sendReports": 0,
        "swapFree": False,
        "totalMarginCalculationType": "MAX",
    }
    if owner_id:
        info["oweId"] = str(owner_id)
    return BwAccount(
        server_id=server_id,
        login=login,
        info=info,
        name=name,
        email=email,
        owner_id=owner_id,
        regdate=parse_naive(regdate) or 0.0,
        balance=Decimal(balance),
    )


def seed_brokerwork(now: float, *, empty: bool = False) -> BrokerWorkStore:
    store = BrokerWorkStore(levels=[dict(level) for level in _LEVELS], servers=set(BW_SERVERS))
    if empty:
        return store
    users = [
        bw_user(1, "admin@broker.example", "Admin", roleId=1, levelId=1, serverId=429),
        bw_user(
            4,
            "steven@broker.example",
            "steven",
            roleId=1,
            levelId=1,
            parentId=1,
            login=100117,
            serverId=429,
        ),
        bw_user(71, "agent.a1@broker.example", "A1", levelId=3, parentId=4),
        bw_user(72, "agent.a111@broker.example", "A111", levelId=4, parentId=71),
        bw_user(
            85,
            "trader@broker.example",
            "Trader",
            levelId=5,
            parentId=4,
            phone={"countryCode": "+44", "phone": "7700900123"},
        ),
    ]
    for user in users:
        store.users[user["id"]] = user
        store.passwords[user["id"]] = "Abcd1234"
    store.last_login[85] = 1_574_908_245_729
    accounts = [
        bw_account(
            "1",
            3004272,
            "2016-10-05 15:52:47",
            currency="EUR",
            leverage=20,
            owner_id=4,
            name="steven",
            balance="1500.50",
        ),
        bw_account(
            "1",
            3004273,
            "2016-10-06 16:02:17",
            group="HFT",
            leverage=300,
            owner_id=71,
            name="A1",
            balance="25000",
        ),
        bw_account(
            "428",
            1122334496,
            "2016-07-01 08:00:00",
            owner_id=85,
            name="Trader",
            email="trader@broker.example",
            balance="100000",
        ),
        bw_account(
            "428",
            1234580230,
            "2017-08-01 09:30:00",
            owner_id=85,
            name="Trader",
            email="trader@broker.example",
            balance="50000",
        ),
        bw_account(
            "428", 2109730462, "2019-10-30 12:00:00", owner_id=72, name="A111", balance="10"
        ),
    ]
    # 30 accounts opened in November 2019 on server 428, for pagination.
    for index in range(30):
        day, minute = 1 + index % 27, index * 7 % 60
        accounts.append(
            bw_account(
                "428",
                330_000 + index,
                f"2019-11-{day:02d} 05:{minute:02d}:33",
                group="amity-online",
                leverage=100 if index % 3 else 1,
                owner_id=(0, 4, 71, 72)[index % 4],
                name=f"client{index}@mail.example",
                email=f"client{index}@mail.example",
                balance=str(1000 + index * 250),
            )
        )
    for account in accounts:
        store.accounts[(account.server_id, account.login)] = account
    for ticket, (price, when, profit, side) in enumerate(
        [
            (1.17294, "2017-08-16 06:26:21", 1929, "buy"),
            (1.17393, "2017-08-16 03:25:53", 1830, "buy"),
            (1.17394, "2017-08-16 03:25:41", 1829, "buy"),
            (1.17387, "2017-08-16 03:24:37", -1855, "sell"),
            (1.17263, "2017-08-16 06:28:21", 1960, "buy"),
        ]
    ):
        store.positions.append(
            {
                "_serverId": "428",
                "accountId": 1234580230,
                "ticket": 3215317 - ticket,
                "openTime": when,
                "openPrice": price,
                "type": side,
                "symbol": "EURUSD",
                "volume": 1,
                "profit": profit,
                "sl": 0,
                "tp": 0,
            }
        )
    store.positions.append(
        {
            "_serverId": "1",
            "accountId": 3004273,
            "ticket": 880011,
            "openTime": "2019-11-20 10:00:00",
            "openPrice": 108.61,
            "type": "sell",
            "symbol": "USDJPY",
            "volume": 0.5,
            "profit": -12.4,
            "sl": 109.5,
            "tp": 107.0,
        }
    )
    deals = [
        (192290, "USDJPY", 105.67, "2016-07-21 09:32:52", 100.426, 522.18, -0.03, 0, 0.1),
        (192249, "EURUSD", 1.10639, "2016-07-20 02:31:22", 1.1275, -2111, -0.28, -1, 1),
        (192246, "EURUSD", 1.10639, "2016-07-19 10:56:20", 1.39099, -28460, -0.29, -1, 1),
    ]
    for number, symbol, open_price, opened, close_price, result, swap, fee, lots in deals:
        store.deals.append(
            {
                "_serverId": "428",
                "accountId": 1122334496,
                "ticket": number,
                "symbol": symbol,
                "openPrice": open_price,
                "openTime": opened,
                "closePrice": close_price,
                "closeTime": "2016-08-17 14:50:30",
                "profit": result,
                "swap": swap,
                "commission": fee,
                "type": "sell",
                "volume": lots,
                "sl": 0,
                "tp": 0,
            }
        )
    for index in range(25):
        custom_id = f"c{index:07d}-ad43-4457-a418-6cd0a72483a6"
        created = f"2019-11-{1 + index:02d} 14:13:{index:02d}"
        store.customers[custom_id] = {
            "_id": custom_id,
            "customName": f"client{index}@mail.example",
            "email": f"client{index}@mail.example" if index % 2 else "",
            "customNo": f"CN{index:04d}",
            "oweId": str((4, 71, 72)[index % 3]),
            "customerState": ("Potential", "Deposited", "Trading")[index % 3],
            "commendId": "",
            "phones": {"countryCode": "+86", "phone": f"13800{index:06d}"},
            "createTime": created,
        }
        store.customer_times[custom_id] = parse_naive(created) or 0.0
    for day in range(1, 31):
        for user_id, parent in ((4, 1), (71, 4), (72, 71)):
            value = round(10 + day * 1.37 + user_id * 0.11, 2)
            store.commissions.append(
                {
                    "_serverId": "454",
                    "closeVolume": 1 + day % 3,
                    "commissionValue": value,
                    "date": f"2017-08-{day:02d}",
                    "levelId": 5,
                    "login": 123123 + user_id,
                    "parentId": parent,
                    "userId": user_id,
                    "details": [
                        {
                            "closeVolume": 1 + day % 3,
                            "commissionValue": value,
                            "resultId": day,
                            "symbol": ("EURUSD", "USDCHF", "XAUUSD")[day % 3],
                        }
                    ],
                }
            )
    del now
    return store


# --- B2Core ------------------------------------------------------------------------------------
def seed_b2core(now: float, *, empty: bool = False) -> B2CoreStore:
    store = B2CoreStore()
    store.platforms = {
        "6006dda272f002519c3eb505": {
            "platformId": "6006dda272f002519c3eb505",
            "name": "MetaTrader 5",
            "type": "mt5",
            "environment": "production",
        },
        "6006dda272f002519c3eb506": {
            "platformId": "6006dda272f002519c3eb506",
            "name": "MetaTrader 4",
            "type": "mt4",
            "environment": "demo",
        },
    }
    store.groups = {
        "6006dda272f002519c3eb510": {
            "platformGroupId": "6006dda272f002519c3eb510",
            "platformGroupName": "B2BUSD",
            "platformId": "6006dda272f002519c3eb505",
        },
        "6006dda272f002519c3eb511": {
            "platformGroupId": "6006dda272f002519c3eb511",
            "platformGroupName": "B2BBTC",
            "platformId": "6006dda272f002519c3eb505",
        },
        "6006dda272f002519c3eb512": {
            "platformGroupId": "6006dda272f002519c3eb512",
            "platformGroupName": "DEMO-USD",
            "platformId": "6006dda272f002519c3eb506",
        },
    }
    people = [
        ("6006dda272f002519c3eb520", "6006dda272f002519c3eb530", "Alice", "Martin"),
        ("6006dda272f002519c3eb521", "6006dda272f002519c3eb531", "Bruno", "Keller"),
        ("6006dda272f002519c3eb522", "6006dda272f002519c3eb532", "Chen", "Wei"),
    ]
    for profile_id, user_id, first, last in people:
        store.profiles[profile_id] = {
            "profileId": profile_id,
            "userId": user_id,
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}.{last.lower()}@client.example",
            "phone": f"+4420790{len(first)}{len(last)}000",
        }
    if empty:
        return store
    base = 1_609_459_200  # 2021-01-01T00:00:00+00:00
    rows = [
        ("12345", 0, 1, 2, "BTC", "3", "0", "6", "-3000", True, False, 101),
        ("12346", 0, 0, 0, "USD", "1520.25", "100", "0", "0", True, False, 12),
        ("12347", 1, 1, 3, "USD", "98000.5", "0", "0", "0", False, False, 640),
        ("12348", 0, 2, 0, "EUR", "0", "0", "0", "0", True, True, 0),
        ("50001", 2, 2, 1, "USD", "250", "0", "500", "-250", True, False, 33),
        ("12349", 1, 0, 7, "USD", "1000000.123456789012345678", "0", "0", "0", True, False, 5),
    ]
    groups = list(store.groups.values())
    profiles = list(store.profiles.values())
    for index, row in enumerate(rows):
        (
            number,
            group_index,
            person,
            acc_type,
            currency,
            balance,
            credit,
            deposits,
            withdrawals,
            enabled,
            archived,
            trades,
        ) = row
        group = groups[group_index]
        platform = store.platforms[group["platformId"]]
        profile = profiles[person]
        created = base + index * 86_400 * 5
        account_id = f"{0x6006DDA272F002519C3EB600 + index:024x}"
        doc = b2_account_doc(
            account_id,
            number,
            platform,
            group,
            profile["profileId"],
            created,
            type=acc_type,
            currency=currency,
            enabled=enabled,
            archived=archived,
            balance=money(balance),
            credit=money(credit),
            equity=money(Decimal(balance) + Decimal(credit)),
            deposits=money(deposits),
            withdrawals=money(withdrawals),
        )
        store.accounts[account_id] = B2Account(doc, created, profile["userId"], trades)
    del now
    return store


def b2_account_doc(
    account_id: str,
    number: str,
    platform: JSON,
    group: JSON | None,
    profile_id: str,
    created: float,
    **fields: Any,
) -> JSON:
    """A B2Core Account document with zero money and sandbox defaults."""
    zero = money(0)
    doc: JSON = {
        "accountId": account_id,
        "platformId": platform["platformId"],
        "platformName": platform["name"],
        "profileId": profile_id,
        "number": number,
        "type": 0,
        "archived": False,
        "enabled": True,
        "environment": platform["environment"],
        "currency": "USD",
        "balance": zero,
        "credit": zero,
        "equity": zero,
        "commission": zero,
        "swap": zero,
        "profit": zero,
        "pnl": zero,
        "deposits": zero,
        "withdrawals": zero,
        "uuid": None,
        "createTime": iso_offset(created),
        "updateTime": iso_offset(created),
    }
    if group is not None:
        doc["platformGroupId"] = group["platformGroupId"]
        doc["platformGroupName"] = group["platformGroupName"]
    doc.update(fields)
    return doc
