"""MetaApi provisioning API: accounts, replicas, provisioning profiles, demo accounts, regions."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from brokerlink.sandbox.clock import http_date, iso_utc
from brokerlink.sandbox.context import Sandbox
from brokerlink.sandbox.metaapi_errors import (
    RECOMMENDED_RESOURCE_SLOTS,
    connection_error,
    deferred_code,
    error,
    field_errors,
    magic_code,
    not_found,
)
from brokerlink.sandbox.metaapi_experts import ExpertAdvisors
from brokerlink.sandbox.responses import (
    JSON,
    BodyError,
    as_bool,
    as_int,
    empty_response,
    json_response,
    read_object,
    split_list,
)
from brokerlink.sandbox.routing import RouteTable
from brokerlink.sandbox.seed import mt_account_doc
from brokerlink.sandbox.state import (
    MtAccount,
    MtReplica,
    ProvisioningProfile,
    Transaction,
    Transition,
)

Handler = Callable[[Request], Awaitable[Response]]
Outcome = tuple[int, Any]
"""A final answer of a transaction: status and JSON body."""

ACCOUNT_FIELDS = (
    "name",
    "login",
    "server",
    "provisioningProfileId",
    "magic",
    "type",
    "region",
    "manualTrades",
    "slippage",
    "quoteStreamingIntervalInSeconds",
    "symbol",
    "baseCurrency",
    "tags",
    "metadata",
    "reliability",
    "resourceSlots",
    "copyFactoryResourceSlots",
    "copyFactoryRoles",
    "allocateDedicatedIp",
    "application",
)
UPDATE_FIELDS = (
    "name",
    "login",
    "server",
    "magic",
    "manualTrades",
    "slippage",
    "quoteStreamingIntervalInSeconds",
    "symbol",
    "tags",
    "metadata",
    "resourceSlots",
    "copyFactoryResourceSlots",
    "allocateDedicatedIp",
)
REPLICA_FIELDS = (
    "magic",
    "region",
    "quoteStreamingIntervalInSeconds",
    "symbol",
    "tags",
    "metadata",
    "reliability",
    "resourceSlots",
    "copyFactoryResourceSlots",
)
PROFILE_FILES = {
    "servers.dat",
    "servers.ini",
    "broker.srv",
    "managerApi.zip",
    "mt4manager.exe",
    "mt5managersetup.exe",
}
DEFAULT_PROFILE = "default"
"""The profile id demo-account generation accepts to find the server file by server name."""
TERMINAL_PROFILE = "mtTerminal"
"""The default profile type: a profile for trading terminals."""
PROFILE_TYPES = (TERMINAL_PROFILE, "managerApi", "managerUi")
_ACCEPTED_TID = re.compile(r"^accepted(\d+)(?:-?(date|none|garbage))?", re.IGNORECASE)
_RETRY_STYLES = {"seconds", "http-date", "none", "garbage"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _enough_slots(value: Any) -> bool:
    """Whether ``resourceSlots`` meets the E_RESOURCE_SLOTS recommendation."""
    return _is_number(value) and bool(value >= RECOMMENDED_RESOURCE_SLOTS)


class MetaApi:
    """Request handlers of the MetaApi provisioning API, bound to one :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    # --- plumbing -------------------------------------------------------------------------------
    def routes(self) -> RouteTable:
        acc = "/users/current/accounts"
        one = acc + "/{accountId}"
        rep = one + "/replicas/{replicaId}"
        prof = "/users/current/provisioning-profiles"
        experts = ExpertAdvisors(self._account)
        expert = one + "/expert-advisors/{expertId}"
        table: list[tuple[str, str, Handler]] = [
            ("GET", acc, self.list_accounts),
            ("POST", acc, self.create_account),
            ("GET", one, self.get_account),
            ("PUT", one, self.update_account),
            ("DELETE", one, self.delete_account),
            ("POST", one + "/deploy", self.deploy_account),
            ("POST", one + "/undeploy", self.undeploy_account),
            ("POST", one + "/redeploy", self.redeploy_account),
            ("POST", one + "/increase-reliability", self.increase_reliability),
            ("POST", one + "/enable-risk-management-api", self.enable_risk_management_api),
            ("POST", one + "/enable-metastats-api", self.enable_metastats_api),
            ("POST", one + "/enable-copy-factory-api", self.enable_copy_factory_api),
            ("POST", one + "/enable-account-features", self.enable_account_features),
            ("PUT", one + "/configuration-link", self.create_configuration_link),
            ("GET", one + "/replicas", self.list_replicas),
            ("POST", one + "/replicas", self.create_replica),
            ("GET", rep, self.get_replica),
            ("PUT", rep, self.update_replica),
            ("DELETE", rep, self.delete_replica),
            ("POST", rep + "/deploy", self.deploy_replica),
            ("POST", rep + "/undeploy", self.undeploy_replica),
            ("POST", rep + "/redeploy", self.redeploy_replica),
            ("GET", one + "/expert-advisors", experts.list),
            ("GET", expert, experts.get),
            ("PUT", expert, experts.update),
            ("DELETE", expert, experts.delete),
            ("PUT", expert + "/file", experts.upload_file),
            ("GET", prof, self.list_profiles),
            ("POST", prof, self.create_profile),
            ("GET", prof + "/{profileId}", self.get_profile),
            ("PUT", prof + "/{profileId}", self.update_profile),
            ("DELETE", prof + "/{profileId}", self.delete_profile),
            ("PUT", prof + "/{profileId}/{fileName}", self.upload_profile_file),
            ("POST", prof + "/{profileId}/mt4-demo-accounts", self.create_mt4_demo),
            ("POST", prof + "/{profileId}/mt5-demo-accounts", self.create_mt5_demo),
            ("GET", "/users/current/regions", self.list_regions),
            ("GET", "/users/current/quotas", self.get_user_quotas),
            ("GET", "/users/current/regions/{region}/quotas", self.get_region_quotas),
        ]
        return [(method, path, self._guard(fn)) for method, path, fn in table]

    def _guard(self, handler: Handler) -> Handler:
        """Check ``auth-token`` and turn unreadable bodies into 400s."""
        tokens = self.sandbox.options

        async def endpoint(request: Request) -> Response:
            token = request.headers.get("auth-token")
            if not token:
                return error(401, "The auth-token header is missing")
            if token == "forbidden":
                return error(403, "This token may not use this method or resource")
            if tokens.metaapi_tokens is not None and token not in tokens.metaapi_tokens:
                return error(401, "The auth-token is not valid")
            try:
                return await handler(request)
            except BodyError as exc:
                return error(400, str(exc))

        return endpoint

    def _now(self) -> float:
        return self.sandbox.clock.now()

    def _settle(self, doc: JSON, transition: Transition | None) -> Transition | None:
        """Finish a transitional state whose time has come; returns what is left of it."""
        if transition is not None and self._now() >= transition.at:
            doc["state"] = transition.final
            doc["connectionStatus"] = (
                "CONNECTED" if transition.final == "DEPLOYED" else "DISCONNECTED"
            )
            return None
        return transition

    def _account(self, account_id: str) -> MtAccount | None:
        accounts = self.sandbox.metaapi.accounts
        account = accounts.get(account_id)
        if account is None:
            return None
        if account.delete_at is not None and self._now() >= account.delete_at:
            del accounts[account_id]
            return None
        account.transition = self._settle(account.doc, account.transition)
        for replica in account.replicas.values():
            replica.transition = self._settle(replica.doc, replica.transition)
        return account

    def _render(self, account: MtAccount) -> JSON:
        if not account.replicas:
            return account.doc
        replicas = [self._render_replica(account, r) for r in account.replicas.values()]
        return {**account.doc, "accountReplicas": replicas}

    @staticmethod
    def _render_replica(account: MtAccount, replica: MtReplica) -> JSON:
        """A replica document with its ``primaryAccount`` and the primary's identifying fields."""
        shared = ("name", "login", "server", "provisioningProfileId")
        inherited = {k: account.doc[k] for k in shared if k in account.doc}
        return {**inherited, **replica.doc, "primaryAccount": dict(account.doc)}

    def _move(self, doc: JSON, transitional: str, final: str) -> Transition | None:
        """Start a state change; with ``transition_seconds == 0`` it completes at once."""
        doc["connectionStatus"] = "DISCONNECTED"
        delay = self.sandbox.options.transition_seconds
        if delay > 0:
            doc["state"] = transitional
            return Transition(final, self._now() + delay)
        doc["state"] = final
        if final == "DEPLOYED":
            doc["connectionStatus"] = "CONNECTED"
        return None

    # --- transactions (202 Accepted) ----------------------------------------------------------
    async def _transact(self, request: Request, outcome: Callable[[], Outcome]) -> Response:
        """Answer 202 as many times as planned for this transaction-id, then the final answer:
        computed once, from the first request's body, and replayed for every later request."""
        tid = request.headers.get("transaction-id")
        if not tid:
            return field_errors([("transaction-id", None, "The transaction-id header is required")])
        store = self.sandbox.metaapi.transactions
        transaction = store.get(tid)
        if transaction is None:
            transaction = Transaction(*self._accepted_plan(request, tid), job=outcome)
            store[tid] = transaction
        if transaction.final is None and transaction.remaining > 0:
            transaction.remaining -= 1
            return self._accepted(transaction.retry_after)
        if transaction.final is None:
            transaction.final = (transaction.job or outcome)()
            transaction.job = None
        status, body = transaction.final
        return json_response(body, status)

    def _accepted_plan(self, request: Request, tid: str) -> tuple[int, str]:
        options = self.sandbox.options
        count = options.accepted_retries
        style: str = options.retry_after_format
        match = _ACCEPTED_TID.match(tid)
        if match is not None:
            count = int(match.group(1))
            if match.group(2):
                style = {"date": "http-date"}.get(match.group(2).lower(), match.group(2).lower())
        header_count = as_int(request.headers.get("x-sandbox-accepted"))
        if header_count is not None:
            count = header_count
        header_style = request.headers.get("x-sandbox-retry-after", "").lower()
        if header_style in _RETRY_STYLES:
            style = header_style
        return max(0, count), style

    def _accepted(self, style: str) -> Response:
        seconds = self.sandbox.options.retry_after_seconds
        due = self._now() + seconds
        body = {
            "id": 1,
            "error": "AcceptedError",
            "message": f"Broker settings detection is still running; retry in {seconds} seconds",
            "metadata": {"recommendedRetryTime": iso_utc(due)},
        }
        headers = {
            "seconds": {"Retry-After": str(seconds)},
            "http-date": {"Retry-After": http_date(due)},
            "garbage": {"Retry-After": "soon"},
        }.get(style, {})
        return json_response(body, 202, headers)

    # --- accounts -------------------------------------------------------------------------------
    async def list_accounts(self, request: Request) -> Response:
        q = request.query_params
        for account_id in list(self.sandbox.metaapi.accounts):
            self._account(account_id)
        items = [self._render(a) for a in self.sandbox.metaapi.accounts.values()]
        versions = {as_int(v) for v in split_list(q.getlist("version"))}
        states = set(split_list(q.getlist("state")) + split_list(q.getlist("deploymentStatus")))
        statuses = set(split_list(q.getlist("connectionStatus")))
        roles = set(split_list(q.getlist("copyFactoryRoles")))
        text = (q.get("query") or "").lower()
        for key in ("type", "region", "provisioningProfileId"):
            wanted = set(split_list(q.getlist(key)))
            if wanted:
                items = [i for i in items if i.get(key) in wanted]
        if versions:
            items = [i for i in items if i.get("version") in versions]
        if states:
            items = [i for i in items if i["state"] in states]
        if statuses:
            items = [i for i in items if i["connectionStatus"] in statuses]
        if roles:
            items = [i for i in items if roles & set(i.get("copyFactoryRoles", []))]
        if text:
            items = [
                i
                for i in items
                if any(text in str(i.get(k, "")).lower() for k in ("name", "server", "login"))
            ]
        items.sort(key=lambda i: i["createdAt"], reverse=q.get("sortOrder") == "desc")
        return self._page(request, items)

    def _page(self, request: Request, items: list[JSON]) -> Response:
        q = request.query_params
        offset = max(0, as_int(q.get("offset"), 0) or 0)
        limit = max(0, as_int(q.get("limit"), 1000) or 0)
        page = items[offset : offset + limit]
        if request.headers.get("api-version") == "2":
            return json_response({"count": len(items), "items": page})
        return json_response(page)

    async def get_account(self, request: Request) -> Response:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return not_found("Trading account", account_id)
        return json_response(self._render(account))

    async def create_account(self, request: Request) -> Response:
        body = await read_object(request)
        return await self._transact(request, lambda: self._new_account(body))

    def _new_account(self, body: JSON) -> Outcome:
        problems: list[tuple[str, Any, str]] = []
        for name in ("name", "server"):
            if not isinstance(body.get(name), str) or not body[name]:
                problems.append((name, body.get(name), "Required string"))
        if not _is_number(body.get("magic")):
            problems.append(("magic", body.get("magic"), "Required number"))
        profile_id = body.get("provisioningProfileId")
        profile = self.sandbox.metaapi.profiles.get(profile_id) if profile_id else None
        if profile_id and profile is None:
            problems.append(("provisioningProfileId", profile_id, "Provisioning profile not found"))
        if profile_id is None and body.get("platform") not in ("mt4", "mt5"):
            problems.append(("platform", body.get("platform"), "Must be mt4 or mt5"))
        problems += self._common_problems(body)
        if problems:
            return _outcome(field_errors(problems))
        password = body.get("password")
        code = magic_code(password, body.get("login"), body.get("server"))
        if code == "E_RESOURCE_SLOTS" and _enough_slots(body.get("resourceSlots", 1)):
            code = None
        if code is not None:
            return _outcome(connection_error(code))
        deferred = deferred_code(password)
        if body.get("login") and password:
            state = "UNDEPLOYED" if deferred else "DEPLOYED"
        else:
            state = "DRAFT"
        version = profile.doc["version"] if profile else (4 if body["platform"] == "mt4" else 5)
        account_id = str(uuid.uuid4())
        doc = mt_account_doc(
            account_id,
            self._now(),
            version=version,
            state=state,
            connectionStatus="CONNECTED" if state == "DEPLOYED" else "DISCONNECTED",
            **{k: body[k] for k in ACCOUNT_FIELDS if k in body},
        )
        account = MtAccount(doc=doc, password=password, deploy_error=deferred)
        self.sandbox.metaapi.accounts[account_id] = account
        return 201, {"id": account_id, "state": state}

    def _common_problems(self, body: JSON) -> list[tuple[str, Any, str]]:
        problems: list[tuple[str, Any, str]] = []
        region = body.get("region")
        if region is not None and region not in self.sandbox.metaapi.regions:
            problems.append(("region", region, "Unknown region"))
        reliability = body.get("reliability")
        if reliability is not None and reliability not in ("regular", "high"):
            problems.append(("reliability", reliability, "Must be regular or high"))
        metadata = body.get("metadata")
        if metadata is not None and (
            not isinstance(metadata, dict) or len(json.dumps(metadata)) > 1024
        ):
            problems.append(("metadata", metadata, "Must be an object of at most 1024 chars"))
        return problems

    async def update_account(self, request: Request) -> Response:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return not_found("Trading account", account_id)
        body = await read_object(request)
        problems = self._common_problems(body)
        for name in ("name", "server"):
            if not isinstance(body.get(name), str) or not body[name]:
                problems.append((name, body.get(name), "Required string"))
        if problems:
            return field_errors(problems)
        password = body.get("password")
        code = magic_code(password, body.get("login"), body.get("server"))
        slots = body.get("resourceSlots", account.doc.get("resourceSlots", 1))
        if code == "E_RESOURCE_SLOTS" and _enough_slots(slots):
            code = None
        if code is not None:
            return connection_error(code)
        account.doc.update({k: body[k] for k in UPDATE_FIELDS if k in body})
        if password is not None:
            account.password = password
            account.deploy_error = deferred_code(password)
        if account.doc["state"] == "DRAFT" and account.doc.get("login") and account.password:
            account.doc["state"] = "UNDEPLOYED"
        return empty_response()

    async def delete_account(self, request: Request) -> Response:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return not_found("Trading account", account_id)
        delay = self.sandbox.options.transition_seconds
        if delay > 0:
            account.doc["state"] = "DELETING"
            account.doc["connectionStatus"] = "DISCONNECTED"
            account.transition = None
            account.delete_at = self._now() + delay
        else:
            del self.sandbox.metaapi.accounts[account_id]
        return empty_response()

    async def _lifecycle(self, request: Request, action: str) -> Response:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return not_found("Trading account", account_id)
        if account.doc["state"] == "DRAFT" and action != "undeploy":
            return error(400, "The account is a DRAFT: set its login and password first")
        if action != "undeploy" and account.deploy_error is not None:
            return connection_error(account.deploy_error)
        targets: list[MtAccount | MtReplica] = [account]
        if as_bool(request.query_params.get("executeForAllReplicas"), True):
            targets += list(account.replicas.values())
        for target in targets:
            if action == "undeploy":
                target.transition = self._move(target.doc, "UNDEPLOYING", "UNDEPLOYED")
            else:
                target.transition = self._move(target.doc, "DEPLOYING", "DEPLOYED")
        return empty_response()

    async def deploy_account(self, request: Request) -> Response:
        return await self._lifecycle(request, "deploy")

    async def undeploy_account(self, request: Request) -> Response:
        return await self._lifecycle(request, "undeploy")

    async def redeploy_account(self, request: Request) -> Response:
        return await self._lifecycle(request, "redeploy")

    async def _set_flags(self, request: Request, **flags: Any) -> Response:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return not_found("Trading account", account_id)
        account.doc.update(flags)
        return empty_response()

    async def increase_reliability(self, request: Request) -> Response:
        return await self._set_flags(request, reliability="high")

    async def enable_risk_management_api(self, request: Request) -> Response:
        return await self._set_flags(request, riskManagementApiEnabled=True)

    async def enable_metastats_api(self, request: Request) -> Response:
        return await self._set_flags(request, metastatsApiEnabled=True)

    async def enable_copy_factory_api(self, request: Request) -> Response:
        body = await read_object(request)
        roles = body.get("copyFactoryRoles")
        if not isinstance(roles, list) or not roles:
            return field_errors([("copyFactoryRoles", roles, "Required non-empty list")])
        flags: JSON = {"copyFactoryRoles": roles}
        if _is_number(body.get("copyFactoryResourceSlots")):
            flags["copyFactoryResourceSlots"] = body["copyFactoryResourceSlots"]
        return await self._set_flags(request, **flags)

    async def enable_account_features(self, request: Request) -> Response:
        body = await read_object(request)
        flags: JSON = {}
        copy_factory = body.get("copyFactoryApi")
        if copy_factory is not None:
            roles = copy_factory.get("copyFactoryRoles") if isinstance(copy_factory, dict) else None
            if not isinstance(roles, list) or not roles:
                return field_errors([("copyFactoryApi.copyFactoryRoles", roles, "Required list")])
            flags["copyFactoryRoles"] = roles
            if _is_number(copy_factory.get("copyFactoryResourceSlots")):
                flags["copyFactoryResourceSlots"] = copy_factory["copyFactoryResourceSlots"]
        for key in ("riskManagementApiEnabled", "metastatsApiEnabled"):
            if body.get(key) is True:
                flags[key] = True
        if body.get("reliabilityIncreased") is True:
            flags["reliability"] = "high"
        if body.get("allocateDedicatedIp") is not None:
            if body["allocateDedicatedIp"] not in ("ipv4", "none"):
                return field_errors([("allocateDedicatedIp", body["allocateDedicatedIp"], "ipv4")])
            flags["allocateDedicatedIp"] = body["allocateDedicatedIp"]
        return await self._set_flags(request, **flags)

    async def create_configuration_link(self, request: Request) -> Response:
        account_id = request.path_params["accountId"]
        if self._account(account_id) is None:
            return not_found("Trading account", account_id)
        ttl = as_int(request.query_params.get("ttlInDays"), 7) or 7
        link = (
            f"{str(request.base_url).rstrip('/')}/configure-trading-account-credentials"
            f"?accountId={account_id}&ttlInDays={ttl}&token={secrets.token_urlsafe(16)}"
        )
        return json_response({"configurationLink": link})

    # --- replicas -------------------------------------------------------------------------------
    def _replica(self, request: Request) -> tuple[MtAccount | None, MtReplica | None, Response]:
        account_id = request.path_params["accountId"]
        account = self._account(account_id)
        if account is None:
            return None, None, not_found("Trading account", account_id)
        replica_id = request.path_params.get("replicaId", "")
        replica = account.replicas.get(replica_id)
        return account, replica, not_found("Account replica", replica_id)

    async def list_replicas(self, request: Request) -> Response:
        account, _, missing = self._replica(request)
        if account is None:
            return missing
        return json_response([self._render_replica(account, r) for r in account.replicas.values()])

    async def get_replica(self, request: Request) -> Response:
        account, replica, missing = self._replica(request)
        if account is None or replica is None:
            return missing
        return json_response(self._render_replica(account, replica))

    async def create_replica(self, request: Request) -> Response:
        account, _, missing = self._replica(request)
        if account is None:
            return missing
        body = await read_object(request)
        return await self._transact(request, lambda: self._new_replica(account, body))

    def _new_replica(self, account: MtAccount, body: JSON) -> Outcome:
        problems = self._common_problems(body)
        if not _is_number(body.get("magic")):
            problems.append(("magic", body.get("magic"), "Required number"))
        if not body.get("region"):
            problems.append(("region", body.get("region"), "Required string"))
        elif body["region"] == account.doc.get("region"):
            problems.append(("region", body["region"], "Must differ from the primary's region"))
        if problems:
            return _outcome(field_errors(problems))
        if account.deploy_error is not None:
            return _outcome(connection_error(account.deploy_error))
        if any(r.doc["region"] == body["region"] for r in account.replicas.values()):
            return _outcome(error(409, f"The account already has a replica in {body['region']}"))
        state = "DRAFT" if account.doc["state"] == "DRAFT" else "DEPLOYED"
        replica_id = str(uuid.uuid4())
        doc: JSON = {
            "_id": replica_id,
            "state": state,
            "connectionStatus": "CONNECTED" if state == "DEPLOYED" else "DISCONNECTED",
            "quoteStreamingIntervalInSeconds": 2.5,
            "reliability": "high",
            "tags": [],
            "metadata": {},
            "resourceSlots": 1,
            "copyFactoryResourceSlots": 1,
            "createdAt": iso_utc(self._now()),
        }
        doc.update({k: body[k] for k in REPLICA_FIELDS if k in body})
        account.replicas[replica_id] = MtReplica(doc)
        return 201, {"id": replica_id, "state": state}

    async def update_replica(self, request: Request) -> Response:
        _, replica, missing = self._replica(request)
        if replica is None:
            return missing
        body = await read_object(request)
        problems = self._common_problems({k: v for k, v in body.items() if k != "region"})
        if problems:
            return field_errors(problems)
        replica.doc.update({k: body[k] for k in REPLICA_FIELDS if k in body and k != "region"})
        return empty_response()

    async def delete_replica(self, request: Request) -> Response:
        account, replica, missing = self._replica(request)
        if account is None or replica is None:
            return missing
        del account.replicas[replica.doc["_id"]]
        return empty_response()

    async def _replica_lifecycle(self, request: Request, action: str) -> Response:
        account, replica, missing = self._replica(request)
        if account is None or replica is None:
            return missing
        if action != "undeploy" and account.deploy_error is not None:
            return connection_error(account.deploy_error)
        if action == "undeploy":
            replica.transition = self._move(replica.doc, "UNDEPLOYING", "UNDEPLOYED")
        else:
            replica.transition = self._move(replica.doc, "DEPLOYING", "DEPLOYED")
        return empty_response()

    async def deploy_replica(self, request: Request) -> Response:
        return await self._replica_lifecycle(request, "deploy")

    async def undeploy_replica(self, request: Request) -> Response:
        return await self._replica_lifecycle(request, "undeploy")

    async def redeploy_replica(self, request: Request) -> Response:
        return await self._replica_lifecycle(request, "redeploy")

    # --- provisioning profiles ------------------------------------------------------------------
    def _profile(self, request: Request) -> tuple[ProvisioningProfile | None, Response]:
        profile_id = request.path_params["profileId"]
        profile = self.sandbox.metaapi.profiles.get(profile_id)
        return profile, not_found("Provisioning profile", profile_id)

    async def list_profiles(self, request: Request) -> Response:
        q = request.query_params
        items = [p.doc for p in self.sandbox.metaapi.profiles.values()]
        version = as_int(q.get("version"))
        if version is not None:
            items = [i for i in items if i["version"] == version]
        if q.get("status"):
            items = [i for i in items if i["status"] == q["status"]]
        if q.get("type"):
            items = [i for i in items if i.get("type") == q["type"]]
        text = (q.get("query") or "").lower()
        if text:
            items = [i for i in items if text in i["name"].lower()]
        return self._page(request, items)

    async def get_profile(self, request: Request) -> Response:
        profile, missing = self._profile(request)
        return missing if profile is None else json_response(profile.doc)

    async def create_profile(self, request: Request) -> Response:
        body = await read_object(request)
        problems: list[tuple[str, Any, str]] = []
        if not isinstance(body.get("name"), str) or not body["name"]:
            problems.append(("name", body.get("name"), "Required string"))
        if body.get("version") not in (4, 5):
            problems.append(("version", body.get("version"), "Must be 4 or 5"))
        for key in ("brokerTimezone", "brokerDSTSwitchTimezone"):
            if not isinstance(body.get(key), str) or not body[key]:
                problems.append((key, body.get(key), "Required string"))
        kind = body.get("type", TERMINAL_PROFILE)
        if kind not in PROFILE_TYPES:
            problems.append(("type", kind, "Must be mtTerminal, managerApi or managerUi"))
        if kind != TERMINAL_PROFILE:
            if not _is_number(body.get("managerLogin")):
                problems.append(("managerLogin", body.get("managerLogin"), "Required number"))
            if not isinstance(body.get("managerServer"), str) or ":" not in body["managerServer"]:
                problems.append(("managerServer", body.get("managerServer"), "host:port"))
        if problems:
            return field_errors(problems)
        profile_id = str(uuid.uuid4())
        doc: JSON = {"_id": profile_id, "status": "new", "type": kind}
        fields = ("name", "version", "brokerTimezone", "brokerDSTSwitchTimezone")
        manager = ("managerLogin", "managerServer") if kind != TERMINAL_PROFILE else ()
        for key in (*fields, *manager):  # the manager password is kept, never shown
            if key in body:
                doc[key] = body[key]
        self.sandbox.metaapi.profiles[profile_id] = ProvisioningProfile(doc)
        return json_response({"id": profile_id}, 201)

    async def update_profile(self, request: Request) -> Response:
        profile, missing = self._profile(request)
        if profile is None:
            return missing
        body = await read_object(request)
        if not isinstance(body.get("name"), str) or not body["name"]:
            return field_errors([("name", body.get("name"), "Required string")])
        profile.doc["name"] = body["name"]
        return empty_response()

    async def delete_profile(self, request: Request) -> Response:
        profile, missing = self._profile(request)
        if profile is None:
            return missing
        del self.sandbox.metaapi.profiles[profile.doc["_id"]]
        return empty_response()

    async def upload_profile_file(self, request: Request) -> Response:
        profile, missing = self._profile(request)
        if profile is None:
            return missing
        file_name = request.path_params["fileName"]
        if file_name not in PROFILE_FILES:
            return field_errors([("fileName", file_name, "Unsupported provisioning file name")])
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return error(400, "The file must be sent as multipart/form-data (field 'file')")
        async with request.form() as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                return field_errors([("file", None, "The multipart field 'file' is required")])
            content = await upload.read()
        profile.files[file_name] = len(content)
        needed = {4: "broker.srv", 5: "servers.dat"}.get(profile.doc.get("version", 5))
        if profile.doc.get("type") == "managerApi" or file_name == needed:
            profile.doc["status"] = "active"
        return empty_response()

    # --- demo accounts --------------------------------------------------------------------------
    async def create_mt4_demo(self, request: Request) -> Response:
        return await self._create_demo(request, 4)

    async def create_mt5_demo(self, request: Request) -> Response:
        return await self._create_demo(request, 5)

    async def _create_demo(self, request: Request, version: int) -> Response:
        if request.path_params["profileId"] != DEFAULT_PROFILE:
            profile, missing = self._profile(request)
            if profile is None:
                return missing
        body = await read_object(request)
        return await self._transact(request, lambda: self._new_demo(body, version))

    def _new_demo(self, body: JSON, version: int) -> Outcome:
        problems: list[tuple[str, Any, str]] = []
        for key in ("balance", "leverage"):
            if not _is_number(body.get(key)):
                problems.append((key, body.get(key), "Required number"))
        if not isinstance(body.get("email"), str) or "@" not in body["email"]:
            problems.append(("email", body.get("email"), "Required e-mail address"))
        if not isinstance(body.get("serverName"), str) or not body["serverName"]:
            problems.append(("serverName", body.get("serverName"), "Required string"))
        if problems:
            return _outcome(field_errors(problems))
        code = magic_code(body.get("serverName"), body.get("name"), body.get("accountType"))
        if code is not None:
            return _outcome(connection_error(code))
        store = self.sandbox.metaapi
        store.next_demo_login += 1
        return 201, {
            "login": f"{version}{store.next_demo_login}",
            "password": secrets.token_urlsafe(6),
            "serverName": body["serverName"],
            "investorPassword": secrets.token_urlsafe(6),
        }

    # --- regions ----------------------------------------------------------------------------------
    async def list_regions(self, request: Request) -> Response:
        return json_response(self.sandbox.metaapi.regions)

    async def get_user_quotas(self, request: Request) -> Response:
        """Each region's quotas with their use: accounts kept there, deployed by generation."""
        accounts = [self._account(i) for i in list(self.sandbox.metaapi.accounts)]
        answer = []
        for region in self.sandbox.metaapi.regions:
            docs = [a.doc for a in accounts if a is not None and a.doc.get("region") == region]
            deployed = [d for d in docs if d.get("state") == "DEPLOYED"]
            used = {
                "maxAccounts": len(docs),
                "maxDeployedG1Accounts": sum(d.get("type") == "cloud-g1" for d in deployed),
                "maxDeployedG2Accounts": sum(d.get("type") != "cloud-g1" for d in deployed),
                "maxDeployedCopyFactoryAccounts": sum(
                    bool(d.get("copyFactoryRoles")) for d in deployed
                ),
            }
            entry: JSON = {"region": region}
            for key, quota in self.sandbox.metaapi.quotas[region].items():
                share = 100 * used.get(key, 0) / quota if quota else 0
                entry[key] = {"quota": quota, "usageInPercents": round(share, 2)}
            answer.append(entry)
        return json_response(answer)

    async def get_region_quotas(self, request: Request) -> Response:
        region = request.path_params["region"]
        quotas = self.sandbox.metaapi.quotas.get(region)
        if quotas is None:
            return not_found("Region", region)
        return json_response(quotas)


def _outcome(response: Response) -> Outcome:
    """Turn an error response back into (status, body) so a transaction can replay it."""
    return response.status_code, json.loads(bytes(response.body))
