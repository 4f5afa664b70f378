"""B2Broker B2Core IB API: client-credential tokens and the accounts resource."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from brokerlink.sandbox.b2core_query import QueryError, bracketed, parse_flag, predicate, sorter
from brokerlink.sandbox.clock import iso_offset
from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.responses import (
    JSON,
    BodyError,
    as_int,
    empty_response,
    json_response,
    read_json,
    read_object,
)
from brokerlink.sandbox.routing import RouteTable
from brokerlink.sandbox.seed import b2_account_doc
from brokerlink.sandbox.state import B2Account

Handler = Callable[[Request], Awaitable[Response]]
FORBIDDEN_CLIENT = "forbidden"
"""Tokens issued to this client id get 403 on every accounts call."""
DEFAULT_LIMIT = 20


def _error(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    body: JSON = {"code": status, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def _missing(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, list[str]]:
    return {n: ["This field is required"] for n in names if fields.get(n) in (None, "")}


class B2Core:
    """Request handlers of the B2Core IB API, bound to one :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> RouteTable:
        one = "/accounts/{accountId}"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/accounts", self.list_accounts),
            ("POST", "/accounts", self.create_account),
            ("GET", one, self.get_account),
            ("PUT", one, self.update_account),
            ("PATCH", one, self.patch_account),
            ("DELETE", one, self.delete_account),
            ("GET", one + "/metrics", self.get_metrics),
        ]
        routes: RouteTable = [("POST", "/tokens", self.create_token)]
        routes += [(m, path, self._guard(fn)) for m, path, fn in table]
        return routes

    def _now(self) -> float:
        return self.sandbox.clock.now()

    # --- auth ---------------------------------------------------------------------------------
    async def create_token(self, request: Request) -> Response:
        client = _basic_credentials(request.headers.get("authorization", ""))
        if client is None:
            return _error(401, "HTTP Basic credentials (client id and secret) are required")
        clients = self.sandbox.options.b2core_clients
        if clients is not None and clients.get(client[0]) != client[1]:
            return _error(401, "Invalid client id or secret")
        try:
            body = await read_json(request)
        except BodyError as exc:
            return _error(400, str(exc))
        grant = body.get("grant_type") if isinstance(body, dict) else None
        if grant != "client_credentials":
            return _error(
                400, "Unsupported grant type", {"grant_type": ["Must be client_credentials"]}
            )
        lifetime = self.sandbox.options.token_lifetime
        token = secrets.token_hex(20)
        store = self.sandbox.b2core
        store.tokens[token] = (self._now() + lifetime, client[0])
        return json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        )

    def _guard(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            tokens = self.sandbox.b2core.tokens
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            grant = tokens.get(token) if scheme.lower() == "bearer" else None
            if grant is None:
                return _error(401, "A valid bearer token is required")
            if self._now() >= grant[0]:
                del tokens[token]
                return _error(401, "The access token has expired")
            if grant[1] == FORBIDDEN_CLIENT:
                return _error(403, "This app may not access accounts")
            try:
                return await handler(request)
            except BodyError as exc:
                return _error(400, str(exc))
            except QueryError as exc:
                return _error(400, "Invalid query parameters", exc.errors)

        return endpoint

    # --- accounts -------------------------------------------------------------------------------
    def _render(self, account: B2Account, expansions: set[str]) -> JSON:
        if not expansions:
            return account.doc
        doc = dict(account.doc)
        store = self.sandbox.b2core
        profile = store.profiles.get(doc["profileId"], {})
        if "platform" in expansions:
            doc["platform"] = store.platforms.get(doc["platformId"], {})
        if "profile" in expansions:
            doc["profile"] = {
                k: profile.get(k) for k in ("profileId", "userId", "firstName", "lastName")
            }
        if "contacts" in expansions:
            doc["contacts"] = {"email": profile.get("email"), "phone": profile.get("phone")}
        if "metrics" in expansions:
            doc["metrics"] = _metrics(account)
        return doc

    def _find(self, request: Request) -> B2Account | Response:
        account_id = request.path_params["accountId"]
        account = self.sandbox.b2core.accounts.get(account_id)
        if account is None:
            return _error(404, f"Account {account_id} not found")
        return account

    async def list_accounts(self, request: Request) -> Response:
        q = request.query_params
        filters, expansions = bracketed(q)
        test = predicate(filters)
        key, reverse = sorter(q)
        offset, limit = as_int(q.get("offset"), 0), as_int(q.get("limit"), DEFAULT_LIMIT)
        if offset is None or offset < 0 or limit is None or limit < 0:
            raise QueryError({"limit/offset": ["Must be non-negative integers"]})
        found = [a for a in self.sandbox.b2core.accounts.values() if test(a)]
        found.sort(key=key, reverse=reverse)
        page = [self._render(a, expansions) for a in found[offset : offset + limit]]
        if self.sandbox.options.b2core_list_envelope:
            return json_response({"data": page, "total": len(found)})
        return json_response(page)

    async def get_account(self, request: Request) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        _, expansions = bracketed(request.query_params)
        return json_response(self._render(found, expansions))

    async def create_account(self, request: Request) -> Response:
        body = await read_object(request)
        errors = _missing(body, ("number", "platformId", "profileId"))
        if errors:
            return _error(400, "Validation failed", errors)
        store = self.sandbox.b2core
        platform = store.platforms.get(str(body["platformId"]))
        if platform is None:
            return _error(422, "Unknown trading platform", {"platformId": ["Not found"]})
        if str(body["profileId"]) not in store.profiles:
            return _error(422, "Unknown user profile", {"profileId": ["Not found"]})
        number = str(body["number"])
        if self._number_taken(platform["platformId"], number, None):
            return _error(
                422,
                "Account number already exists on this platform",
                {"number": ["Already exists"]},
            )
        fields: JSON = {}
        enabled = self._enabled(body)
        if isinstance(enabled, Response):
            return enabled
        if enabled is not None:
            fields["enabled"] = enabled
        if "uuid" in body:
            fields["uuid"] = body["uuid"]
        group = next(
            (g for g in store.groups.values() if g["platformId"] == platform["platformId"]), None
        )
        store.next_id += 1
        account_id = f"{store.next_id:024x}"
        now = self._now()
        doc = b2_account_doc(
            account_id, number, platform, group, str(body["profileId"]), now, **fields
        )
        profile = store.profiles[str(body["profileId"])]
        store.accounts[account_id] = B2Account(doc, now, profile["userId"])
        return json_response(doc, 201)

    def _number_taken(self, platform_id: str, number: str, except_id: str | None) -> bool:
        return any(
            a.doc["platformId"] == platform_id
            and a.doc["number"] == number
            and a.doc["accountId"] != except_id
            for a in self.sandbox.b2core.accounts.values()
        )

    def _enabled(self, body: JSON) -> bool | Response | None:
        if "enabled" not in body:
            return None
        value = body["enabled"]
        flag = value if isinstance(value, bool) else parse_flag(str(value))
        if flag is None:
            return _error(400, "Validation failed", {"enabled": ["Must be a boolean"]})
        return flag

    async def _modify(self, request: Request, *, require_number: bool) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        body = await read_object(request)
        if require_number:
            errors = _missing(body, ("number",))
            if errors:
                return _error(400, "Validation failed", errors)
        enabled = self._enabled(body)
        if isinstance(enabled, Response):
            return enabled
        if "number" in body:
            number = str(body["number"])
            if self._number_taken(found.doc["platformId"], number, found.doc["accountId"]):
                return _error(
                    422,
                    "Account number already exists on this platform",
                    {"number": ["Already exists"]},
                )
            found.doc["number"] = number
        if enabled is not None:
            found.doc["enabled"] = enabled
        if "uuid" in body:
            found.doc["uuid"] = body["uuid"]
        found.doc["updateTime"] = iso_offset(self._now())
        return json_response(found.doc)

    async def update_account(self, request: Request) -> Response:
        return await self._modify(request, require_number=True)

    async def patch_account(self, request: Request) -> Response:
        return await self._modify(request, require_number=False)

    async def delete_account(self, request: Request) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        del self.sandbox.b2core.accounts[found.doc["accountId"]]
        return empty_response()

    async def get_metrics(self, request: Request) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        return json_response(_metrics(found))


def _metrics(account: B2Account) -> JSON:
    return {"total": 1, "metrics": [{"key": "trades", "value": account.trades}]}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """``Basic base64(id:secret)`` -> (id, secret); None unless both are non-empty."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id or not secret:
        return None
    return client_id, secret
