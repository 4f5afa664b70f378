"""What hooks see and return: the operation, the call being made and what a hook can decide."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import httpx

from brokerlink.errors import InvalidRequest
from brokerlink.timing import SYSTEM, Timing

if TYPE_CHECKING:
    from brokerlink.credentials import Guard


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a spec, as the generator tags it: which API, which ``operationId``,
    whether sending it twice is safe, whether the server may answer 202 (then polled), and the
    header of the idempotency key made for every call, if any (MetaApi's ``transaction-id``)."""

    api: str
    operation_id: str
    idempotent: bool = False
    polls: bool = False
    key_header: str | None = None


@dataclass(frozen=True, slots=True)
class Invocation:
    """What a facade method built, handed to the hook layer with the request: the operation,
    the typed body (an attrs model, or None) and the path parameters by Python name."""

    operation: Operation
    body: Any = None
    path: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallOptions:
    """Per-client settings that reach every hook (``client.with_options(...)`` makes a copy).

    ``None`` means "the plugin's documented default".
    """

    max_retries: int | None = None
    retry_deadline: float | None = None
    poll_timeout: float | None = None
    poll_interval: float | None = None
    credential_guard: bool = True
    end_user_id: str | None = field(default=None, repr=False)
    max_response_bytes: int | None = None  # None: 64 MiB

    def __post_init__(self) -> None:
        cap = self.max_response_bytes
        if cap is not None and (type(cap) is not int or cap <= 0):
            raise InvalidRequest(f"max_response_bytes must be a positive int, not {cap!r}")


@dataclass(slots=True)
class ClientState:
    """What one client (and its ``with_options`` copies) shares with the plugins.

    ``error_classes`` are the vendor's codes (generated from its spec) merged with what plugins
    add through ``brokerlink_error_classes``; ``code_prefixes`` the classes of unlisted codes by
    prefix and ``retryable_codes`` the vendor codes worth resending (both from the spec).
    ``credential_cache`` is the MetaApi setting the credential guard plugin turns into ``guard``
    on the first guarded call; ``base_url`` scopes the store it opens. ``secrets`` are the
    client's own (its key, client secret, access token), masked in the error messages a server
    echoes back.
    """

    api: str
    base_url: str = ""
    error_classes: Mapping[str, type[Exception]] = field(default_factory=dict)
    code_prefixes: tuple[tuple[str, type[Exception]], ...] = ()
    retryable_codes: frozenset[str] = frozenset()
    credential_cache: object = None
    guard: Guard | None = None
    secrets: set[str] = field(default_factory=set, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close(self) -> None:
        """Close what plugins opened for this client (the guard's store, if brokerlink made it)."""
        guard, self.guard = self.guard, None
        if guard is not None:
            guard.close()

    async def aclose(self) -> None:
        guard, self.guard = self.guard, None
        if guard is not None:
            await guard.aclose()


class Effect(Protocol):
    """I/O a hook wants done (a cache lookup, a write): hooks decide, executors carry it out.

    The sync executor calls ``run``, the async one awaits ``arun``; either may raise a
    ``BrokerLinkError`` to stop the call.
    """

    def run(self) -> None: ...

    async def arun(self) -> None: ...


def _no_advice(call: Call, response: httpx.Response) -> float | None:
    return None


@dataclass(slots=True)
class Call:
    """One logical operation call, across all its sends (retries, polls).

    ``state`` is scratch space: each plugin keeps its own entries there, under keys named after
    itself, and never reads another plugin's.
    """

    operation: Operation
    options: CallOptions
    client: ClientState
    started: float
    body: Any = None
    path: Mapping[str, str] = field(default_factory=dict)
    attempt: int = 1
    timing: Timing = SYSTEM
    state: dict[str, Any] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)
    advisor: Callable[[Call, httpx.Response], float | None] = _no_advice

    def advice(self, response: httpx.Response) -> float | None:
        """Seconds ``response`` asks to wait before the next send (the ``brokerlink_wait_advice``
        hook), None when it gives no usable advice."""
        return self.advisor(self, response)

    @property
    def api(self) -> str:
        return self.operation.api

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id

    @property
    def idempotent(self) -> bool:
        """Safe to send twice: by HTTP method, marked in the spec, or carrying an idempotency
        key (MetaApi's ``transaction-id``)."""
        return self.operation.idempotent

    @property
    def polls(self) -> bool:
        """The operation may answer 202 and be polled."""
        return self.operation.polls

    def elapsed(self) -> float:
        """Seconds since the call started, on the call's own clock."""
        return self.timing.monotonic() - self.started

    def defer(self, effect: Effect) -> None:
        """Ask the executor to carry out ``effect`` as soon as the current hook round ends."""
        self.effects.append(effect)

    def take_effects(self) -> list[Effect]:
        effects, self.effects = self.effects, []
        return effects

    def mask(self, text: str) -> str:
        """``text`` with the client's secrets and the body's secret fields (``repr=False``, as the
        generator marks them) replaced by ``***``: for a message a server may have echoed.
        Values under 4 characters are left: masking them would garble the message."""
        return str(masked(text, secrets_of(self.client.secrets, self.body)))


def secrets_of(client_secrets: set[str], body: Any) -> list[str]:
    """What to mask for a call: the client's own secrets and the body's secret fields, longest
    first, none under 4 characters."""
    found = {*client_secrets, *_secret_fields(body)}
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def masked(value: Any, secrets: list[str]) -> Any:
    """``value`` (text, a body's bytes, or the lists and dicts of a parsed body) with each of
    ``secrets`` replaced by ``***``; in bytes also as JSON escapes it."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, bytes):
        for secret in secrets:
            for form in {secret.encode(), json.dumps(secret)[1:-1].encode()}:
                value = value.replace(form, b"***")
        return value
    if isinstance(value, list):
        return [masked(item, secrets) for item in value]
    if isinstance(value, dict):
        return {masked(k, secrets): masked(v, secrets) for k, v in value.items()}
    return value


def _secret_fields(value: Any) -> Iterator[str]:
    """The string values of the fields an attrs model (at any depth) keeps out of its repr."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _secret_fields(item)
    elif attrs.has(type(value)):
        for attribute in attrs.fields(type(value)):
            item = getattr(value, attribute.name)
            if attribute.repr is False and isinstance(item, str):
                yield item
            else:
                yield from _secret_fields(item)


@dataclass(frozen=True)
class Resend:
    """Wait ``seconds`` then send ``request`` (or the same one) again."""

    seconds: float
    reason: str
    message: str | None = None
    request: httpx.Request | None = None
