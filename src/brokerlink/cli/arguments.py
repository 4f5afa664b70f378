"""Turn ``--param``, ``--body`` and ``--form`` text into the facade method's keyword arguments.

Types, enums and required flags come from the spec (via the manifest), so bad input is refused
here with an ``InvalidRequest`` naming the parameter, before anything is sent.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from brokerlink.cli.manifest import Field, Kind, Operation, Param
from brokerlink.errors import InvalidRequest

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_DEEP = re.compile(r"^(?P<base>[^.\[\]]+)(?:\.(?P<dot>.+)|\[(?P<bracket>[^\]]+)\])$")


class JsonNumber(float):
    """A JSON number that remembers its digits: ``Decimal(str(n))`` is exact, ``float(n)`` works.

    Decimal fields of the models build ``Decimal(str(value))``, so 18-digit amounts in a
    ``--body`` file reach the wire unchanged, while float fields still get a float.
    """

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


def _fail(label: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{label}: {problem}")


def coerce(kind: Kind, text: str, label: str) -> Any:
    """``text`` as a value of ``kind`` (JSON-typed: str, int, float, bool, Decimal, list)."""
    value: Any
    kinds = kind.type
    if kinds == "integer":
        try:
            value = int(text)
        except ValueError:
            raise _fail(label, f"expects an integer, got {text!r}") from None
    elif kinds == "number":
        try:
            value = float(text)
        except ValueError:
            raise _fail(label, f"expects a number, got {text!r}") from None
        if not math.isfinite(value):
            raise _fail(label, f"expects a finite number, got {text!r}")
    elif kinds == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _fail(label, f"expects a decimal number, got {text!r}") from None
        if not value.is_finite():
            raise _fail(label, f"expects a finite decimal number, got {text!r}")
    elif kinds == "boolean":
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise _fail(label, f"expects true or false, got {text!r}")
        value = lowered in _TRUE
    elif kinds == "date-time":
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise _fail(label, f"expects an ISO 8601 timestamp, got {text!r}") from None
        if parsed.tzinfo is None:
            raise _fail(label, f"needs a UTC offset (e.g. {text}Z or {text}+02:00)")
        value = text
    elif kinds == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            raise _fail(label, f"expects a date (YYYY-MM-DD), got {text!r}") from None
        value = text
    elif kinds in {"any", "object"}:
        try:
            value = json.loads(text, parse_float=JsonNumber)
        except ValueError:
            value = text
    else:  # string, and unions such as "integer|string" that go on the wire as text
        value = text
    if kind.enum is not None and value not in kind.enum:
        choices = ", ".join(str(v) for v in kind.enum)
        raise _fail(label, f"{text!r} is not one of: {choices}")
    return value


def _spellings(name: str, python: str) -> set[str]:
    return {name, python, python.rstrip("_"), python.rstrip("_").replace("_", "-")}


def _unknown(label: str, wanted: str, known: Iterable[str]) -> InvalidRequest:
    names = sorted(set(known))
    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(names) if names else "none"
    return InvalidRequest(f"unknown {label} {wanted!r}{hint} (known: {listed})")


class _Lookup:
    def __init__(self, params: Sequence[Param]) -> None:
        self.by_name: dict[str, Param] = {}
        for param in params:
            for spelling in _spellings(param.name, param.python):
                self.by_name.setdefault(spelling, param)
        self.names = [p.name for p in params]

    def __call__(self, name: str, command: str) -> Param:
        param = self.by_name.get(name)
        if param is None:
            raise _unknown(f"parameter of {command}", name, self.names)
        return param


def _key(param: Param, name: str) -> Field:
    assert param.keys is not None
    for field in param.keys:
        if name in {field.name, _snake(field.name)}:
            return field
    raise _unknown(f"key of {param.name}", name, [f.name for f in param.keys])


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _deep_object(param: Param, text: str, into: dict[str, Any]) -> None:
    """``filter={"currency": "BTC"}``: a whole object at once, keys checked and typed."""
    try:
        data = json.loads(text, parse_float=JsonNumber)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _fail(
            param.name,
            f"takes keys as {param.name}.KEY=VALUE (or a JSON object), got {text!r}",
        )
    for key, value in data.items():
        field = _key(param, str(key))
        label = f"{param.name}.{field.name}"
        _set_once(into, field.name, _typed_json(field.kind, value, label), label)


def _typed_json(kind: Kind, value: Any, label: str) -> Any:
    return coerce(kind, value, label) if isinstance(value, str) else value


def _set_once(into: dict[str, Any], key: str, value: Any, label: str) -> None:
    if key in into:
        raise InvalidRequest(f"{label} given twice")
    into[key] = value


def parse_params(operation: Operation, items: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` items -> keyword arguments of the facade method.

    Names may be spelled as on the wire (``accountId``) or in Python (``account_id``); list
    parameters take repeated items or commas; deepObject parameters take ``NAME.KEY=VALUE``
    (or ``NAME[KEY]=VALUE``, or ``NAME=<JSON object>``).
    """
    lookup = _Lookup(operation.params)
    arguments: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InvalidRequest(f"--param {item!r}: expected NAME=VALUE")
        deep = _DEEP.match(name)
        if deep and lookup.by_name.get(name) is None:
            param = lookup(deep["base"], operation.command)
            if param.keys is None:
                raise _fail(param.name, "is not an object parameter: drop the key")
            field = _key(param, deep["dot"] or deep["bracket"])
            label = f"{param.name}.{field.name}"
            obj = arguments.setdefault(param.python, {})
            _set_once(obj, field.name, coerce(field.kind, text, label), label)
            continue
        param = lookup(name, operation.command)
        if param.keys is not None:
            _deep_object(param, text, arguments.setdefault(param.python, {}))
        elif param.kind.items is not None:
            parts = [p.strip() for p in text.split(",") if p.strip()]
            values = arguments.setdefault(param.python, [])
            values.extend(coerce(param.kind.items, part, param.name) for part in parts)
        else:
            _set_once(arguments, param.python, coerce(param.kind, text, param.name), param.name)
    missing = [
        p.name
        for p in operation.params
        if p.required and not p.autogenerate and p.python not in arguments
    ]
    if missing:
        given = " ".join(f"--param {name}=..." for name in missing)
        raise InvalidRequest(f"{operation.command} needs {given}")
    return arguments


def _read(source: str, stdin: IO[str], what: str) -> str:
    if source in {"-", "@-"}:
        return stdin.read()
    if source.startswith("@"):
        path = Path(source[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidRequest(f"{what}: cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidRequest(f"{what}: {path} is not UTF-8 text") from None
    return source


def parse_body(source: str, stdin: IO[str]) -> dict[str, Any]:
    """``--body`` as inline JSON, ``@file.json`` or ``-`` (stdin): a JSON object, numbers exact."""
    text = _read(source, stdin, "--body")
    try:
        data = json.loads(text, parse_float=JsonNumber)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"--body is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequest(f"--body must be a JSON object, got {type(data).__name__}")
    return data


def parse_form(
    operation: Operation, items: Sequence[str], stdin: IO[bytes]
) -> dict[str, tuple[str | None, bytes | str]]:
    """``--form FIELD=@PATH`` (a file, ``@-`` for stdin) or ``FIELD=VALUE`` for multipart bodies.

    Returns field -> (file name or None, content).
    """
    assert operation.body is not None
    fields = {f.name: f for f in operation.body.fields}
    form: dict[str, tuple[str | None, bytes | str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidRequest(f"--form {item!r}: expected FIELD=@PATH or FIELD=VALUE")
        field = fields.get(name)
        if field is None:
            raise _unknown(f"form field of {operation.command}", name, fields)
        if name in form:
            raise InvalidRequest(f"--form {name} given twice")
        if field.kind.type == "binary":
            if value == "@-":
                form[name] = ("stdin", stdin.read())
                continue
            if not value.startswith("@"):
                raise InvalidRequest(f"--form {name} is a file: use {name}=@PATH (or @- for stdin)")
            path = Path(value[1:]).expanduser()
            try:
                form[name] = (path.name, path.read_bytes())
            except OSError as exc:
                raise InvalidRequest(f"--form {name}: cannot read {path}: {exc.strerror}") from None
        else:
            form[name] = (None, value)
    missing = [f.name for f in operation.body.fields if f.required and f.name not in form]
    if missing:
        raise InvalidRequest(f"{operation.command} needs --form " + ", ".join(missing))
    return form
