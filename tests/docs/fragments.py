"""Type-check the fragments of the documentation (blocks marked ``<!-- fragment -->``): one mypy
run (``--strict``) over all of them, with brokerlink's real types.

mypy does not run the import hook of an editable install, so it reads brokerlink from a view: a
folder whose ``brokerlink/`` links to the installed package's files and subpackages, wherever
they live (``generated/`` and ``plugins/`` sit outside ``src/brokerlink`` in the checkout).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import tempfile
from pathlib import Path

from mypy import api

from tests.docs.markdown import Block

_MESSAGE = re.compile(r"^(?P<file>[^:\n]+\.py):(?P<line>\d+): (?P<kind>error|note): ", re.M)


def _package_dirs() -> dict[str, Path]:
    dirs = {}
    for name in ("brokerlink", "brokerlink.generated", "brokerlink.plugins"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, name
        dirs[name] = Path(next(iter(spec.submodule_search_locations)))
    return dirs


def _view(root: Path) -> Path:
    package = root / "view" / "brokerlink"
    package.mkdir(parents=True)
    dirs = _package_dirs()
    for entry in dirs["brokerlink"].iterdir():
        (package / entry.name).symlink_to(entry)
    for name, location in dirs.items():
        child = package / name.rpartition(".")[2]
        if name != "brokerlink" and not child.exists():
            child.symlink_to(location)
    return package.parent


@functools.cache
def _check(fragments: tuple[Block, ...]) -> dict[str, list[str]]:
    """mypy's messages per fragment (by ``Block.name``), and under "" those about other files."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "mypy.ini"
        config.write_text(
            f"[mypy]\nmypy_path = {_view(root)}\nstrict = True\nfollow_imports = silent\n"
            f"cache_dir = {root / 'cache'}\n"
        )
        files = {}
        for number, block in enumerate(fragments):
            file = root / f"fragment_{number}.py"
            # as many lines before it as in the document, so mypy's line numbers are the page's
            file.write_text("\n" * block.line + block.code, encoding="utf-8")
            files[file.name] = block.name
        stdout, stderr, _ = api.run(["--config-file", str(config), *(str(root / f) for f in files)])
    messages: dict[str, list[str]] = {name: [] for name in files.values()}
    messages[""] = [stderr] if stderr.strip() else []
    for line in stdout.splitlines():
        m = _MESSAGE.match(line)
        if m is None:
            continue
        name = files.get(Path(m["file"]).name, "")
        where = name.rpartition(":")[0] or m["file"]
        messages[name].append(f"{where}:{m['line']}: {line[m.end('line') + 2 :]}")
    return messages


def mypy_messages(fragment: Block, fragments: tuple[Block, ...]) -> list[str]:
    """What mypy says about ``fragment`` (and about anything outside the fragments), checked
    together with all ``fragments`` in one run."""
    messages = _check(fragments)
    return messages[fragment.name] + messages[""]
