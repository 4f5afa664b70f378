"""In-memory stores of the three simulated APIs (plain data, no HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]


# --- MetaApi -----------------------------------------------------------------------------------
@dataclass
class Transition:
    """A transitional state (e.g. DEPLOYING) that becomes ``final`` at ``at`` (epoch s)."""

    final: str
    at: float


@dataclass
class MtReplica:
    """A replica of a MetaTrader account; ``doc`` is its public JSON."""

    doc: JSON
    transition: Transition | None = None


@dataclass
class MtAccount:
    """A MetaTrader account; ``doc`` is its public JSON without ``accountReplicas``."""

    doc: JSON
    password: str | None = None
    deploy_error: str | None = None
    """Error code that deploy/redeploy (and replica creation) answer: magic credentials."""
    replicas: dict[str, MtReplica] = field(default_factory=dict)
    transition: Transition | None = None
    delete_at: float | None = None
    experts: dict[str, JSON] = field(default_factory=dict)
    """Expert advisors by id: ``{expertId, period, symbol, fileUploaded}``."""


@dataclass
class ProvisioningProfile:
    doc: JSON
    files: dict[str, int] = field(default_factory=dict)
    """Uploaded file name -> size in bytes."""


@dataclass
class Transaction:
    """Memory of one ``transaction-id``: 202s still owed, then the final answer."""

    remaining: int
    retry_after: str
    """``seconds``, ``http-date``, ``none`` or ``garbage``."""
    final: tuple[int, Any] | None = None
    job: Callable[[], tuple[int, Any]] | None = None
    """Computes the final answer from the first request's body, once the 202s are spent."""


@dataclass
class MetaApiStore:
    accounts: dict[str, MtAccount] = field(default_factory=dict)
    profiles: dict[str, ProvisioningProfile] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    quotas: dict[str, JSON] = field(default_factory=dict)
    next_demo_login: int = 5_100_000


# --- Broker Work -------------------------------------------------------------------------------
@dataclass
class BwAccount:
    """A trading account on one Broker Work server."""

    server_id: str
    login: int
    info: JSON
    """Fields of account info (login, currency, enable, readOnly, group, leverage, ...)."""
    name: str = ""
    email: str = ""
    phone: str = ""
    owner_id: int = 0
    regdate: float = 0.0
    balance: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    password: str = ""
    investor_password: str = ""


@dataclass
class BrokerWorkStore:
    users: dict[int, JSON] = field(default_factory=dict)
    passwords: dict[int, str] = field(default_factory=dict)
    last_login: dict[int, int] = field(default_factory=dict)
    levels: list[JSON] = field(default_factory=list)
    servers: set[str] = field(default_factory=set)
    accounts: dict[tuple[str, int], BwAccount] = field(default_factory=dict)
    positions: list[JSON] = field(default_factory=list)
    """Each has a private ``_serverId`` key stripped before answering."""
    deals: list[JSON] = field(default_factory=list)
    customers: dict[str, JSON] = field(default_factory=dict)
    customer_times: dict[str, float] = field(default_factory=dict)
    links: list[JSON] = field(default_factory=list)
    commissions: list[JSON] = field(default_factory=list)
    """Report rows, each with private ``_serverId``."""
    next_user_id: int = 1000
    next_login: int = 2_110_001_000


# --- B2Core ------------------------------------------------------------------------------------
@dataclass
class B2Account:
    doc: JSON
    """Public account JSON (money already as 18-digit strings)."""
    created: float
    user_id: str
    trades: int = 0


@dataclass
class B2CoreStore:
    accounts: dict[str, B2Account] = field(default_factory=dict)
    platforms: dict[str, JSON] = field(default_factory=dict)
    groups: dict[str, JSON] = field(default_factory=dict)
    profiles: dict[str, JSON] = field(default_factory=dict)
    tokens: dict[str, tuple[float, str]] = field(default_factory=dict)
    """access token -> (expiry in epoch s, client id)."""
    next_id: int = 0x60BA_4100_0000_0000_0000_0000
