"""Absent is ``None``: rewrite openapi-python-client's ``Unset``/``UNSET`` out of generated code.

The library marks an optional field, parameter or body with a sentinel type ``Unset`` so that an
explicit ``null`` and "not sent" differ. Users of an API client expect ``T | None`` (and a repr
that says ``None``); our specs never need to *send* an explicit ``null``, so the generated code
uses ``None`` for both. Every place the library writes the sentinel has one of a few shapes
(annotations ``X | Unset``, defaults ``= UNSET``, ``isinstance(x, Unset)``, the import), so a
token-exact rewrite is enough; anything left over fails the generator run.
"""

from __future__ import annotations

import re

_IMPORT = re.compile(r"(from \.+types import )(?:\(([^)]*)\)|([^\n(]*))")
_NOT_ISINSTANCE = re.compile(r"not isinstance\(((?:[^()]|\([^()]*\))+?), Unset\)")
_ISINSTANCE = re.compile(r"isinstance\(((?:[^()]|\([^()]*\))+?), Unset\)")
_DUPLICATE_NONE = re.compile(r"\bNone((?: \| [^,=\n():]+?)*?) \| None\b")


class LeftOver(ValueError):
    """The library wrote the sentinel in a shape this rewrite does not know."""


def _drop_sentinel_imports(match: re.Match[str]) -> str:
    names = (match.group(2) if match.group(2) is not None else match.group(3)).split(",")
    kept = [n.strip() for n in names if n.strip() and n.strip() not in ("UNSET", "Unset")]
    return f"{match.group(1)}({', '.join(kept)})" if kept else ""


def absent_is_none(source: str) -> str:
    """``source`` with the ``Unset`` sentinel replaced by ``None`` (see the module docstring)."""
    source = _IMPORT.sub(_drop_sentinel_imports, source)
    source = _NOT_ISINSTANCE.sub(r"\1 is not None", source)
    source = _ISINSTANCE.sub(r"\1 is None", source)
    source = re.sub(r"\| Unset\b", "| None", source)
    source = re.sub(r"\bUnset \|", "None |", source)
    source = re.sub(r"\bUNSET\b", "None", source)
    while (deduped := _DUPLICATE_NONE.sub(r"None\1", source)) != source:
        source = deduped
    source = source.replace("is not None and v is not None", "is not None")
    if re.search(r"\bUnset\b", source):
        line = next(x for x in source.splitlines() if re.search(r"\bUnset\b", x))
        raise LeftOver(f"an Unset the rewrite does not know: {line.strip()}")
    return source
