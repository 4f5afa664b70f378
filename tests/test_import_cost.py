"""Importing brokerlink does no work: no HTTP stack, no generated code, no plugins until used."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out))


def test_import_brokerlink_loads_nothing_heavy() -> None:
    modules = loaded_after("import brokerlink")
    assert "brokerlink" in modules
    heavy = {
        m for m in modules if m.split(".")[0] in {"httpx", "pluggy", "attrs", "attr", "dateutil"}
    }
    assert heavy == {"httpx._main"}  # the stand-in that keeps httpx's CLI out (see below)
    assert not any(m.startswith("brokerlink.generated") for m in modules)
    assert not {"brokerlink.metaapi", "brokerlink.brokerwork", "brokerlink.b2core"} & modules


def test_one_facade_loads_only_its_own_package() -> None:
    modules = loaded_after("import brokerlink; brokerlink.BrokerWork")
    assert "brokerlink.generated.brokerwork.facade" in modules
    assert not any(
        m.startswith(("brokerlink.generated.metaapi", "brokerlink.generated.b2core"))
        for m in modules
    )


CLI_STACK = ("httpx._main", "click", "rich", "pygments")


def test_first_facade_access_skips_httpx_cli_and_unused_operations() -> None:
    """httpx's command line is not imported, nor any operation's module or model until called."""
    modules = loaded_after("import brokerlink; brokerlink.MetaApi; brokerlink.AsyncB2Core")
    assert "httpx" in modules
    assert not {m for m in modules if m.startswith(CLI_STACK)}
    generated = {m for m in modules if m.startswith("brokerlink.generated.")}
    assert not {m for m in generated if ".api." in m or ".models" in m}
    assert "aiohttp" not in modules  # imported when an async client is built
    assert "asyncio" not in modules  # nor asyncio (a sync client never needs it)
    assert "httpcore" not in modules  # imported when a sync client is built (its transport)


def test_a_call_imports_only_its_own_operation() -> None:
    code = (
        "import brokerlink; c = brokerlink.MetaApi(token='t', base_url='http://127.0.0.1:9'); "
        "c.with_options(max_retries=0)\ntry: c.list_regions()\nexcept Exception: pass"
    )
    modules = loaded_after(code)
    operations = {m for m in modules if ".api." in m and m.startswith("brokerlink.generated")}
    assert operations == {
        "brokerlink.generated.metaapi.api.regions",
        "brokerlink.generated.metaapi.api.regions.list_regions",
    }


def test_httpx_cli_is_still_there_for_who_imports_it() -> None:
    modules = loaded_after("import brokerlink, httpx; import httpx._main; httpx._main.main")
    assert {"httpx._main", "click", "rich"} <= modules


def test_cli_help_loads_no_http_stack() -> None:
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "brokerlink.cli", "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    modules = {line.rsplit("|", 1)[1].strip() for line in imported.splitlines() if "|" in line}
    assert "click" in modules
    assert not {m for m in modules if m.split(".")[0] in {"httpx", "aiohttp", "pygments"}}


def test_a_short_path_loads_only_its_own_api() -> None:
    modules = loaded_after("from brokerlink.b2core import AccountEnvironment")
    assert "brokerlink.generated.b2core.models" in modules
    assert not any(
        m.startswith(("brokerlink.generated.metaapi", "brokerlink.generated.brokerwork"))
        for m in modules
    )
