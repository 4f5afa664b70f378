"""What every generated facade shares: one connection pool, the hook transport, auth, parsing.

The generated ``facade.py`` of each API subclasses :class:`SyncFacade` / :class:`AsyncFacade` and
adds one method per operation; everything that is not per-operation lives here.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Self

import httpx

from brokerlink.auth import auth_for, static_headers
from brokerlink.credentials import aclose_guard, close_guard
from brokerlink.errors import InvalidRequest, UnexpectedResponse
from brokerlink.plugins.call import CallOptions
from brokerlink.plugins.manager import plugin_manager
from brokerlink.plugins.transport import AsyncHookTransport, HookTransport

DEFAULT_TIMEOUT = 30.0
POOL_CONNECTIONS = 100  # httpx's default pool size, made explicit
_PARSE_FAILURES = (KeyError, ValueError, TypeError, AttributeError)
_OPTION_NAMES = {f.name for f in dataclasses.fields(CallOptions)}


def new_transaction_id() -> str:
    """32 hex characters from the OS's cryptographic source, as MetaApi asks."""
    return secrets.token_hex(16)


def _coerce_model(model: Any, value: Any, what: str) -> Any:
    """Accept a typed model or a mapping with the API's JSON names; reject bad mappings locally."""
    if isinstance(value, Mapping):
        try:
            return model.from_dict(dict(value))
        except KeyError as exc:
            raise InvalidRequest(f"{what}: missing required field {exc.args[0]!r}") from None
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidRequest(f"{what}: {exc}") from None
    return value


class _Facade:
    _http: Any
    _transport: Any

    def __init__(
        self,
        *,
        api: str,
        credentials: Mapping[str, str],
        base_url: str,
        timeout: float | httpx.Timeout,
        transport: Any,
        plugins: Sequence[object],
        client_class: Any,
        max_retries: int | None = None,
        poll_timeout: float | None = None,
        credential_cache: Any = None,
    ) -> None:
        for name, value in credentials.items():
            if not isinstance(value, str) or not value:
                raise InvalidRequest(f"{name} must be a non-empty string")
        if not base_url:
            raise InvalidRequest("base_url is required for this API")
        self._api = api
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._options = CallOptions(max_retries=max_retries, poll_timeout=poll_timeout)
        # Per-client resources plugins reach via ``call.services``; with_options copies share them.
        self._services: dict[str, Any] = {"credential_cache": credential_cache}
        self._manager = plugin_manager(plugins, api)
        self._auth = auth_for(api, self._base_url, credentials)
        self._headers = static_headers(api, credentials)
        self._inner = transport if transport is not None else self._default_transport()
        self._owns_pool = True
        self._client = client_class(base_url=self._base_url, raise_on_unexpected_status=False)
        self._connect()

    # subclasses: the sync or async flavour of pool, transport and client
    def _default_transport(self) -> Any:
        raise NotImplementedError

    def _connect(self) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def options(self) -> CallOptions:
        """The per-call options in force for this client (see :meth:`with_options`)."""
        return self._options

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, **overrides: Any
    ) -> Self:
        """A copy with other per-call options, sharing this client's connection pool and token.

        Accepts ``timeout``, ``max_retries``, ``retry_deadline``, ``poll_timeout``,
        ``credential_guard`` and ``end_user_id``. Closing the copy leaves the pool open; close
        the original.
        """
        unknown = set(overrides) - _OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        clone = copy.copy(self)
        clone._options = dataclasses.replace(self._options, **overrides)
        if timeout is not None:
            clone._timeout = timeout
        clone._owns_pool = False
        clone._client = copy.copy(self._client)
        clone._connect()
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    def _finish(
        self,
        response: httpx.Response,
        parse: Callable[..., Any],
        operation: str,
        success: tuple[int, ...],
    ) -> Any:
        """Parse a response the hooks accepted as final into the operation's typed result."""
        if response.status_code not in success:
            raise UnexpectedResponse(
                f"undocumented status {response.status_code}",
                vendor=self._api,
                operation=operation,
                status=response.status_code,
                body=response.content,
            )
        try:
            return parse(client=self._client, response=response)
        except _PARSE_FAILURES as exc:
            raise UnexpectedResponse(
                f"response body does not match the spec ({type(exc).__name__}: {exc})",
                vendor=self._api,
                operation=operation,
                status=response.status_code,
                body=response.content,
            ) from exc


class SyncFacade(_Facade):
    """Base of the synchronous facades."""

    def _default_transport(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport()

    def _connect(self) -> None:
        self._transport = HookTransport(
            self._inner,
            self._manager,
            api=self._api,
            options=self._options,
            services=self._services,
            owns_inner=self._owns_pool,
        )
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=self._timeout,
            transport=self._transport,
            auth=self._auth,
            headers=self._headers,
            follow_redirects=False,
        )
        self._client.set_httpx_client(self._http)

    def _send(self, kwargs: dict[str, Any]) -> httpx.Response:
        return self._http.request(**kwargs)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the connection pool (a copy from ``with_options`` leaves it to the original)
        and the credential store the client opened, if any."""
        self._http.close()
        if self._owns_pool:
            close_guard(self._services)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncFacade(_Facade):
    """Base of the asynchronous facades."""

    _gate: asyncio.Semaphore | None = None

    def _default_transport(self) -> httpx.AsyncBaseTransport:
        # Requests queue on this semaphore, not in httpcore's pool, whose queue costs grow with
        # every waiting request and whose pool timeout would fail calls that are merely queued
        # (thousands of concurrent polled creates). Shared by with_options copies.
        self._gate = asyncio.Semaphore(POOL_CONNECTIONS)
        # Keep every connection the gate lets open (httpx keeps 20 by default): a burst above
        # 20 would otherwise close and reconnect the surplus on every release.
        limits = httpx.Limits(
            max_connections=POOL_CONNECTIONS, max_keepalive_connections=POOL_CONNECTIONS
        )
        return httpx.AsyncHTTPTransport(limits=limits)

    def _connect(self) -> None:
        self._transport = AsyncHookTransport(
            self._inner,
            self._manager,
            api=self._api,
            options=self._options,
            services=self._services,
            owns_inner=self._owns_pool,
            gate=self._gate,
        )
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            timeout=self._timeout,
            transport=self._transport,
            auth=self._auth,
            headers=self._headers,
            follow_redirects=False,
        )
        self._client.set_async_httpx_client(self._http)

    def _send(self, kwargs: dict[str, Any]) -> Awaitable[httpx.Response]:
        # httpx's own coroutine, awaited by the caller: no extra frame on every resumption.
        return self._http.request(**kwargs)  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close the connection pool (a copy from ``with_options`` leaves it to the original)
        and the credential store the client opened, if any."""
        await self._http.aclose()
        if self._owns_pool:
            await aclose_guard(self._services)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
