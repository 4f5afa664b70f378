"""The ``Raises:`` section of a facade method's docstring: the ``brokerlink.errors`` classes one
call can raise, so the API reference lists them per method.

From the spec: the operation's error statuses (by the status table of the built-in error
plugins) and the vendor codes of ``x-brokerlink-error-codes`` where they apply (every operation
of an API whose failures come inside HTTP 200, the guarded operations of MetaApi, whose codes are
the broker's refusals). From brokerlink: what every call may raise, the 202 poll deadline, the
credential guard. The plugins' tables are read from their source, like ``brokerlink/errors.py``
(the generate environment need not have brokerlink installed).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

from generator.apis import ROOT
from generator.error_codes import ERRORS_SOURCE

STATUS_SOURCE = ROOT / "plugins" / "error_body.py"
GUARDED_SOURCE = ROOT / "plugins" / "metaapi" / "guarded.py"


def _assigned(source: Path, name: str) -> ast.expr:
    """The value assigned to the module-level ``name`` (annotated or not) in ``source``."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets: list[ast.expr] = [node.target]
        elif isinstance(node, ast.Assign):
            targets = node.targets
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert node.value is not None
            return node.value
    raise LookupError(f"{source}: no {name} = ...")


@functools.cache
def status_classes() -> dict[int, str]:
    """``BY_STATUS`` of plugins/error_body.py: status -> class name."""
    table = _assigned(STATUS_SOURCE, "BY_STATUS")
    assert isinstance(table, ast.Dict)
    return {
        ast.literal_eval(key): value.attr
        for key, value in zip(table.keys, table.values, strict=True)
        if key is not None and isinstance(value, ast.Attribute)
    }


@functools.cache
def guarded_operations() -> frozenset[str]:
    """The operationIds of ``GUARDED`` in plugins/metaapi/guarded.py."""
    table = _assigned(GUARDED_SOURCE, "GUARDED")
    assert isinstance(table, ast.Dict)
    return frozenset(ast.literal_eval(key) for key in table.keys if key is not None)


@functools.cache
def _bases() -> dict[str, tuple[str, ...]]:
    """class -> its base classes, for the classes of brokerlink/errors.py."""
    tree = ast.parse(ERRORS_SOURCE.read_text(encoding="utf-8"))
    return {
        node.name: tuple(b.id for b in node.bases if isinstance(b, ast.Name))
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


def _lineage(cls: str) -> list[str]:
    """``cls`` and its ancestors in brokerlink.errors, nearest first (first bases first)."""
    line = [cls]
    for base in _bases().get(cls, ()):
        line += [c for c in _lineage(base) if c not in line]
    return line


def common_base(classes: list[str]) -> str:
    """The nearest class of brokerlink.errors every one of ``classes`` derives from."""
    shared = _lineage(classes[0])
    return next(c for c in shared if all(c in _lineage(other) for other in classes))


def raises(
    raw: dict[str, Any],
    codes: dict[str, tuple[str, str]],
    *,
    guarded: bool,
    coerces: bool,
) -> list[tuple[str, str]]:
    """(exception, when) rows for one operation, each short enough for one docstring line.
    ``codes``: the API's vendor failure codes (a prefix ends in ``*``) -> (class name,
    description)."""
    responses = raw.get("responses", {})
    by_status: dict[str, list[int]] = {}
    for status in sorted(int(s) for s in responses if str(s).isdigit() and int(s) >= 400):
        fallback = "ServerError" if status >= 500 else "UnexpectedResponse"
        by_status.setdefault(status_classes().get(status, fallback), []).append(status)
    rows: dict[str, str] = {}
    for cls, statuses in by_status.items():
        after = ", once the retries are used up" if statuses[0] == 429 else ""
        rows[cls] = f"HTTP {', '.join(map(str, statuses))}{after}."
    if codes and (guarded or not by_status):  # the codes come in these answers
        classes = [cls for cls, _ in codes.values()]
        base = common_base(classes)
        where = "HTTP 400 with a vendor code" if by_status else "A failure code inside HTTP 200"
        named = [c for c in dict.fromkeys(classes) if c != base]
        rows[base] = f"{where}, raised as the code's class: {', '.join(named)}."
    if coerces:
        rows["InvalidRequest"] = "A body or parameter that does not fit its model (nothing sent)."
    if "202" in responses:
        rows["PollTimeout"] = (
            "Still answered 202 at `poll_timeout`; resume with its transaction id."
        )
    if guarded:
        rows["KnownBadCredentials | TooManyRejectedAttempts"] = "Refused locally, nothing sent."
        rows["CredentialCacheUnavailable"] = (
            "The guard's store failed (only with `on_error=raise`)."
        )
    rows["TransportError | ServerError | UnexpectedResponse"] = (
        "No answer; 5xx; an unreadable body."
    )
    return list(rows.items())
