"""What is generated: one entry per vendor API, naming its spec, package and facade classes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GENERATED = ROOT / "generated"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Credential:
    """A constructor keyword the facade takes and hands to the auth layer."""

    name: str
    doc: str
    scheme: str | None = None  # the spec's security scheme whose header carries it, if any
    required: bool = True


@dataclass(frozen=True)
class Api:
    """One vendor API: where its spec is and what the generated package and facades are called."""

    name: str  # package under generated/ and the tag on every request
    spec: str  # file name under specs/
    facade: str  # sync facade class; the async one is "Async" + facade
    title: str
    credentials: tuple[Credential, ...]
    default_base_url: str | None = None
    polls: bool = False  # has 202 operations: the constructor takes ``poll_timeout``
    guarded: bool = False  # has credential-guarded operations: takes ``credential_cache``

    @property
    def spec_path(self) -> Path:
        return SPECS / self.spec


APIS: tuple[Api, ...] = (
    Api(
        name="metaapi",
        spec="metaapi-provisioning.yaml",
        facade="MetaApi",
        title="MetaApi provisioning API",
        credentials=(Credential("token", "MetaApi API token.", scheme="authToken"),),
        default_base_url="https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai",
        polls=True,
        guarded=True,
    ),
    Api(
        name="brokerwork",
        spec="brokerwork.yaml",
        facade="BrokerWork",
        title="Lean Work Broker Work API",
        credentials=(
            Credential("tenant_id", "Tenant number.", scheme="tenantId"),
            Credential("token", "API token.", scheme="apiToken"),
        ),
    ),
    Api(
        name="b2core",
        spec="b2core-ib.yaml",
        facade="B2Core",
        title="B2Broker B2Core IB API",
        credentials=(
            Credential("client_id", "App client id, exchanged with the secret for a bearer token."),
            Credential("client_secret", "App client secret."),
        ),
    ),
)
