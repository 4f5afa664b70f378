"""Read the code of a Markdown document: its ``python`` blocks (run in order in one namespace, or
marked as fragments) and the ``$ brokerlink ...`` lines of its ``console`` blocks.

A fragment is a block preceded by the line ``<!-- fragment -->`` (blank lines may come between):
an HTML comment, invisible on the site and on GitHub. Inside a block, a ``--8<-- "path"`` line
(pymdownx.snippets, optionally ``"path:start:end"``) stands for that file's text, as on the site.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import shlex
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
FRAGMENT = "<!-- fragment -->"
# A fence at any indentation (inside a list or an admonition), closed at the same indentation.
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>\w*)[^\n]*\n(?P<code>.*?)^(?P=indent)```", re.M | re.S
)
_SNIPPET = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<start>\d+))?(?::(?P<end>\d+))?"$', re.M)


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # the line of the opening fence in the document
    path: Path | None = None
    fragment: bool = False

    @property
    def name(self) -> str:
        assert self.path is not None
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path.as_posix()}:{self.line}"


def include(match: re.Match[str]) -> str:
    """The text a ``--8<--`` line stands for: the file, or its lines start..end (1-based)."""
    lines = (ROOT / match["path"]).read_text(encoding="utf-8").splitlines()
    start = int(match["start"] or 1)
    end = int(match["end"] or len(lines))
    return "\n".join(lines[start - 1 : end])


def blocks(path: Path, language: str) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        if m["lang"] != language:
            continue
        indent = len(m["indent"])
        code = "".join(line[indent:] + "\n" for line in m["code"].splitlines())
        before = text[: m.start()].rstrip().rsplit("\n", 1)[-1].strip()
        line = text.count("\n", 0, m.start()) + 1
        found.append(Block(language, _SNIPPET.sub(include, code), line, path, before == FRAGMENT))
    return found


def fences(path: Path, language: str) -> int:
    """How many fences of ``language`` the document opens, counted line by line."""
    text = path.read_text(encoding="utf-8")
    return len(re.findall(rf"^[ \t]*```{language}\b", text, re.M))


@dataclass
class DocumentRun:
    """What running a document's python blocks did: the namespace, the output, the failure."""

    namespace: dict[str, Any]
    stdout: str
    failed: Block | None = None
    error: str = ""

    def outcome(self, block: Block) -> str | None:
        """None when ``block`` ran without an error, else why not."""
        if self.failed is None or block.line < self.failed.line:
            return None
        if block.line == self.failed.line:
            return self.error
        return f"not run: the block at line {self.failed.line} failed first"


def run_document(path: Path, rewrite: Callable[[str], str] = lambda code: code) -> DocumentRun:
    """Execute the python blocks of ``path`` that are not fragments, in order in one namespace,
    each ``rewrite``-n first (line numbers kept); stop at the first that raises. A ``sandbox``
    the document left running is stopped."""
    run = DocumentRun({"__name__": f"doc:{path.name}"}, "")
    out = io.StringIO()
    environment = dict(os.environ)  # what a document sets for its clients does not outlive it
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks(path, "python"):
                if block.fragment:
                    continue
                code = compile("\n" * block.line + rewrite(block.code), str(path), "exec")
                try:
                    exec(code, run.namespace)
                except Exception:
                    run.failed, run.error = block, traceback.format_exc()
                    break
    finally:
        run.stdout = out.getvalue()
        sandbox = run.namespace.get("sandbox")
        if sandbox is not None and hasattr(sandbox, "stop"):
            sandbox.stop()
        os.environ.clear()
        os.environ.update(environment)
    return run


# Base URLs a page may show for the real services: its run sends them to a local sandbox instead.
VENDOR_URLS = {
    "https://mt-provisioning-api-v1.agiliumtrade.agiliumtrade.ai": "metaapi",
    "https://api.example-tenant.com": "brokerwork",
    "https://ib.example": "b2core",
}


@functools.cache
def document_run(path: Path) -> DocumentRun:
    """``run_document`` once per test process (the tests of one page share its run), against a
    sandbox of its own when the page names a service's real base URL."""
    code = "".join(b.code for b in blocks(path, "python") if not b.fragment)
    if not any(f'"{url}"' in code for url in VENDOR_URLS):
        return run_document(path)
    from brokerlink.sandbox.testing import SandboxServer

    with SandboxServer() as server:

        def to_sandbox(code: str) -> str:
            for url, api in VENDOR_URLS.items():
                code = code.replace(f'"{url}"', f'"{server.base_url(api)}"')
            return code

        return run_document(path, to_sandbox)


def run_python(path: Path) -> dict[str, Any]:
    """The namespace of the document's run; a failure raises, naming the block's line."""
    run = document_run(path)
    assert run.failed is None, f"{run.failed.name}:\n{run.error}"
    return run.namespace


@dataclass
class Command:
    """One ``$ brokerlink ...`` line, its stdin (from ``echo ... |``) and the lines shown after."""

    argv: list[str]
    stdin: str | None
    line: int
    shown: list[str] = field(default_factory=list)


def commands(path: Path) -> list[Command]:
    found: list[Command] = []
    for block in blocks(path, "console"):
        for offset, raw in enumerate(block.code.splitlines(), start=1):
            if raw.startswith("$ "):
                tokens = shlex.split(raw[2:])
                stdin = None
                if "|" in tokens:
                    pipe = tokens.index("|")
                    assert tokens[0] == "echo", raw
                    stdin = " ".join(tokens[1:pipe]) + "\n"
                    tokens = tokens[pipe + 1 :]
                assert tokens[0] == "brokerlink", raw
                found.append(Command(tokens[1:], stdin, block.line + offset))
            elif raw.strip() and found:
                found[-1].shown.append(raw)
    return found
