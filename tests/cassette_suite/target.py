"""Where a cassette run sends its requests: nowhere (replay), the in-process sandbox, or a vendor.

Replays (record mode ``none``, the default) talk to placeholder hosts that vcrpy answers from the
cassettes; a recording run (``--record-mode=once`` and friends) talks to a fresh
``SandboxServer``, or, with ``BROKERLINK_RECORD_TARGET=vendor``, to real vendor accounts whose
URLs and credentials come from environment variables (see ``tests/cassettes/README.md``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.cassette_suite.scrub import PLACEHOLDER_BASES

APIS = ("metaapi", "brokerwork", "b2core")
EPOCH = 1_700_000_000.0
"""Every recording and every replay starts at this instant, so clocks agree between the two."""

# Credentials used for sandbox recordings and for every replay. The sandbox accepts only these,
# so recordings prove the auth headers were right; the secret scan proves none reached a cassette.
METAAPI_TOKEN = "cassette-metaapi-token-Xq81vTz"
BW_TENANT = "T001117"
BW_TOKEN = "cassette-bw-token-Lr52kPw"
B2_CLIENT_ID = "cassette-client"
B2_CLIENT_SECRET = "cassette-b2-secret-Hm37cNq"
B2_FORBIDDEN_SECRET = "cassette-b2-forbidden-Vb90sRe"
WRONG_TOKEN = "cassette-wrong-token-Jd64yUa"
ACCOUNT_PASSWORD = "cassette-trading-pw-Qe29wLo"
"""A trading-account password sent in request bodies (MetaApi, Broker Work)."""
SIGNATURE = "cassette-signature-Fz13gHk"
"""Broker Work ``x-api-signature`` for changeBalance."""

CREDENTIALS: dict[str, dict[str, str]] = {
    "metaapi": {"token": METAAPI_TOKEN},
    "brokerwork": {"tenant_id": BW_TENANT, "token": BW_TOKEN},
    "b2core": {"client_id": B2_CLIENT_ID, "client_secret": B2_CLIENT_SECRET},
}
KNOWN_SECRETS = (
    METAAPI_TOKEN,
    BW_TOKEN,
    B2_CLIENT_SECRET,
    B2_FORBIDDEN_SECRET,
    WRONG_TOKEN,
    ACCOUNT_PASSWORD,
    SIGNATURE,
)
"""Every secret the suite sends: none of them may appear in any cassette."""

# Environment variables for recording against real vendor accounts.
TARGET_ENV = "BROKERLINK_RECORD_TARGET"
VENDOR_ENV: dict[str, dict[str, str]] = {
    "metaapi": {"token": "BROKERLINK_METAAPI_TOKEN"},
    "brokerwork": {
        "tenant_id": "BROKERLINK_BROKERWORK_TENANT_ID",
        "token": "BROKERLINK_BROKERWORK_TOKEN",
    },
    "b2core": {
        "client_id": "BROKERLINK_B2CORE_CLIENT_ID",
        "client_secret": "BROKERLINK_B2CORE_CLIENT_SECRET",
    },
}
URL_ENV = {api: f"BROKERLINK_{api.upper()}_URL" for api in APIS}
VENDOR_DEFAULT_URLS = {"metaapi": "https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai"}


@dataclass
class Target:
    """One run's destination: base URLs and credentials per API."""

    kind: Literal["replay", "sandbox", "vendor"]
    base_urls: dict[str, str]
    credentials: dict[str, dict[str, str]]
    server: Any = None
    """The ``SandboxServer`` when recording against the sandbox."""
    skipped: dict[str, str] = field(default_factory=dict)
    """APIs this run cannot reach, with the reason (vendor runs without that vendor's variables)."""

    @property
    def secrets(self) -> list[str]:
        """The secrets this run sends (for the scan): test constants plus any vendor ones."""
        found = list(KNOWN_SECRETS)
        for creds in self.credentials.values():
            found.extend(v for k, v in creds.items() if k not in ("tenant_id", "client_id"))
        return sorted(set(found))


def replay_target() -> Target:
    return Target("replay", dict(PLACEHOLDER_BASES), CREDENTIALS)


def sandbox_options() -> dict[str, Any]:
    """The sandbox as the recordings need it: only the suite's credentials are valid."""
    return {
        "metaapi_tokens": frozenset({METAAPI_TOKEN}),
        "brokerwork_tenants": {BW_TENANT: BW_TOKEN},
        "b2core_clients": {B2_CLIENT_ID: B2_CLIENT_SECRET, "forbidden": B2_FORBIDDEN_SECRET},
    }


def sandbox_target(server: Any) -> Target:
    urls = {api: server.base_url(api) for api in APIS}
    return Target("sandbox", urls, CREDENTIALS, server=server)


def vendor_target(env: Mapping[str, str] = os.environ) -> Target:
    """Real vendors, from environment variables; APIs without them are skipped, not guessed."""
    urls: dict[str, str] = {}
    creds: dict[str, dict[str, str]] = {}
    skipped: dict[str, str] = {}
    for api in APIS:
        names = VENDOR_ENV[api]
        missing = [var for var in [*names.values(), URL_ENV[api]] if not env.get(var)]
        if api in VENDOR_DEFAULT_URLS and URL_ENV[api] in missing:
            missing.remove(URL_ENV[api])
        if missing:
            skipped[api] = "set " + ", ".join(missing) + " to record it"
            urls[api] = PLACEHOLDER_BASES[api]
            creds[api] = CREDENTIALS[api]
            continue
        urls[api] = env.get(URL_ENV[api]) or VENDOR_DEFAULT_URLS[api]
        creds[api] = {key: env[var] for key, var in names.items()}
    return Target("vendor", urls, creds, skipped=skipped)


class SharedClock:
    """The clock shared by the sandbox (when recording) and brokerlink's waits, from ``EPOCH``.

    Against a vendor there is none: real time and real waits (a real server must not be polled
    without pause).

    ``waits`` lists every wait brokerlink asked for, so tests assert polling and retry schedules
    the same way on recording and on replay.
    """

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner
        self.current = EPOCH
        self.waits: list[float] = []
        if inner is not None:
            inner.set(EPOCH)

    def now(self) -> float:
        return float(self.inner.now()) if self.inner is not None else self.current

    def advance(self, seconds: float) -> None:
        if self.inner is not None:
            self.inner.advance(seconds)
        else:
            self.current += seconds
