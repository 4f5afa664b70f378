"""mkdocs hook: expand ``<!-- operations: API -->`` in a page into the table of that API's
operations, from what the installed package says about them (no hand-kept list to go stale).

Each row links the sync and async facade methods (mkdocstrings anchors, checked by the strict
build), gives the HTTP method and path from ``brokerlink.generated.cli_manifest``, and what the
generated ``OPERATION`` and the credential guard's table add to the API's errors: 202 polling
(``PollTimeout``), local refusals by the guard, and whether transient failures are resent.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

_MARKER = re.compile(r"^<!-- (operations|models): (\w+) -->$", re.M)
_ERR = "brokerlink.errors"


def _operations(api: str) -> dict[str, Any]:
    """operationId -> the generated ``OPERATION`` of every operation module of ``api`` (the
    facades import them lazily, so they are found in the package, not on the facade)."""
    package = importlib.import_module(f"brokerlink.generated.{api}.api")
    found = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        operation = getattr(importlib.import_module(info.name), "OPERATION", None)
        if operation is not None:
            found[operation.operation_id] = operation
    return found


def _error(name: str) -> str:
    return f"[`{name}`][{_ERR}.{name}]"


def table(api: str) -> str:
    from brokerlink.generated.cli_manifest import APIS
    from brokerlink.plugins.metaapi.guarded import GUARDED

    spec = APIS[api]
    module = spec["facade_module"]
    sync = spec["facade"]
    operations = _operations(api)
    rows = [
        "| method | what it does | also raises | resent when transient |",
        "| --- | --- | --- | --- |",
    ]
    for entry in sorted(spec["operations"].values(), key=lambda e: e["method"]):
        method = entry["method"]
        operation = operations[entry["operation_id"]]
        extra = []
        if operation.polls:
            extra.append(_error("PollTimeout"))
        if api == "metaapi" and entry["operation_id"] in GUARDED:
            extra += [_error("KnownBadCredentials"), _error("TooManyRejectedAttempts")]
        if operation.key_header:
            resent = f"yes, same `{operation.key_header}`"
        elif operation.idempotent:
            resent = "yes"
        else:
            resent = "only if never sent, or on a 429"
        http = entry["http"].replace("|", "\\|")
        rows.append(
            f"| [`{method}`][{module}.{sync}.{method}]<br>"
            f"[async][{module}.Async{sync}.{method}] "
            f"| {entry['summary']}<br>`{http}` "
            f"| {'<br>'.join(extra) or '-'} | {resent} |"
        )
    # md_in_html: the class lets the site's CSS keep method names on one line
    return '<div class="operations" markdown>\n\n' + "\n".join(rows) + "\n\n</div>\n"


_MODEL_OPTIONS = """    options:
      show_root_heading: false
      show_root_toc_entry: false
      heading_level: 3
      members_order: alphabetical
      show_signature: false
      show_bases: false
      filters: ["!^_", "!^to_dict$", "!^from_dict$"]
      members:
"""


def models(api: str) -> str:
    """The API's models, then its (open) enums, as two mkdocstrings blocks: every class of
    ``brokerlink.generated.<api>.models`` with its fields and their descriptions."""
    from enum import Enum

    package = f"brokerlink.generated.{api}.models"
    names = sorted(importlib.import_module(package).__all__)
    kinds: dict[str, list[str]] = {"Models": [], "Enums": []}
    for name in names:
        value = getattr(importlib.import_module(package), name)
        if isinstance(value, type):  # not the enums' <Enum>Value Literal aliases
            kinds["Enums" if issubclass(value, Enum) else "Models"].append(name)
    intro = {
        "Models": "attrs classes: each field with its type and description. Fields the spec "
        "does not list are kept in `additional_properties` and sent back unchanged.",
        "Enums": "Open `StrEnum`s: a value the spec does not list becomes an extra member "
        "(`.is_known` is False), kept and sent back unchanged. Each enum `E` has beside it "
        "`EValue`, the `Literal` of its plain values, which parameters accept as well.",
    }
    out = []
    for kind, members in kinds.items():
        listed = "".join(f"        - {name}\n" for name in members)
        out.append(f"## {kind}\n\n{intro[kind]}\n\n::: {package}\n{_MODEL_OPTIONS}{listed}")
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    return _MARKER.sub(lambda m: table(m[2]) if m[1] == "operations" else models(m[2]), markdown)
