"""What every generated facade shares: one connection pool, the hook executors, auth, parsing.

The generated ``facade.py`` of each API subclasses :class:`SyncFacade` / :class:`AsyncFacade` and
adds one method per operation, each handing :meth:`_call` the operation's generated module, the
request it built and the typed body; everything that is not per-operation lives here.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import importlib
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, Self

import httpx

from brokerlink import timing
from brokerlink.environment import environment_proxy
from brokerlink.errors import InvalidRequest, UnexpectedResponse
from brokerlink.hooks.call import (
    CallOptions,
    ClientState,
    Invocation,
    Operation,
    masked,
    secrets_of,
)
from brokerlink.hooks.executors import AsyncHookTransport, HookTransport
from brokerlink.hooks.manager import Hooks, plugin_manager
from brokerlink.plugins.error_body import request_id
from brokerlink.raw_response import RawResponse

if TYPE_CHECKING:
    import asyncio

DEFAULT_TIMEOUT = 30.0
POOL_CONNECTIONS = 100  # httpx's default pool size, made explicit
# What a body that does not fit its model raises while parsing: malformed or invalid UTF-8 JSON
# and FieldTypeError (ValueError), too deep (RecursionError), numbers beyond float or Decimal
# (ArithmeticError: OverflowError, decimal.InvalidOperation), missing fields (KeyError).
_PARSE_FAILURES = (KeyError, ValueError, TypeError, AttributeError, RecursionError, ArithmeticError)
_OPTION_NAMES = {f.name for f in dataclasses.fields(CallOptions)}
_URLS_KEPT = 1024


class NotGiven(enum.Enum):
    """The default of :meth:`~SyncFacade.with_options`' keywords: keep this client's value
    (``None`` is a value there: the plugin's default)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return self.value


NOT_GIVEN = NotGiven.NOT_GIVEN


class Endpoint(Protocol):
    """A generated operation module: its tag and its response parser."""

    OPERATION: Operation

    def _parse_response(self, response: httpx.Response) -> Any: ...


def _shaped(parsed: Any, endpoint: Any, shape: str) -> Any:
    """The one form a method returns, whatever form the server chose (see generator/facades.py):
    ``items.<field>`` the bare list of an answer that may wrap it in ``<field>``, ``page`` the
    counted page (``endpoint.PAGE``); ``payload``, ``payload-list`` and ``payload-none`` an
    envelope's ``data`` as its model, as a list (an item alone is a list of one) or not at all."""
    if shape.startswith("items.") and not isinstance(parsed, list):
        return list(getattr(parsed, shape[6:]) or [])
    if shape == "page" and isinstance(parsed, list):
        return endpoint.PAGE(count=len(parsed), items=parsed)
    if shape == "payload-none":
        return None
    if shape == "payload":
        if parsed.data is None:
            raise ValueError("a success without the data it promises")
        return parsed.data
    if shape == "payload-list":
        data = parsed.data
        return [] if data is None else data if isinstance(data, list) else [data]
    return parsed


def _monotonic() -> float:
    return timing.current().monotonic()


@functools.cache
def _lazy(package: str | None, module: str, name: str = "") -> Any:
    """A generated operation module (or a model of one), imported on a method's first call and
    then looked up: the facades import neither when they are, nor again per call."""
    loaded = importlib.import_module(module, package)
    return getattr(loaded, name) if name else loaded


def new_transaction_id() -> str:
    """32 hex characters from the OS's cryptographic source, as MetaApi asks."""
    return secrets.token_hex(16)


def _coerce_model(model: Any, value: Any, what: str) -> Any:
    """Accept a typed model or a mapping with the API's JSON names; reject bad mappings locally:
    a missing or ill-typed field, or one the spec does not know (``extra_body=`` sends those)."""
    if isinstance(value, Mapping):
        try:
            coerced = model.from_dict(dict(value))
        except KeyError as exc:
            raise InvalidRequest(f"{what}: missing required field {exc.args[0]!r}") from None
        except (ValueError, TypeError, AttributeError, RecursionError, ArithmeticError) as exc:
            raise InvalidRequest(f"{what}: {exc}") from None
        unknown = _unknown_fields(coerced, what)
        if unknown:
            raise InvalidRequest(
                f"{unknown}: not a field of {model.__name__} (a field newer than the spec goes "
                "in extra_body=)"
            )
        return coerced
    return value


def _unknown_fields(value: Any, path: str) -> str | None:
    """The path of the first field a parsed mapping had that its model does not declare (free-form
    objects, which declare none, take any)."""
    if isinstance(value, list):
        return next(
            (u for i, v in enumerate(value) if (u := _unknown_fields(v, f"{path}[{i}]"))), None
        )
    fields = getattr(type(value), "__attrs_attrs__", None)
    if fields is None:
        return None
    extra = getattr(value, "additional_properties", None)
    if extra and len(fields) > 1:
        return f"{path}.{next(iter(extra))}"
    for field in fields:
        item = getattr(value, field.name)
        # only models and lists hold fields of their own (scalars are most of a body)
        if isinstance(item, list) or hasattr(type(item), "__attrs_attrs__"):
            found = _unknown_fields(item, f"{path}.{field.name}")
            if found:
                return found
    return None


def _with_extra(body: Any, extra_body: Mapping[str, Any] | None) -> Any:
    """``body`` with the caller's fields the spec does not have yet, sent as they are."""
    if extra_body:
        body.additional_properties.update(extra_body)
    return body


def redacted(url: str) -> str:
    """``url`` fit for a message or repr: its userinfo, query and fragment (where a password or
    key may sit) replaced by ``***``; leniently, so it also works on what does not parse."""
    url = re.sub(r"([?#]).*", r"\1***", url, count=1, flags=re.DOTALL)
    return re.sub(r"^([a-zA-Z][\w+.-]*://)?[^?#]*@", r"\1***@", url, count=1)


def _checked_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash; a configuration error (``InvalidRequest``) unless
    it is an absolute http(s) URL with a host and no query or fragment."""
    if not isinstance(base_url, str) or not base_url:
        raise InvalidRequest("base_url is required for this API")
    shown = redacted(base_url)
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise InvalidRequest(f"base_url {shown!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise InvalidRequest(
            f"base_url {shown!r}: give http:// or https://, a host, and no query or fragment"
        )
    return base_url.rstrip("/")


def _error_classes(manager: Any, api: str) -> dict[str, type[Exception]]:
    merged: dict[str, type[Exception]] = {}
    # pluggy returns results last-registered first; apply in registration order so later wins.
    for mapping in reversed(manager.hook.brokerlink_error_classes(vendor=api)):
        if mapping:
            merged.update(mapping)
    return merged


def _header_defaults(
    current: httpx.Headers, given: Mapping[str, str] | None, reserved: set[str]
) -> httpx.Headers:
    """``current`` updated with ``given`` (by case-insensitive name); naming a header the
    credentials set is ``InvalidRequest``: pass the credential instead, it would be overwritten."""
    merged = httpx.Headers(current)
    if given is None:
        return merged
    if not isinstance(given, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in given.items()
    ):
        raise InvalidRequest("default_headers must map header names to strings")
    clash = sorted(name for name in given if name.lower() in reserved)
    if clash:
        raise InvalidRequest(
            f"default_headers: {', '.join(clash)} carries a credential; pass the credential"
        )
    merged.update(given)
    return merged


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, not consulted for a response that sets no cookie: httpx would build
    urllib request and response objects for every response to find none (the APIs here set
    none; one that does is kept as before)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _Facade:
    _http: Any
    _transport: Any
    _raw_responses = False  # True on the copy behind ``with_raw_response``

    def __init__(
        self,
        *,
        api: str,
        credentials: Mapping[str, str],
        key_headers: Mapping[str, str],
        base_url: str,
        timeout: float | httpx.Timeout,
        transport: Any,
        default_headers: Mapping[str, str] | None = None,
        plugins: Sequence[object],
        max_retries: int | None = None,
        max_response_bytes: int | None = None,
        poll_timeout: float | None = None,
        credential_cache: Any = None,
        secrets: Sequence[str] = (),
        error_codes: Mapping[str, type[Exception]] | None = None,
        code_prefixes: Sequence[tuple[str, type[Exception]]] = (),
        retryable_codes: frozenset[str] = frozenset(),
    ) -> None:
        for name, value in credentials.items():
            if not isinstance(value, str) or not value:
                raise InvalidRequest(f"{name} must be a non-empty string")
        self._api = api
        self._base_url = _checked_base_url(base_url)
        self._timeout = timeout
        self._options = CallOptions(
            max_retries=max_retries,
            poll_timeout=poll_timeout,
            max_response_bytes=max_response_bytes,
        )
        self._manager = manager = plugin_manager(plugins, api)
        self._hooks = Hooks(manager)
        # Shared with the plugins and by with_options copies.
        self._state = ClientState(
            api=api,
            base_url=self._base_url,
            # The spec's codes (generated), under what plugins register: hook results win.
            error_classes={**(error_codes or {}), **_error_classes(manager, api)},
            code_prefixes=tuple(code_prefixes),
            retryable_codes=frozenset(retryable_codes),
            credential_cache=credential_cache,
            secrets=set(secrets),
        )
        self._auth = manager.hook.brokerlink_client_auth(
            api=api, base_url=self._base_url, credentials=dict(credentials), client=self._state
        )
        self._headers = {header: credentials[name] for name, header in key_headers.items()}
        self._reserved = {"authorization", *(h.lower() for h in key_headers.values())}
        self._default_headers = _header_defaults(httpx.Headers(), default_headers, self._reserved)
        self._urls: dict[str, httpx.URL] = {}  # shared by with_options copies: same base URL
        self._inner = transport if transport is not None else self._default_transport()
        self._owns_pool = True
        self._connect()

    # subclasses: the sync or async flavour of pool, executor and httpx client
    _executor: Any
    _client_class: Any
    _gate: asyncio.Semaphore | None = None

    def _default_transport(self) -> Any:
        raise NotImplementedError

    def _connect(self) -> None:
        """The executor over the pool and the httpx client over it (again for each copy)."""
        gate = {} if self._gate is None else {"gate": self._gate}
        self._transport = self._executor(
            self._inner,
            self._hooks,
            self._state,
            self._options,
            owns_inner=self._owns_pool,
            **gate,
        )
        self._http = self._client_class(
            base_url=self._base_url,
            timeout=self._timeout,
            transport=self._transport,
            auth=self._auth,
            headers={**self._default_headers, **self._headers},
            follow_redirects=False,
        )
        self._http._cookies = _Cookies()  # see _Cookies (httpx has no public way in)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def options(self) -> CallOptions:
        """The per-call options in force for this client (see :meth:`with_options`)."""
        return self._options

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven | None = NOT_GIVEN,
        retry_deadline: float | NotGiven | None = NOT_GIVEN,
        poll_timeout: float | NotGiven | None = NOT_GIVEN,
        poll_interval: float | NotGiven | None = NOT_GIVEN,
        credential_guard: bool | NotGiven = NOT_GIVEN,
        end_user_id: str | NotGiven | None = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy with other per-call options, sharing this client's connection pool and token.

        An omitted keyword keeps this client's value; ``default_headers`` are merged into this
        client's. Closing the copy leaves the pool open; close the original.
        """
        given = locals()
        changes = {n: given[n] for n in _OPTION_NAMES if given[n] is not NOT_GIVEN}
        clone = copy.copy(self)
        clone._options = dataclasses.replace(self._options, **changes)
        if not isinstance(timeout, NotGiven):
            clone._timeout = timeout
        clone._default_headers = _header_defaults(
            self._default_headers, default_headers, self._reserved
        )
        clone._owns_pool = False
        clone._connect()
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={redacted(self._base_url)!r})"

    def _request(
        self, kwargs: dict[str, Any], endpoint: Endpoint, body: Any, path: Mapping[str, str]
    ) -> dict[str, Any]:
        kwargs["url"] = self._url(kwargs["url"])
        kwargs["extensions"] = {"brokerlink": Invocation(endpoint.OPERATION, body, path)}
        return kwargs

    def _url(self, path: str) -> httpx.URL:
        """The absolute URL of an operation's ``path`` (its parameters already quoted), parsed
        once: httpx would parse the path and the base URL again on every request."""
        urls = self._urls
        url = urls.get(path)
        if url is None:
            if len(urls) >= _URLS_KEPT:  # paths with ids in them: keep the cache bounded
                urls.clear()
            url = urls[path] = httpx.URL(self._base_url + path)
        return url

    def _finish(
        self,
        response: httpx.Response,
        endpoint: Endpoint,
        success: tuple[int, ...],
        shape: str = "",
        started: float = 0.0,
    ) -> Any:
        """Parse a response the hooks accepted as final into the operation's typed result."""
        if response.status_code not in success:
            raise self._unexpected(
                f"undocumented status {response.status_code}", response, endpoint
            )
        if self._raw_responses:  # elapsed on brokerlink's clock: virtual in tests
            elapsed = timedelta(seconds=_monotonic() - started)
            parse = functools.partial(self._parse, response, endpoint, shape)
            return RawResponse(response, request_id(response), elapsed, parse)
        return self._parse(response, endpoint, shape)

    def _parse(self, response: httpx.Response, endpoint: Endpoint, shape: str) -> Any:
        try:
            return _shaped(endpoint._parse_response(response), endpoint, shape)
        except _PARSE_FAILURES as exc:
            why = f"response body does not match the spec ({type(exc).__name__}: {exc})"
            raise self._unexpected(why, response, endpoint) from exc

    def _unexpected(
        self, why: str, response: httpx.Response, endpoint: Endpoint
    ) -> UnexpectedResponse:
        """An answer the spec does not describe, the secrets the call carried masked in it (a
        server may echo them)."""
        sent = response.request.extensions.get("brokerlink")
        secrets = secrets_of(self._state.secrets, getattr(sent, "body", None))
        return UnexpectedResponse(
            masked(why, secrets),
            vendor=self._api,
            operation=endpoint.OPERATION.operation_id,
            status=response.status_code,
            body=masked(response.content, secrets),
        )


_NO_PATH: Mapping[str, str] = MappingProxyType({})


class SyncFacade(_Facade):
    """Base of the synchronous facades."""

    _executor = HookTransport
    _client_class = httpx.Client

    def _default_transport(self) -> httpx.BaseTransport:
        from brokerlink.hooks.deadline import sync_transport  # httpcore: only for sync clients

        return sync_transport(proxy=environment_proxy(self._base_url))

    def _call(
        self,
        endpoint: Endpoint,
        kwargs: dict[str, Any],
        success: tuple[int, ...],
        *,
        body: Any = None,
        path: Mapping[str, str] = _NO_PATH,
        shape: str = "",
    ) -> Any:
        """Send one operation's request through the hooks and parse the final answer."""
        started = _monotonic() if self._raw_responses else 0.0
        response = self._http.request(**self._request(kwargs, endpoint, body, path))
        return self._finish(response, endpoint, success, shape, started)

    def close(self) -> None:
        """Close the connection pool (a copy from ``with_options`` leaves it to the original)
        and the credential store the client opened, if any."""
        self._http.close()
        if self._owns_pool:
            self._state.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncFacade(_Facade):
    """Base of the asynchronous facades."""

    _executor = AsyncHookTransport
    _client_class = httpx.AsyncClient

    def _default_transport(self) -> httpx.AsyncBaseTransport:
        # Requests queue on this semaphore, not in the pool, whose pool timeout would fail calls
        # that are merely queued (thousands of concurrent polled creates). Shared by copies.
        import asyncio  # not for sync clients

        self._gate = asyncio.Semaphore(POOL_CONNECTIONS)
        from brokerlink.transports import aiohttp_transport  # aiohttp only for async clients

        proxy = environment_proxy(self._base_url)
        return aiohttp_transport(max_connections=POOL_CONNECTIONS, proxy=proxy)

    async def _call(
        self,
        endpoint: Endpoint,
        kwargs: dict[str, Any],
        success: tuple[int, ...],
        *,
        body: Any = None,
        path: Mapping[str, str] = _NO_PATH,
        shape: str = "",
    ) -> Any:
        started = _monotonic() if self._raw_responses else 0.0
        response = await self._http.request(**self._request(kwargs, endpoint, body, path))
        return self._finish(response, endpoint, success, shape, started)

    async def close(self) -> None:
        """As :meth:`SyncFacade.close`."""
        await self._http.aclose()
        if self._owns_pool:
            await self._state.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
