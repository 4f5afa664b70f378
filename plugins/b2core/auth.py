"""Built-in plugin: B2Core's client-credentials bearer token, as an httpx ``Auth`` flow.

Facades only build requests relative to their own base URL and never follow redirects, so no
credential reaches another host; the flow also checks the origin. Reprs hide secrets.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any

import httpx

from brokerlink import timing
from brokerlink.errors import UnexpectedResponse
from brokerlink.hooks import ClientState, Invocation, Operation, hookimpl
from brokerlink.hooks.call import masked, secrets_of

VENDOR = "b2core"
TOKEN_OPERATION = Operation(VENDOR, "createToken", idempotent=True)
DEFAULT_LIFETIME, MIN_LIFETIME, MAX_LIFETIME = 600.0, 60.0, 86_400.0


def lifetime_of(expires_in: Any) -> float:
    """Seconds a token is used for: ``expires_in`` if a finite positive number (or numeric
    string), held to a minute .. a day; else (missing, 0, negative, NaN, absurd) 600 s. A 401
    refreshes once anyway, so a short real lifetime never costs a token request per call."""
    try:
        seconds = math.nan if isinstance(expires_in, bool) else float(expires_in)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    ok = math.isfinite(seconds) and seconds > 0
    return min(max(seconds, MIN_LIFETIME), MAX_LIFETIME) if ok else DEFAULT_LIFETIME


# Set on a request whose 401 the auth flow will answer itself (refresh and resend once); the error
# plugin lets such a 401 through instead of raising.
REFRESH_ON_401 = "brokerlink.refresh_on_401"


def _same_origin(request: httpx.Request, base: httpx.URL) -> bool:
    url = request.url
    return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)


def _now() -> float:
    """brokerlink's monotonic clock (virtual under ``brokerlink.testing``)."""
    return timing.current().monotonic()


class B2CoreTokenAuth(httpx.Auth):
    """Client-credentials bearer token: fetched on first use, reused until shortly before expiry,
    refreshed once on a 401. Concurrent first calls wait for one token request."""

    requires_response_body = True

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] | None = None,
        margin: float = 30.0,
        secrets: set[str] | None = None,
    ) -> None:
        self._base = httpx.URL(base_url if base_url.endswith("/") else base_url + "/")
        self._basic = httpx.BasicAuth(client_id, client_secret)._auth_header
        self._clock = clock or _now
        self._margin = margin
        self._secrets = set() if secrets is None else secrets  # the client's: tokens join it
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        shown = self._base.copy_with(userinfo=b"***") if self._base.userinfo else self._base
        return f"B2CoreTokenAuth(base_url={str(shown)!r}, has_token={self._token is not None})"

    # -- shared decisions ---------------------------------------------------------------------
    def _is_token_request(self, request: httpx.Request) -> bool:
        tag = request.extensions.get("brokerlink")
        operation = tag.operation if isinstance(tag, Invocation) else tag
        return isinstance(operation, Operation) and (operation.api, operation.operation_id) == (
            VENDOR,
            TOKEN_OPERATION.operation_id,
        )

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    def _token_request(self, like: httpx.Request) -> httpx.Request:
        """The token request, with the timeout of the call that needs it (the client's)."""
        timeout = {k: v for k, v in like.extensions.items() if k == "timeout"}
        return httpx.Request(
            "POST",
            self._base.join("tokens"),
            json={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic},
            extensions={"brokerlink": TOKEN_OPERATION, **timeout},
        )

    def _store(self, response: httpx.Response) -> None:
        try:
            data = response.json()
            token = data["access_token"]
            if not isinstance(token, str) or not token:
                raise TypeError("access_token is not a non-empty string")
            lifetime = lifetime_of(data.get("expires_in"))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise UnexpectedResponse(
                "token answer without a usable access_token",
                vendor=VENDOR,
                operation=TOKEN_OPERATION.operation_id,
                status=response.status_code,
                body=masked(response.content, secrets_of(self._secrets, None)),
            ) from exc
        self._secrets.discard(self._token or "")
        self._secrets.add(token)
        self._token = token
        self._expires_at = self._clock() + max(lifetime - min(self._margin, lifetime / 10), 0.0)

    def _authorize(self, request: httpx.Request) -> str | None:
        if self._token is not None:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return self._token

    # -- flows ----------------------------------------------------------------------------------
    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if not _same_origin(request, self._base):
            yield request
            return
        if self._is_token_request(request):
            request.headers["Authorization"] = self._basic
            yield request
            return
        with self._lock:
            if not self._valid():
                self._store((yield self._token_request(request)))
        used = self._authorize(request)
        request.extensions[REFRESH_ON_401] = True
        response = yield request
        request.extensions.pop(REFRESH_ON_401, None)
        if response.status_code == 401:
            with self._lock:
                if self._token == used:
                    self._store((yield self._token_request(request)))
            self._authorize(request)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not _same_origin(request, self._base):
            yield request
            return
        if self._is_token_request(request):
            request.headers["Authorization"] = self._basic
            yield request
            return
        if self._alock is None:
            self._alock = asyncio.Lock()
        async with self._alock:
            if not self._valid():
                self._store((yield self._token_request(request)))
        used = self._authorize(request)
        request.extensions[REFRESH_ON_401] = True
        response = yield request
        request.extensions.pop(REFRESH_ON_401, None)
        if response.status_code == 401:
            async with self._alock:
                if self._token == used:
                    self._store((yield self._token_request(request)))
            self._authorize(request)
            yield request


@hookimpl
def brokerlink_client_auth(
    api: str, base_url: str, credentials: Mapping[str, str], client: ClientState
) -> httpx.Auth | None:
    if api != VENDOR:
        return None
    secret = credentials["client_secret"]
    return B2CoreTokenAuth(base_url, credentials["client_id"], secret, secrets=client.secrets)
