"""The typed surface as users meet it: the README's, the cookbook's and the getting-started
page's code, and tests/typed/usage.py, pass ``mypy --strict`` with no casts or ignores; code
that misuses the API fails it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.markdown import DOCS, blocks
from tests.test_public_paths import installed_tree, mypy_errors

__all__ = ["installed_tree"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", DOCS / "cookbook.md", DOCS / "getting-started.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_documented_code_passes_mypy_strict(installed_tree: Path, page: Path) -> None:
    code = "".join(block.code for block in blocks(page, "python"))
    assert code and mypy_errors(installed_tree, code) == []


def test_typed_usage_passes_mypy_strict(installed_tree: Path) -> None:
    usage = (ROOT / "tests" / "typed" / "usage.py").read_text(encoding="utf-8")
    assert mypy_errors(installed_tree, usage) == []


def test_misuse_fails_mypy_strict(installed_tree: Path) -> None:
    misuse = """
        import brokerlink

        meta = brokerlink.MetaApi(token="t")
        meta.list_accounts(sort_order="up")
        meta.with_options(max_retrys=1)
        for account in meta.list_accounts():
            account.field_id
        region: str = meta.get_account("a").region
        meta.create_account(body={"name": "n", "server": "s", "magic": 0, "regoin": "london"})
        meta.create_account(body={"name": "n", "server": "s", "magic": "zero"})
    """
    errors = mypy_errors(installed_tree, misuse)
    assert len(errors) == 6, errors
    assert sum("NewMetatraderAccountDict" in e for e in errors) == 2
    assert any("'up'" in e and "Literal['asc', 'desc']" in e for e in errors)
    assert any("max_retrys" in e for e in errors)
    assert any("field_id" in e for e in errors)
    assert any("str | None" in e for e in errors)


def test_the_same_code_passes_pyright_strict(installed_tree: Path) -> None:
    for number, page in enumerate(PAGES):
        code = "".join(block.code for block in blocks(page, "python"))
        (installed_tree / f"pyright_page_{number}.py").write_text(code, encoding="utf-8")
    shutil.copy(ROOT / "tests" / "typed" / "usage.py", installed_tree / "pyright_usage.py")
    config = {"typeCheckingMode": "strict", "include": ["pyright_*.py"], "pythonVersion": "3.11"}
    (installed_tree / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    pyright = Path(sys.executable).with_name("pyright")
    run = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "--outputjson"],
        cwd=installed_tree,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line']}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert report["summary"]["filesAnalyzed"] == len(PAGES) + 1
    assert problems == []
