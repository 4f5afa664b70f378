"""Every python block of the README and of docs/ runs as written, or is a fragment that compiles
and type-checks.

A page's blocks run in order in one namespace (a page starts the sandbox it calls, or names a
service's real base URL and runs against a sandbox of its own); a block marked
``<!-- fragment -->`` (an excerpt that cannot run on its own: production credentials, a blocking
server) is compiled and checked by ``mypy --strict``. The pages' own tests (test_cookbook,
test_plugin_guide) check what the runs produced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.fragments import mypy_messages
from tests.docs.markdown import DOCS, ROOT, Block, blocks, document_run, fences, run_document


def pages() -> list[Path]:
    """The README, every page of docs/ and the Markdown files they include."""
    found = [ROOT / "README.md", *sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)]
    for page in list(found):
        for path in re.findall(r'^--8<-- "([^":]+\.md)', page.read_text(), re.M):
            found.append(ROOT / path)
    return found


PAGES = pages()
BLOCKS = [block for page in PAGES for block in blocks(page, "python")]
FRAGMENTS = tuple(block for block in BLOCKS if block.fragment)


def test_every_python_fence_is_read() -> None:
    """No fence escapes the collection (an indented one, an unclosed one)."""
    for page in PAGES:
        assert len(blocks(page, "python")) == fences(page, "python"), page


def test_both_kinds_are_there() -> None:
    assert len(FRAGMENTS) >= 3 and len(BLOCKS) - len(FRAGMENTS) >= 20


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_the_block_runs_or_type_checks(block: Block) -> None:
    assert block.path is not None
    if block.fragment:
        compile("\n" * block.line + block.code, block.name, "exec")
        messages = mypy_messages(block, FRAGMENTS)
        assert not messages, "\n".join(messages)
    else:
        failure = document_run(block.path).outcome(block)
        assert failure is None, failure


def test_getting_started_prints_what_it_says() -> None:
    out = document_run(DOCS / "getting-started.md").stdout
    assert "Alice" in out and "BW_INVALID_PARAM" in out and "metaapi 404" in out


def test_the_readme_runs_against_a_sandbox() -> None:
    run = document_run(ROOT / "README.md")
    assert run.namespace["created"].id and run.namespace["info"]
    assert "currency='BTC'" in run.stdout


def test_a_failing_block_is_named_and_the_rest_not_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n<!-- fragment -->\n\n```python\nraise SystemError\n```\n\n"
        "```python\nx = 1 / 0\n```\n\n```python\nx = 2\n```\n"
    )
    first, fragment, failing, after = blocks(page, "python")
    assert [b.fragment for b in (first, fragment, failing, after)] == [False, True, False, False]
    run = run_document(page)  # the fragment is not run
    assert run.outcome(first) is None
    assert (
        "ZeroDivisionError" in str(run.outcome(failing)) and 'page.md", line 12' in run.error
    )  # the code's own line
    assert run.outcome(after) == "not run: the block at line 11 failed first"
    assert run.namespace["x"] == 1


def test_a_fragment_that_does_not_type_check_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text('Text.\n\n<!-- fragment -->\n```python\ncount: int = "three"\n```\n')
    (fragment,) = blocks(page, "python")
    (message,) = mypy_messages(fragment, (fragment,))
    assert message.startswith(f"{page.as_posix()}:5: error: Incompatible types in assignment")
