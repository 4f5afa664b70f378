"""Typed view of ``brokerlink.generated.cli_manifest``: what the specs say about each operation.

The generator writes the manifest as plain data so that help needs neither httpx nor the
generated clients; this module gives it types and lookups.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    """A value's type as the spec states it: ``string``, ``integer``, ``decimal``, ``array`` ..."""

    type: str
    enum: tuple[Any, ...] | None = None
    items: Kind | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Kind:
        enum = data.get("enum")
        items = data.get("items")
        return cls(
            type=data["type"],
            enum=tuple(enum) if enum is not None else None,
            items=cls.of(items) if items else None,
        )

    def describe(self) -> str:
        if self.items is not None:
            return f"list of {self.items.describe()}"
        if self.enum:
            return "one of " + ", ".join(str(v) for v in self.enum)
        return self.type.replace("|", " or ")


@dataclass(frozen=True)
class Field:
    """A property of a request body or of a deepObject parameter."""

    name: str
    kind: Kind
    required: bool
    description: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Field:
        return cls(data["name"], Kind.of(data), bool(data["required"]), data["description"])


@dataclass(frozen=True)
class Param:
    """One path, query or header parameter of an operation."""

    name: str  # as on the wire (``accountId``, ``transaction-id``)
    python: str  # the facade's keyword (``account_id``, ``filter_``)
    location: str
    required: bool
    kind: Kind
    description: str
    autogenerate: bool = False
    keys: tuple[Field, ...] | None = None  # deepObject parameters: their allowed keys

    @classmethod
    def of(cls, data: dict[str, Any]) -> Param:
        keys = data.get("keys")
        return cls(
            name=data["name"],
            python=data["python"],
            location=data["in"],
            required=bool(data["required"]),
            kind=Kind.of(data),
            description=data["description"],
            autogenerate=bool(data.get("autogenerate")),
            keys=tuple(Field.of(k) for k in keys) if keys is not None else None,
        )


@dataclass(frozen=True)
class Body:
    """The request body: JSON (``--body``) or multipart form fields (``--form``)."""

    required: bool
    content: str  # "json" or "multipart"
    model: str
    description: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of a spec: the facade method it maps to and everything its help shows."""

    command: str  # kebab-case operationId: ``create-account``
    operation_id: str
    method: str  # facade method: ``create_account``
    http: str  # ``POST /users/current/accounts``
    summary: str
    description: str
    params: tuple[Param, ...]
    body: Body | None
    polls: bool

    @classmethod
    def of(cls, command: str, data: dict[str, Any]) -> Operation:
        body = data["body"]
        return cls(
            command=command,
            operation_id=data["operation_id"],
            method=data["method"],
            http=data["http"],
            summary=data["summary"],
            description=data["description"],
            params=tuple(Param.of(p) for p in data["params"]),
            body=Body(
                required=bool(body["required"]),
                content=body["content"],
                model=body["model"],
                description=body["description"],
                fields=tuple(Field.of(f) for f in body["fields"]),
            )
            if body
            else None,
            polls=bool(data["polls"]),
        )


@dataclass(frozen=True)
class Credential:
    """A keyword of the facade constructor that holds a secret or an account id."""

    name: str  # the facade's keyword: ``token``, ``tenant_id`` ...
    description: str

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ApiInfo:
    """One vendor API: its facade, credentials, default base URL and operations by command."""

    name: str
    title: str
    facade_module: str
    facade: str
    credentials: tuple[Credential, ...]
    default_base_url: str | None
    polls: bool
    guarded: bool
    operations: dict[str, Operation]


def _api(name: str, data: dict[str, Any]) -> ApiInfo:
    return ApiInfo(
        name=name,
        title=data["title"],
        facade_module=data["facade_module"],
        facade=data["facade"],
        credentials=tuple(Credential(c["name"], c["description"]) for c in data["credentials"]),
        default_base_url=data["default_base_url"],
        polls=bool(data["polls"]),
        guarded=bool(data["guarded"]),
        operations={cmd: Operation.of(cmd, op) for cmd, op in data["operations"].items()},
    )


@functools.cache
def apis() -> dict[str, ApiInfo]:
    """Every API of the specs, by name (``metaapi``, ``brokerwork``, ``b2core``)."""
    from brokerlink.generated.cli_manifest import APIS

    return {name: _api(name, data) for name, data in APIS.items()}
