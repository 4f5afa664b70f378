"""``brokerlink.metaapi``, ``brokerlink.brokerwork`` and ``brokerlink.b2core``: every model,
enum and facade of an API by a short path, visible to mypy --strict as a user runs it."""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from tests.test_requests import FACADES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("api", FACADES)
def test_every_model_enum_and_facade_is_on_the_short_path(api: str) -> None:
    short = importlib.import_module(f"brokerlink.{api}")
    models = importlib.import_module(f"brokerlink.generated.{api}.models")
    facade = importlib.import_module(f"brokerlink.generated.{api}.facade")
    names = [*models.__all__, FACADES[api], "Async" + FACADES[api]]
    if api == "metaapi":  # the only API with file uploads
        names.append("File")
    assert sorted(short.__all__) == sorted(names)
    for name in names:
        assert (
            getattr(short, name) is getattr(models, name, None)
            or getattr(facade, name, None)
            or getattr(importlib.import_module(f"brokerlink.generated.{api}.types"), name)
        )


def test_the_package_reaches_the_api_modules_lazily() -> None:
    import brokerlink

    assert brokerlink.metaapi.AccountState.DEPLOYED.value == "DEPLOYED"
    assert "b2core" in dir(brokerlink)


@pytest.fixture(scope="module")
def installed_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package laid out as installed (the editable install's import hook is invisible to
    mypy): src/brokerlink with generated/ and plugins/ linked in where setup.py maps them."""
    tree = tmp_path_factory.mktemp("site")
    package = tree / "brokerlink"
    package.mkdir()
    for entry in (ROOT / "src" / "brokerlink").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "generated").symlink_to(ROOT / "generated")
    (package / "plugins").symlink_to(ROOT / "plugins")
    (tree / "mypy.ini").write_text(
        # as for any installed package: its own code is not the user's to fix
        f"[mypy]\nstrict = True\nmypy_path = {tree}\n[mypy-brokerlink.*]\nignore_errors = True\n"
    )
    return tree


def mypy_errors(tree: Path, code: str) -> list[str]:
    user = tree / "user_code.py"
    user.write_text(textwrap.dedent(code))
    config = ["--config-file", str(tree / "mypy.ini"), "--cache-dir", str(tree / ".cache")]
    out, err, _ = mypy_api.run([*config, str(user)])
    assert not err, err
    return [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line]


def test_mypy_strict_sees_the_short_paths_and_the_typed_options(installed_tree: Path) -> None:
    good = """
        from brokerlink.b2core import AsyncB2Core
        from brokerlink.brokerwork import AccountInfo, BrokerWork
        from brokerlink.metaapi import AccountState, MetaApi, MetatraderAccount


        def deployed(account: MetatraderAccount) -> bool:
            return account.state == AccountState.DEPLOYED


        def clients() -> tuple[MetaApi, BrokerWork, type[AsyncB2Core], type[AccountInfo]]:
            meta = MetaApi(default_headers={"X-Team": "ops"}).with_options(max_retries=1)
            return meta, BrokerWork(), AsyncB2Core, AccountInfo
    """
    assert mypy_errors(installed_tree, good) == []
    bad = """
        from brokerlink.metaapi import MetaApi, MetatraderAcount

        MetaApi(token="t").with_options(max_retrys=1)
        MetaApi(token="t").with_options(timeout="slow")
    """
    errors = mypy_errors(installed_tree, bad)
    assert len(errors) == 3, errors
    assert 'has no attribute "MetatraderAcount"' in errors[0]
    assert 'Unexpected keyword argument "max_retrys"' in errors[1]
    assert '"timeout" to "with_options"' in errors[2]
