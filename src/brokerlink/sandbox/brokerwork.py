"""Lean Work "Broker Work" API: users, levels, promotion links, accounts, trades, customers,
commission report. Every answer is the envelope with HTTP 200."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from brokerlink.sandbox.brokerwork_envelope import (
    MAGIC_SERVER_IDS,
    NO_OPENAPI_TENANT,
    Failure,
    failure,
    magic_value,
    success,
)
from brokerlink.sandbox.clock import naive, parse_naive
from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.responses import JSON, BodyError, as_int, read_json, split_list
from brokerlink.sandbox.routing import RouteTable
from brokerlink.sandbox.seed import bw_account, bw_user
from brokerlink.sandbox.state import BwAccount

Handler = Callable[[Request, JSON], Awaitable[Any]]
"""Returns the ``data`` of a successful answer or raises :class:`Failure`."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9 +()-]*$")
# Operations whose failure text goes in ``message`` rather than ``errorMessage``.
_MESSAGE_KEY_PATHS = {
    "/v1/api/user/ids",
    "/v1/api/user/login",
    "/v1/api/account/openCommissionAccount",
}
_BALANCE_TYPES = {"DEPOSITE", "DEPOSIT", "CREDIT_IN", "WITHDRAWAL", "CREDIT_OUT"}
MAX_PAGE_SIZE = 200
MAX_REPORT_PAGE_SIZE = 500


def _page(items: list[Any], page: Any, size: Any, maximum: int) -> JSON:
    """Slice ``items`` as Broker Work pages: ``{list, offset, pager, pages, size, total}``."""
    number = max(1, as_int(page, 1) or 1)
    per_page = min(maximum, max(1, as_int(size, 20) or 20))
    offset = (number - 1) * per_page
    return {
        "list": items[offset : offset + per_page],
        "offset": offset,
        "pager": number,
        "pages": math.ceil(len(items) / per_page),
        "size": per_page,
        "total": len(items),
    }


def _public(row: JSON) -> JSON:
    """Drop the sandbox's private ``_``-prefixed keys."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _logins(values: list[str]) -> set[int]:
    logins: set[int] = set()
    for value in split_list(values):
        login = as_int(value)
        if login is None:
            raise Failure("BW_INVALID_PARAM", f"accountId {value!r} is not a number")
        logins.add(login)
    if not logins:
        raise Failure("BW_INVALID_PARAM", "accountId is required")
    return logins


def _user_ids(values: list[str]) -> set[int]:
    ids = {as_int(v) for v in split_list(values)}
    if not ids or None in ids:
        raise Failure("BW_INVALID_PARAM", "userIds must be a comma-separated list of numbers")
    return {i for i in ids if i is not None}


def _required_time(value: str | None, name: str) -> float:
    if not value:
        raise Failure("BW_INVALID_PARAM", f"{name} is required")
    parsed = parse_naive(value)
    if parsed is None:
        raise Failure("BW_INVALID_PARAM", f"{name} must look like 2019-11-01 00:00:00")
    return parsed


class BrokerWork:
    """Request handlers of the Broker Work API, bound to one :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> RouteTable:
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/v1/api/user/create", self.create_user),
            ("POST", "/v1/api/user/update", self.update_user),
            ("GET", "/v1/api/user/ids", self.get_user_ids),
            ("POST", "/v1/api/user/login", self.login_user),
            ("GET", "/v1/api/user/info", self.get_user_info),
            ("GET", "/v1/api/user/getParentAndLowerUserInfo", self.get_parent_and_lower),
            ("GET", "/v1/api/system/levels", self.list_levels),
            ("POST", "/v1/api/introduce/create", self.create_introduce_link),
            ("POST", "/v1/api/account/openCommissionAccount", self.open_commission_account),
            ("GET", "/v1/api/account/info", self.get_account_info),
            ("GET", "/v1/api/account/list", self.list_accounts),
            ("GET", "/v1/api/account/info/byUserId", self.get_account_info_by_user_id),
            ("GET", "/v1/api/trade/position", self.list_positions),
            ("GET", "/v1/api/trade/deal", self.list_deals),
            ("POST", "/v1/api/account/owner", self.set_account_owner),
            ("POST", "/v1/api/account/balance", self.change_balance),
            ("GET", "/v1/api/custom/info", self.list_customers),
            ("POST", "/v1/api/custom/owner", self.set_customer_owner),
            ("POST", "/v1/api/report/user/commission", self.commission_report),
        ]
        return [
            (method, path, self._envelope(fn, path in _MESSAGE_KEY_PATHS))
            for method, path, fn in table
        ]

    def _now_ms(self) -> int:
        return int(self.sandbox.clock.now() * 1000)

    def _envelope(
        self, handler: Handler, message_key: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        """Auth, magic inputs and the envelope around one handler."""
        key = "message" if message_key else "errorMessage"

        async def endpoint(request: Request) -> Response:
            try:
                body = await self._prepare(request)
                data = await handler(request, body)
            except Failure as exc:
                return failure(exc.mcode, exc.message, self._now_ms(), message_key=key)
            return success(data, self._now_ms())

        return endpoint

    async def _prepare(self, request: Request) -> JSON:
        """Check the tenant headers and magic inputs; return the JSON body (``{}`` for GET)."""
        headers = request.headers
        tenant = headers.get("x-api-tenantid")
        token = headers.get("x-api-token")
        if not token:
            raise Failure("BW_API_0000001")
        if tenant == NO_OPENAPI_TENANT:
            raise Failure("BW_API_0000004")
        tenants = self.sandbox.options.brokerwork_tenants
        if not tenant or (tenants is not None and tenants.get(tenant) != token):
            raise Failure("BW_API_0000003")
        forced = headers.get("x-sandbox-mcode")
        if forced:
            raise Failure(forced)
        for value in request.query_params.values():
            code = magic_value(value)
            if code is not None:
                raise Failure(code)
        body: JSON = {}
        if request.method == "POST":
            try:
                parsed = await read_json(request)
            except BodyError as exc:
                raise Failure("BW_INVALID_PARAM", str(exc)) from exc
            if not isinstance(parsed, dict):
                raise Failure("BW_INVALID_PARAM", "The body must be a JSON object")
            body = parsed
            for value in body.values():
                code = magic_value(value)
                if code is not None:
                    raise Failure(code)
        return body

    def _server(self, server_id: Any) -> str:
        """Validate a serverId (magic ids answer their mcode)."""
        if server_id is None or server_id == "":
            raise Failure("BW_INVALID_PARAM", "serverId is required")
        text = str(server_id)
        if text in MAGIC_SERVER_IDS:
            raise Failure(MAGIC_SERVER_IDS[text])
        if text not in self.sandbox.brokerwork.servers:
            raise Failure("BW_INVALID_SERVERID")
        return text

    # --- users --------------------------------------------------------------------------------
    def _user_doc(self, uid: int) -> JSON:
        return {**self.sandbox.brokerwork.users[uid], "password": ""}

    def _check_user_fields(self, body: JSON, uid: int | None) -> JSON:
        """Validate writable user fields; return them normalised (ints where ints belong)."""
        store = self.sandbox.brokerwork
        fields: JSON = {}
        for key in ("address", "country", "province", "city", "comment", "name"):
            if key in body:
                fields[key] = body[key]
        if "name" in body and (body["name"] is None or body["name"] == ""):
            raise Failure("BW_USER_NAME_NULL")
        if "roleId" in body:
            role = as_int(body["roleId"])
            if role is None:
                raise Failure("bw-user_1009")
            fields["roleId"] = role
        if "levelId" in body:
            level = as_int(body["levelId"])
            if level not in {lvl["id"] for lvl in store.levels}:
                raise Failure("bw-user_1010")
            fields["levelId"] = level
        if "parentId" in body:
            parent = as_int(body["parentId"])
            if parent not in store.users:
                raise Failure("BW_INVALID_PARAM", "parentId is not a user")
            if uid is not None and (parent == uid or uid in self._ancestors(parent)):
                raise Failure("bw-user_1014")
            fields["parentId"] = parent
        if "entityNo" in body:
            entity = str(body["entityNo"])
            if any(u["entityNo"] == entity and u["id"] != uid for u in store.users.values()):
                raise Failure("BW_USER_ENTITYNO_REPEAT")
            fields["entityNo"] = entity
        if "phone" in body:
            phone = body["phone"] if isinstance(body["phone"], dict) else {}
            number, country = str(phone.get("phone", "")), str(phone.get("countryCode", ""))
            if not _PHONE.match(number) or not _PHONE.match(country):
                raise Failure("PUB_AUTH_0000002")
            fields["phone"] = {
                "countryCode": country,
                "phone": number,
                "phoneStr": f"{country} {number}",
            }
        if "login" in body:
            login = as_int(body["login"])
            if login is None:
                raise Failure("BW_INVALID_PARAM", "login must be a number")
            server = body.get("serverId", store.users.get(uid or -1, {}).get("serverId"))
            fields["serverId"] = int(self._server(server))
            fields["login"] = login
        elif "serverId" in body:
            fields["serverId"] = int(self._server(body["serverId"]))
        return fields

    def _ancestors(self, uid: int | None) -> list[int]:
        users = self.sandbox.brokerwork.users
        chain: list[int] = []
        while uid is not None and uid in users and uid not in chain:
            chain.append(uid)
            uid = users[uid].get("parentId")
        return chain

    def _descendants(self, uid: int) -> list[int]:
        users = self.sandbox.brokerwork.users
        found: list[int] = []
        frontier = [uid]
        while frontier:
            parent = frontier.pop(0)
            children = [u for u, doc in users.items() if doc.get("parentId") == parent]
            found += [c for c in children if c not in found and c != uid]
            frontier += children
        return found

    async def create_user(self, request: Request, body: JSON) -> Any:
        store = self.sandbox.brokerwork
        email = body.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email):
            raise Failure("PUB_AUTH_0000001")
        if any(u["email"].lower() == email.lower() for u in store.users.values()):
            raise Failure("PUB_AUTH_0000007")
        if body.get("roleId") is None:
            raise Failure("BW_USER_ROLE_NULL")
        fields = self._check_user_fields(body, None)
        store.next_user_id += 1
        uid = store.next_user_id
        password = body.get("password") or secrets.token_urlsafe(6)
        name = fields.pop("name", email.split("@")[0])
        user = bw_user(uid, email, name, **fields)
        if "entityNo" not in fields:
            user["entityNo"] = secrets.token_hex(2).upper()
        user["sendEmail"] = bool(body.get("sendEmail", False))
        store.users[uid] = user
        store.passwords[uid] = password
        return {**user, "password": password}

    async def update_user(self, request: Request, body: JSON) -> Any:
        store = self.sandbox.brokerwork
        uid = as_int(body.get("id"))
        if uid is None:
            raise Failure("BW_INVALID_PARAM", "id is required")
        if uid not in store.users:
            raise Failure("m0000001", f"User {uid} does not exist")
        fields = self._check_user_fields(body, uid)
        for key in ("points1", "points2", "points3", "points4", "points5", "points6", "points7"):
            if key in body:
                fields[key] = body[key]
        store.users[uid].update(fields)
        return None

    async def get_user_ids(self, request: Request, body: JSON) -> Any:
        email = request.query_params.get("email")
        if not email:
            raise Failure("BW_INVALID_PARAM", "email is required")
        return [
            {"email": u["email"], "userId": u["id"]}
            for u in self.sandbox.brokerwork.users.values()
            if u["email"].lower() == email.lower()
        ]

    async def login_user(self, request: Request, body: JSON) -> Any:
        store = self.sandbox.brokerwork
        email, password = body.get("email"), body.get("password")
        if not email or not password:
            raise Failure("BW_INVALID_PARAM", "email and password are required")
        for uid, user in store.users.items():
            if user["email"].lower() == str(email).lower() and store.passwords.get(uid) == password:
                now = self._now_ms()
                previous = store.last_login.get(uid, now)
                store.last_login[uid] = now
                return {"lastLoginTime": previous, "userId": uid}
        raise Failure("m0000001", "Wrong email or password")

    async def get_user_info(self, request: Request, body: JSON) -> Any:
        ids = _user_ids(request.query_params.getlist("userIds"))
        return [self._user_doc(uid) for uid in sorted(ids) if uid in self.sandbox.brokerwork.users]

    async def get_parent_and_lower(self, request: Request, body: JSON) -> Any:
        uid = as_int(request.query_params.get("userId"))
        if uid is None:
            raise Failure("BW_INVALID_PARAM", "userId is required")
        if uid not in self.sandbox.brokerwork.users:
            raise Failure("m0000001", f"User {uid} does not exist")
        return [self._user_doc(u) for u in self._ancestors(uid) + self._descendants(uid)]

    async def list_levels(self, request: Request, body: JSON) -> Any:
        return self.sandbox.brokerwork.levels

    async def create_introduce_link(self, request: Request, body: JSON) -> Any:
        if not body.get("name"):
            raise Failure("BW_USER_INRR_NAME_NULL")
        kind, visible = body.get("introduceType"), body.get("visibleType")
        if kind not in ("Agent", "StraightGuest"):
            raise Failure("BW_INVALID_PARAM", "introduceType must be Agent or StraightGuest")
        if visible not in ("UserAllVisible", "UserPartVisible", "UserNotVisible"):
            raise Failure("BW_INVALID_PARAM", "visibleType is not valid")
        if visible == "UserPartVisible" and not body.get("visibleUserId"):
            raise Failure("BW_INVALID_PARAM", "visibleUserId is required for UserPartVisible")
        target = body.get("targetUrl")
        if kind == "StraightGuest" and not target:
            raise Failure("BW_INVALID_PARAM", "targetUrl is required for StraightGuest")
        parameter = body.get("parameterType")
        if target and parameter and re.search(rf"[?&]{parameter}=", str(target)):
            raise Failure("BW_USER_INRR_PARAM_ERROR")
        if body.get("serverId") not in (None, ""):
            self._server(body["serverId"])
        store = self.sandbox.brokerwork
        entity = str(body.get("entityNo") or f"EN{len(store.links) + 3045:05d}")
        link = {**body, "entityNo": entity}
        link["displayUrl"] = f"{str(request.base_url).rstrip('/')}/introduce?iid={entity}"
        store.links.append(link)
        return link

    # --- accounts -------------------------------------------------------------------------------
    async def open_commission_account(self, request: Request, body: JSON) -> Any:
        for key in ("serverId", "enable", "readOnly", "group", "leverage", "name"):
            if body.get(key) in (None, ""):
                raise Failure("BW_INVALID_PARAM", f"{key} is required")
        server = self._server(body["serverId"])
        store = self.sandbox.brokerwork
        login = as_int(body.get("login"))
        if login is None:
            store.next_login += 1
            login = store.next_login
        if (server, login) in store.accounts:
            raise Failure("bw-user_1018")
        leverage, enable, read_only = (
            as_int(body["leverage"]),
            as_int(body["enable"]),
            as_int(body["readOnly"]),
        )
        if leverage is None or enable not in (0, 1) or read_only not in (0, 1):
            raise Failure("BW_INVALID_PARAM", "leverage, enable and readOnly must be numbers")
        owner = as_int(body.get("userId"), 0) or 0
        raw_phone = body.get("phone")
        phone: JSON = raw_phone if isinstance(raw_phone, dict) else {}
        account = bw_account(
            server,
            login,
            naive(self.sandbox.clock.now()),
            group=str(body["group"]),
            leverage=leverage,
            owner_id=owner,
            name=str(body["name"]),
            email=str(body.get("email", "")),
        )
        account.info.update(
            enable=enable, readOnly=read_only, sendReports=as_int(body.get("sendReports"), 0) or 0
        )
        account.phone = f"{phone.get('countryCode', '')} {phone.get('phone', '')}".strip()
        account.password = str(body.get("password") or secrets.token_urlsafe(4))
        account.investor_password = str(body.get("investorPassword") or secrets.token_urlsafe(4))
        store.accounts[(server, login)] = account
        return {
            "investorPassword": account.investor_password,
            "login": str(login),
            "password": account.password,
            "serverId": server,
        }

    def _accounts_of(self, server: str, logins: set[int]) -> list[BwAccount]:
        accounts = self.sandbox.brokerwork.accounts
        return [
            accounts[(server, login)] for login in sorted(logins) if (server, login) in accounts
        ]

    async def get_account_info(self, request: Request, body: JSON) -> Any:
        q = request.query_params
        server = self._server(q.get("serverId"))
        logins = _logins(q.getlist("accountId"))
        return [a.info for a in self._accounts_of(server, logins)]

    async def list_accounts(self, request: Request, body: JSON) -> Any:
        q = request.query_params
        server = self._server(q.get("serverId"))
        start, end = _required_time(q.get("from"), "from"), _required_time(q.get("to"), "to")
        rows = sorted(
            (
                a
                for a in self.sandbox.brokerwork.accounts.values()
                if a.server_id == server and start <= a.regdate <= end
            ),
            key=lambda a: (a.regdate, a.login),
        )
        items = [
            {
                "currency": a.info["currency"],
                "email": a.email,
                "group": a.info["group"],
                "leverage": a.info["leverage"],
                "login": a.login,
                "name": a.name,
                "parentId": a.owner_id,
                "phone": a.phone,
                "regdate": a.info["regdate"],
            }
            for a in rows
        ]
        return _page(items, q.get("page"), q.get("size"), MAX_PAGE_SIZE)

    async def get_account_info_by_user_id(self, request: Request, body: JSON) -> Any:
        ids = _user_ids(request.query_params.getlist("userIds"))
        accounts = self.sandbox.brokerwork.accounts.values()
        return [a.info for a in accounts if a.owner_id in ids]

    def _trades(self, request: Request, rows: list[JSON], time_key: str) -> list[JSON]:
        q = request.query_params
        server = self._server(q.get("serverId"))
        logins = _logins(q.getlist("accountId"))
        start, end = as_int(q.get("from")), as_int(q.get("to"))
        found = []
        for row in rows:
            if row["_serverId"] != server or row["accountId"] not in logins:
                continue
            when = (parse_naive(row[time_key]) or 0) * 1000
            if (start is not None and when < start) or (end is not None and when > end):
                continue
            found.append(_public(row))
        return found

    async def list_positions(self, request: Request, body: JSON) -> Any:
        return self._trades(request, self.sandbox.brokerwork.positions, "openTime")

    async def list_deals(self, request: Request, body: JSON) -> Any:
        return self._trades(request, self.sandbox.brokerwork.deals, "closeTime")

    def _account(self, body: JSON) -> BwAccount:
        server = self._server(body.get("serverId"))
        login = as_int(body.get("accountId"))
        if login is None:
            raise Failure("BW_INVALID_PARAM", "accountId is required")
        account = self.sandbox.brokerwork.accounts.get((server, login))
        if account is None:
            raise Failure("m0000001", f"Account {login} not found on server {server}")
        return account

    async def set_account_owner(self, request: Request, body: JSON) -> Any:
        account = self._account(body)
        owner = as_int(body.get("ownerId"))
        if owner is None:
            raise Failure("BW_INVALID_PARAM", "ownerId is required")
        if owner not in self.sandbox.brokerwork.users:
            raise Failure("m0000001", f"User {owner} does not exist")
        account.owner_id = owner
        account.info["oweId"] = str(owner)
        return None

    async def change_balance(self, request: Request, body: JSON) -> Any:
        if not request.headers.get("x-api-signature"):
            raise Failure("BW_INVALID_PARAM", "x-api-signature header is required")
        account = self._account(body)
        kind = body.get("type")
        if kind not in _BALANCE_TYPES:
            raise Failure("BW_INVALID_PARAM", f"type must be one of {sorted(_BALANCE_TYPES)}")
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation as exc:
            raise Failure("BW_INVALID_PARAM", "amount must be a number") from exc
        if not amount.is_finite() or amount <= 0:
            raise Failure("BW_INVALID_PARAM", "amount must be positive")
        if kind in ("WITHDRAWAL", "CREDIT_OUT"):
            current = account.balance if kind == "WITHDRAWAL" else account.credit
            if amount > current:
                raise Failure("m0000001", "Not enough money on the account")
            amount = -amount
        if kind in ("CREDIT_IN", "CREDIT_OUT"):
            account.credit += amount
        else:
            account.balance += amount
        return None

    # --- customers and reports ------------------------------------------------------------------
    async def list_customers(self, request: Request, body: JSON) -> Any:
        q = request.query_params
        start, end = _required_time(q.get("from"), "from"), _required_time(q.get("to"), "to")
        store = self.sandbox.brokerwork
        ids = sorted(
            (cid for cid, when in store.customer_times.items() if start <= when <= end),
            key=lambda cid: store.customer_times[cid],
        )
        return _page([store.customers[c] for c in ids], q.get("page"), q.get("size"), MAX_PAGE_SIZE)

    async def set_customer_owner(self, request: Request, body: JSON) -> Any:
        customer = self.sandbox.brokerwork.customers.get(str(body.get("customId", "")))
        if customer is None:
            raise Failure("m0000001", "Customer not found")
        for key in ("oweId", "commendId"):
            if body.get(key) not in (None, ""):
                customer[key] = str(body[key])
        return None

    async def commission_report(self, request: Request, body: JSON) -> Any:
        store = self.sandbox.brokerwork
        server = str(body.get("serverId", ""))
        if server in MAGIC_SERVER_IDS:
            raise Failure(MAGIC_SERVER_IDS[server])
        if server not in store.servers:
            raise Failure("BW_REPORT_0023", "serverId does not exist")
        uid = as_int(body.get("userId"))
        if uid is None or uid not in store.users:
            raise Failure("BW_REPORT_0022", "User does not exist")
        level = str(body.get("level", ""))
        if level not in ("0", "1", "2"):
            raise Failure("BW_REPORT_0000", "level must be 0, 1 or 2")
        today = naive(self.sandbox.clock.now())[:10]
        start, end = str(body.get("start") or today), str(body.get("end") or today)
        if parse_naive(start) is None or parse_naive(end) is None:
            raise Failure("BW_REPORT_0000", "start/end must look like 2017-01-01")
        direct = [u for u, doc in store.users.items() if doc.get("parentId") == uid]
        below = self._descendants(uid)
        users = {"0": [uid, *below], "1": direct, "2": [u for u in below if u not in direct]}
        wanted = set(users[level])
        rows = [
            _public(row)
            for row in store.commissions
            if row["_serverId"] == server
            and row["userId"] in wanted
            and start <= row["date"] <= end
        ]
        return _page(rows, body.get("index"), body.get("pageSize"), MAX_REPORT_PAGE_SIZE)
