"""docs/plugins.md: every hook is documented, and its examples run as written."""

from __future__ import annotations

import inspect
import re

from brokerlink.hooks import hookspecs
from brokerlink.hooks.manager import AUTOLOAD_ENV, ENTRY_POINT_GROUP
from tests.docs.markdown import DOCS, run_python

GUIDE = DOCS / "plugins.md"


def hook_names() -> list[str]:
    return [
        name
        for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("brokerlink_")
    ]


def test_every_hook_has_its_section() -> None:
    text = GUIDE.read_text()
    sections = set(re.findall(r"^### (brokerlink_\w+)$", text, re.M))
    assert sections == set(hook_names())


def test_the_guide_names_the_real_entry_point_group_and_switch() -> None:
    text = GUIDE.read_text()
    assert f"[project.entry-points.{ENTRY_POINT_GROUP}]" in text
    assert f"`{AUTOLOAD_ENV}`" in text


def test_the_examples_run() -> None:
    namespace = run_python(GUIDE)
    assert namespace["outcomes"].seen == [("listRegions", "ok"), ("getAccount", "NotFound")]
    assert namespace["cache"].body is not None
    assert namespace["refused"] == "metaapi.createAccount refused: read-only mode"
    assert type(namespace["rejected"]).__name__ == "PasswordRotated"
    assert namespace["audit_file"].read_text().count("\n") == 2
