"""The documentation site (mkdocs.yml): every page of the nav exists, every guide of docs/ is in
the nav, and the included files exist (test_code_blocks runs the pages' examples). The strict
build itself, which also fails on a broken link or an unresolved API reference, is
``nox -s docs``."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.docs.markdown import DOCS, document_run

ROOT = DOCS.parent
MKDOCS = ROOT / "mkdocs.yml"


def nav_pages() -> list[str]:
    """The Markdown files the nav of mkdocs.yml names, relative to docs/, in nav order."""
    config = yaml.safe_load(MKDOCS.read_text(encoding="utf-8"))
    pages: list[str] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                walk(value)
            else:
                pages.append(value)

    walk(config["nav"])
    return pages


def guides() -> set[str]:
    """Every Markdown page under docs/ (the build's own hook folder aside)."""
    return {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*.md")
        if not p.relative_to(DOCS).parts[0].startswith("_")
    }


def test_the_nav_is_read() -> None:
    pages = nav_pages()
    assert "getting-started.md" in pages
    assert {"reference/metaapi.md", "reference/brokerwork.md", "reference/b2core.md"} <= set(pages)


def test_every_page_of_the_nav_exists() -> None:
    missing = [page for page in nav_pages() if not (DOCS / page).is_file()]
    assert not missing


def test_every_guide_is_in_the_nav() -> None:
    assert guides() - set(nav_pages()) == set()


def test_no_page_is_twice_in_the_nav() -> None:
    pages = nav_pages()
    assert len(pages) == len(set(pages))


def test_the_site_build_is_a_default_nox_session() -> None:
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    sessions = re.search(r"^nox\.options\.sessions = \[(.*)\]$", noxfile, re.M)
    assert sessions and '"docs"' in sessions[1]
    assert "--strict" in noxfile
    assert "site/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_included_files_exist() -> None:
    """The snippet lines (``--8<-- "path"``, optionally ``:start:end``) name real files."""
    for page in guides():
        for path in re.findall(r'^--8<-- "([^":]+)', (DOCS / page).read_text(), re.M):
            assert (ROOT / path).is_file(), f"{page}: {path}"


def test_getting_started_prints_what_it_says() -> None:
    out = document_run(DOCS / "getting-started.md").stdout
    assert "Alice" in out and "BW_INVALID_PARAM" in out and "metaapi 404" in out
    assert "BrokerWork(base_url='https://bw.example.com')" in out
    assert "set BROKERLINK_METAAPI_TOKEN" in out and "demo-token" not in out
