"""The scenario of ``brokerlink demo``: eight steps through the public API, against the sandbox.

Every step prints one line saying what it shows, then what came back, and checks it: a step whose
answer is not the one the scenario expects stops the demo (``ScenarioBroken``), so the demo
doubles as a smoke test of the installed package.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import brokerlink
from brokerlink import errors
from brokerlink.cli.demo_display import DemoConsole, WaitProgress
from brokerlink.sandbox.faults import SIMPLE_MODES, is_mode
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import instant_waits

if TYPE_CHECKING:
    from brokerlink import B2Core, BrokerWork, MetaApi

STEPS = 8
PRIMARY_REGION = "vint-hill"
REPLICA_REGION = "london"
ACCEPTED_ANSWERS = 2  # 202s the sandbox gives every new MetaApi transaction before the result
NEW_ACCOUNT: Mapping[str, Any] = {
    "name": "brokerlink demo",
    "server": "ICMarketsSC-Demo",
    "platform": "mt5",
    "login": "50123457",
    "password": "demo-password",
    "magic": 0,
    "region": PRIMARY_REGION,
}
# The sandbox's broker refuses the password "E_AUTH" (see src/brokerlink/sandbox/README.md).
WRONG_PASSWORD = {**NEW_ACCOUNT, "login": "50123458", "password": "E_AUTH"}
BROKERWORK_QUERIES = {"1": ["3004272", "3004273"], "428": ["1122334496", "2109730462"]}
FAILING_SERVER = "992"  # the sandbox answers getAccountInfo there with mcode BW_INVALID_PARAM
B2CORE_FILTER = {"currency": "USD", "enabled": True, "archived": False}


class ScenarioBroken(AssertionError):
    """A step got an answer other than the one the scenario expects (a bug, not bad input)."""


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise ScenarioBroken(problem)


def _without_waits() -> str:
    """A transaction-id the sandbox answers at once: it reads an ``accepted<N>`` prefix as the
    number of 202s to give, so only the first create spends the demo's real waiting time."""
    return f"accepted0-{secrets.token_hex(16)}"


class _RequestCount:
    """ASGI middleware on the sandbox: counts every HTTP request it receives."""

    def __init__(self, app: Any, counter: list[int]) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.counter[0] += 1
        await self.app(scope, receive, send)


def _money(value: Decimal) -> str:
    return format(value, "f")  # the exact digits, never an exponent or a float


class Scenario:
    """The demo's state: sandbox, console, progress plugin, and what earlier steps made."""

    def __init__(self, out: DemoConsole, server: SandboxServer, received: list[int]) -> None:
        self.out = out
        self.server = server
        self.received = received
        self.progress = WaitProgress(out)
        self.account_id = ""

    def clients(self) -> dict[str, Any]:
        """Constructor keywords shared by every client of the demo."""
        return {"plugins": [self.progress]}

    def run(self, fast: bool) -> None:
        meta = brokerlink.MetaApi(
            token="demo-token",
            base_url=self.server.base_url("metaapi"),
            credential_cache="memory://",  # the guard's memory: this process only, nothing on disk
            **self.clients(),
        )
        with meta:
            self.create_account(meta, fast)
            self.rejected_password(meta)
            self.refused_locally(meta)
            self.redeploy(meta)
            self.replica(meta)
        asyncio.run(self.account_info())
        with brokerlink.BrokerWork(
            tenant_id="T001117",
            token="demo-token",
            base_url=self.server.base_url("brokerwork"),
            **self.clients(),
        ) as work:
            self.mcode_failure(work)
        with brokerlink.B2Core(
            client_id="demo-app",
            client_secret="demo-secret",
            base_url=self.server.base_url("b2core"),
            **self.clients(),
        ) as b2:
            self.b2core_accounts(b2)

    # --- MetaApi ------------------------------------------------------------------------------
    def create_account(self, meta: MetaApi, fast: bool) -> None:
        self.out.step(
            "MetaApi createAccount: the server validates the account in the background and "
            "answers 202 with Retry-After; brokerlink waits and resends the same transaction-id."
        )
        seen = len(self.progress.waits)
        started = time.monotonic()
        created = meta.create_account(body=dict(NEW_ACCOUNT))
        elapsed = time.monotonic() - started
        waits = self.progress.waits[seen:]
        _expect(len(waits) == ACCEPTED_ANSWERS, f"expected {ACCEPTED_ANSWERS} waits, saw {waits}")
        account = meta.get_account(created.id)
        self.account_id = created.id
        advised = sum(waits)
        how = "skipped with --fast" if fast else f"call took {elapsed:.1f} s"
        self.out.result(
            f"account {created.id} created after {len(waits)} waits "
            f"({advised:.1f} s advised, {how}): {account.state.value}, "
            f"{account.connection_status.value} in {account.region}"
        )

    def rejected_password(self, meta: MetaApi) -> None:
        self.out.step(
            "createAccount with a password the broker refuses: MetaApi answers E_AUTH, raised as "
            "a typed error (and remembered by the credential guard as a keyed hash)."
        )
        try:
            meta.create_account(body=dict(WRONG_PASSWORD), transaction_id=_without_waits())
        except errors.InvalidBrokerCredentials as exc:
            self.out.result(f"{type(exc).__name__} (code {exc.code}): {exc}", style="red")
            return
        raise ScenarioBroken("the wrong password was accepted")

    def refused_locally(self, meta: MetaApi) -> None:
        self.out.step(
            "The same request again: the credential guard (memory:// store, nothing on disk) "
            "refuses it locally, so MetaApi never sees it (and cannot charge for it)."
        )
        before = self.received[0]
        try:
            meta.create_account(body=dict(WRONG_PASSWORD))
        except errors.KnownBadCredentials as exc:
            sent = self.received[0] - before
            _expect(sent == 0, f"the refused call still reached the sandbox ({sent} requests)")
            rejected_as = exc.rejected_as.__name__ if exc.rejected_as else "?"
            self.out.result(
                f"{type(exc).__name__} (reason {exc.reason}, first rejected as {rejected_as}): "
                f"refused locally, nothing sent",
                style="red",
            )
            self.out.result(
                f"requests the sandbox received for this call: {sent} "
                f"(count before {before}, after {self.received[0]})"
            )
            return
        raise ScenarioBroken("the known-bad credentials were sent again")

    def redeploy(self, meta: MetaApi) -> None:
        self.out.step("redeployAccount restarts the account's API server (HTTP 204, no body).")
        meta.redeploy_account(self.account_id)
        account = meta.get_account(self.account_id)
        _expect(account.state.value == "DEPLOYED", f"state after redeploy: {account.state}")
        self.out.result(
            f"account {self.account_id} redeployed: {account.state.value}, "
            f"{account.connection_status.value}"
        )

    def replica(self, meta: MetaApi) -> None:
        self.out.step(
            f"createAccountReplica runs a copy of the account in another region "
            f"({REPLICA_REGION}; the primary is in {PRIMARY_REGION})."
        )
        created = meta.create_account_replica(
            self.account_id,
            body={"region": REPLICA_REGION, "magic": 0},
            transaction_id=_without_waits(),
        )
        replicas = meta.list_account_replicas(self.account_id)
        regions = [r.region for r in replicas]
        _expect(regions == [REPLICA_REGION], f"replica regions: {regions}")
        replica = replicas[0]
        self.out.result(
            f"replica {created.id} in {replica.region}: {replica.state.value}, "
            f"{replica.connection_status.value}"
        )

    # --- Broker Work --------------------------------------------------------------------------
    async def account_info(self) -> None:
        self.out.step(
            "Broker Work getAccountInfo with the async client: two servers queried at once "
            "(asyncio.gather, one connection pool)."
        )
        async with brokerlink.AsyncBrokerWork(
            tenant_id="T001117",
            token="demo-token",
            base_url=self.server.base_url("brokerwork"),
            **self.clients(),
        ) as work:
            answers = await asyncio.gather(
                *(
                    work.get_account_info(server_id=server, account_id=logins)
                    for server, logins in BROKERWORK_QUERIES.items()
                )
            )
        for (server, logins), answer in zip(BROKERWORK_QUERIES.items(), answers, strict=True):
            found = sorted(str(a.login) for a in answer)
            _expect(found == sorted(logins), f"server {server}: logins {found}")
            for account in answer:
                self.out.result(
                    f"server {server} login {account.login}: {account.currency}, "
                    f"leverage 1:{account.leverage}, group {account.group}"
                )

    def mcode_failure(self, work: BrokerWork) -> None:
        self.out.step(
            "Broker Work answers HTTP 200 even when a call fails; brokerlink reads the mcode "
            "and raises its typed error."
        )
        try:
            work.get_account_info(server_id=FAILING_SERVER, account_id=["3004272"])
        except errors.ValidationError as exc:
            self.out.result(f"{type(exc).__name__} (mcode {exc.code}): {exc}", style="red")
            return
        raise ScenarioBroken("the failing mcode was not raised")

    # --- B2Core -------------------------------------------------------------------------------
    def b2core_accounts(self, b2: B2Core) -> None:
        self.out.step(
            "B2Core listAccounts filtered to enabled USD accounts (bearer token fetched on first "
            "use); money is Decimal, exact to all 18 decimal places."
        )
        accounts = b2.list_accounts(filter_=B2CORE_FILTER, sort_by="number", sort_order="asc")
        _expect(all(isinstance(a.balance, Decimal) for a in accounts), "balances are not Decimal")
        rows = [[a.number, a.currency, _money(a.balance), _money(a.equity)] for a in accounts]
        self.out.table(
            "B2Core accounts (currency USD, enabled, not archived)",
            ["number", "currency", "balance", "equity"],
            rows,
            numeric={"balance", "equity"},
        )
        total = sum((a.balance for a in accounts), Decimal(0))
        self.out.result(f"{len(accounts)} accounts, total balance {_money(total)} (Decimal sum)")


def _fault_options(fault: tuple[str, str] | None) -> dict[str, Any]:
    if fault is None:
        return {}
    api, mode = fault
    if not is_mode(mode):
        known = ", ".join(["html-5xx", *sorted(SIMPLE_MODES)])
        raise errors.InvalidRequest(f"--fault: unknown fault mode {mode!r} (known: {known})")
    return {"fault": mode, "fault_api": api}


@contextlib.contextmanager
def sandbox_server(
    fault: tuple[str, str] | None = None,
) -> Iterator[tuple[SandboxServer, list[int]]]:
    """The sandbox on a free local port, counting the requests it receives; ``fault`` is
    ``(api, mode)`` to make every request to that API fail that way."""
    received = [0]
    server = SandboxServer(accepted_retries=ACCEPTED_ANSWERS, **_fault_options(fault))
    server.app.add_middleware(_RequestCount, counter=received)
    with server:
        yield server, received


def run_demo(
    out: DemoConsole,
    *,
    fast: bool,
    fault: tuple[str, str] | None = None,
) -> None:
    """Start the sandbox and walk the scenario; errors propagate (the command reports them)."""
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if fast:
            stack.enter_context(instant_waits())
        server, received = stack.enter_context(sandbox_server(fault))
        out.heading(
            f"brokerlink demo: MetaApi, Broker Work and B2Core simulated in this process on "
            f"{server.url} (nothing leaves this machine)"
        )
        scenario = Scenario(out, server, received)
        try:
            scenario.run(fast)
        finally:
            scenario.progress.stop()
        waits = sum(scenario.progress.waits)
        waited = f"{waits:.1f} s of waits skipped by --fast" if fast else f"{waits:.1f} s of waits"
        out.heading(
            f"Done: {STEPS} steps in {time.monotonic() - started:.1f} s ({waited}); "
            f"the sandbox received {received[0]} requests."
        )
