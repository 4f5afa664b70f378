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
    """A constructor keyword the facade takes and hands to the auth layer.

    With ``scheme`` (a header ``apiKey`` security scheme of the spec) the header name and the doc
    come from the spec; ``doc`` is only for credentials no header scheme describes.
    """

    name: str
    scheme: str | None = None
    doc: str = ""
    secret: bool = True  # masked in error messages a server echoes back


@dataclass(frozen=True)
class Api:
    """One vendor API: where its spec is and what the generated package and facades are called.

    Only what the spec does not say is written here; ``generator.build.resolve`` fills in the
    rest from the spec: ``title`` (``info.title``), ``default_base_url`` (the first server, when
    it has no variables), ``polls`` (some operation answers 202) and the credentials' docs.
    """

    name: str  # package under generated/ and the tag on every request
    spec: str  # file name under specs/
    facade: str  # sync facade class; the async one is "Async" + facade
    credentials: tuple[Credential, ...]
    guarded: bool = False  # the credential guard plugin covers some operations: credential_cache
    # hand-written behaviour the facades inherit: (module, sync mixin, async mixin)
    mixins: tuple[str, str, str] | None = None
    # from the spec (see generator.build.resolve)
    title: str = ""
    default_base_url: str | None = None
    polls: bool = False  # has 202 operations: the constructor takes ``poll_timeout``

    @property
    def spec_path(self) -> Path:
        return SPECS / self.spec


APIS: tuple[Api, ...] = (
    Api(
        name="metaapi",
        spec="metaapi-provisioning.yaml",
        facade="MetaApi",
        credentials=(Credential("token", scheme="authToken"),),
        guarded=True,
        mixins=("brokerlink.plugins.metaapi.waiters", "Waiters", "AsyncWaiters"),
    ),
    Api(
        name="brokerwork",
        spec="brokerwork.yaml",
        facade="BrokerWork",
        credentials=(
            Credential("tenant_id", scheme="tenantId", secret=False),
            Credential("token", scheme="apiToken"),
        ),
    ),
    Api(
        name="b2core",
        spec="b2core-ib.yaml",
        facade="B2Core",
        credentials=(
            Credential(
                "client_id",
                doc="App client id, exchanged with the secret for a bearer token.",
                secret=False,
            ),
            Credential("client_secret", doc="App client secret."),
        ),
    ),
)
