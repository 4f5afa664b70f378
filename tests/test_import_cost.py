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
    assert heavy == set()
    assert not any(m.startswith("brokerlink.generated") for m in modules)
    assert not {"brokerlink.metaapi", "brokerlink.brokerwork", "brokerlink.b2core"} & modules


def test_one_facade_loads_only_its_own_package() -> None:
    modules = loaded_after("import brokerlink; brokerlink.BrokerWork")
    assert "brokerlink.generated.brokerwork.facade" in modules
    assert not any(
        m.startswith(("brokerlink.generated.metaapi", "brokerlink.generated.b2core"))
        for m in modules
    )


def test_a_short_path_loads_only_its_own_api() -> None:
    modules = loaded_after("from brokerlink.b2core import AccountEnvironment")
    assert "brokerlink.generated.b2core.models" in modules
    assert not any(
        m.startswith(("brokerlink.generated.metaapi", "brokerlink.generated.brokerwork"))
        for m in modules
    )
