"""Run the code of a Markdown document: its ``python`` blocks in order in one namespace, and the
``$ brokerlink ...`` lines of its ``console`` blocks through the real command (in-process)."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


@dataclass
class Block:
    language: str
    code: str
    line: int  # where the block starts in the document


def blocks(path: Path, language: str) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(m[1], m[2], text.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(text)
        if m[1] == language
    ]


def run_python(path: Path) -> dict[str, Any]:
    """Execute every python block of ``path`` in order; a failure names the block's line. The
    environment variables a document sets for its clients do not outlive the run."""
    namespace: dict[str, Any] = {"__name__": f"doc:{path.name}"}
    environment = dict(os.environ)
    try:
        for block in blocks(path, "python"):
            code = compile("\n" * (block.line) + block.code, str(path), "exec")
            exec(code, namespace)
    finally:
        sandbox = namespace.get("sandbox")
        if sandbox is not None and hasattr(sandbox, "stop"):
            sandbox.stop()
        os.environ.clear()
        os.environ.update(environment)
    return namespace


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
