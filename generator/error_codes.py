"""``generated/<api>/error_codes.py``: the error-code tables of one API, from its spec.

A spec lists its codes in three root extensions (see specs/CONVENTIONS.md):

- ``x-brokerlink-error-codes``: code -> ``{error: <class>, description: ...}`` (or just the
  description); a code without ``error`` takes the class of the first prefix it starts with,
  else ``ApiError``;
- ``x-brokerlink-error-code-prefixes``: prefix -> ``{error: <class>, description: ...}``, for the
  codes the spec does not list;
- ``x-brokerlink-retryable-error-codes``: the listed codes worth resending.

Classes are names from ``brokerlink.errors``, checked against its source (the generate
environment need not have brokerlink installed).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from generator.apis import ROOT

CODES = "x-brokerlink-error-codes"
PREFIXES = "x-brokerlink-error-code-prefixes"
RETRYABLE = "x-brokerlink-retryable-error-codes"
ERRORS_SOURCE = ROOT / "src" / "brokerlink" / "errors.py"
BASE = "ApiError"

MODULE = '''"""Error codes of the {title}, from the spec's ``x-brokerlink-error-*`` extensions.

``CODES``: code -> exception class; ``PREFIXES``: the class of unlisted codes by prefix;
``RETRYABLE``: the codes worth resending.
"""

from brokerlink import errors

CODES: dict[str, type[errors.ApiError]] = {{{codes}}}
PREFIXES: tuple[tuple[str, type[errors.ApiError]], ...] = ({prefixes})
RETRYABLE: frozenset[str] = frozenset({retryable})
'''


class ErrorCodeProblem(ValueError):
    """An error-code extension names an unknown class or is malformed."""


def api_error_classes(source: Path = ERRORS_SOURCE) -> set[str]:
    """Names of ``ApiError`` and its subclasses defined in ``brokerlink/errors.py``."""
    bases: dict[str, list[str]] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]

    def is_api_error(name: str) -> bool:
        return name == BASE or any(is_api_error(b) for b in bases.get(name, []))

    return {name for name in bases if is_api_error(name)}


def _entries(spec: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    raw = spec.get(key) or {}
    if not isinstance(raw, dict):
        raise ErrorCodeProblem(f"{key} must map codes to entries")
    entries: dict[str, dict[str, Any]] = {}
    for code, entry in raw.items():
        if isinstance(entry, str):
            entry = {"description": entry}
        if not isinstance(entry, dict) or set(entry) - {"error", "description"}:
            expected = "a description or {error, description}"
            raise ErrorCodeProblem(f"{key}.{code}: expected {expected}")
        entries[str(code)] = entry
    return entries


def error_tables(
    spec: dict[str, Any], known: set[str] | None = None
) -> tuple[dict[str, str], list[tuple[str, str]], list[str]]:
    """(code -> class name, [(prefix, class name)], retryable codes) as the spec states them."""
    known = api_error_classes() if known is None else known

    def checked(where: str, name: Any) -> str:
        if name not in known:
            raise ErrorCodeProblem(f"{where}: {name!r} is no ApiError class of brokerlink.errors")
        return str(name)

    prefixes = [
        (prefix, checked(f"{PREFIXES}.{prefix}", entry.get("error")))
        for prefix, entry in _entries(spec, PREFIXES).items()
    ]
    codes: dict[str, str] = {}
    for code, entry in _entries(spec, CODES).items():
        if "error" in entry:
            codes[code] = checked(f"{CODES}.{code}", entry["error"])
        else:
            codes[code] = next((cls for prefix, cls in prefixes if code.startswith(prefix)), BASE)
    retryable = [str(code) for code in spec.get(RETRYABLE) or []]
    for code in retryable:
        if code not in codes:
            raise ErrorCodeProblem(f"{RETRYABLE}: {code!r} is not listed in {CODES}")
    return codes, prefixes, sorted(set(retryable))


def documented_codes(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """code (a prefix as ``PREFIX*``) -> (class name, description), for the docstrings."""
    codes, prefixes, _ = error_tables(spec)
    described = {
        **_entries(spec, CODES),
        **{f"{p}*": e for p, e in _entries(spec, PREFIXES).items()},
    }
    found = {**codes, **{f"{prefix}*": cls for prefix, cls in prefixes}}
    return {code: (cls, str(described[code].get("description", ""))) for code, cls in found.items()}


def render(title: str, spec: dict[str, Any]) -> str:
    """The module text (unformatted: the caller runs ruff format)."""
    codes, prefixes, retryable = error_tables(spec)
    return MODULE.format(
        title=title,
        codes=", ".join(f"{code!r}: errors.{cls}" for code, cls in codes.items()),
        prefixes="".join(f"({prefix!r}, errors.{cls})," for prefix, cls in prefixes),
        retryable="{" + ", ".join(map(repr, retryable)) + "}" if retryable else "",
    )
