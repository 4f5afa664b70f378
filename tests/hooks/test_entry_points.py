"""Third-party plugins arrive through the ``brokerlink`` entry-point group (tests/plugin_dist is
installed into the test environment by ``nox -s tests``)."""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest

from brokerlink import errors
from brokerlink.hooks import manager
from tests.hooks.conftest import MODES, client, run
from tests.recording_server import RecordingServer


@pytest.fixture(autouse=True)
def fresh_manager() -> Iterator[None]:
    """Each test decides BROKERLINK_PLUGINS before the manager loads entry points."""
    manager.reset()
    yield
    manager.reset()


def probe() -> Any:
    names = {ep.name for ep in importlib.metadata.entry_points(group=manager.ENTRY_POINT_GROUP)}
    assert "probe" in names, "install the test plugin: pip install ./tests/plugin_dist"
    import brokerlink_probe_plugin

    brokerlink_probe_plugin.SEEN.clear()
    return brokerlink_probe_plugin


@MODES
def test_entry_point_plugin_sees_every_send(server: RecordingServer, asynchronous: bool) -> None:
    plugin = probe()
    server.reply(200, ["vint-hill"])
    run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.list_regions())
    assert plugin.SEEN == [("metaapi", "listRegions", 1)]


@MODES
def test_entry_point_plugin_adds_an_error_code(server: RecordingServer, asynchronous: bool) -> None:
    plugin = probe()
    server.reply(
        400, {"id": 1, "error": "ValidationError", "message": "m", "details": "E_PROBE_CODE"}
    )
    with pytest.raises(plugin.ProbeCodeError) as caught:
        run("metaapi", f"{server.url}/metaapi", asynchronous, lambda c: c.redeploy_account("a"))
    assert isinstance(caught.value, errors.ValidationError) and caught.value.code == "E_PROBE_CODE"


@pytest.mark.parametrize(
    ("setting", "loaded"),
    [
        (None, True),
        ("probe", True),
        ("probe, other", True),
        ("other", False),
        ("0", False),
        ("none", False),
        ("off", False),
    ],
)
def test_autoload_switch(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, setting: str | None, loaded: bool
) -> None:
    plugin = probe()
    if setting is None:
        monkeypatch.delenv(manager.AUTOLOAD_ENV, raising=False)
    else:
        monkeypatch.setenv(manager.AUTOLOAD_ENV, setting)
    server.reply(200, [])
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        run("metaapi", f"{server.url}/metaapi", False, lambda c: c.list_regions())
    assert bool(plugin.SEEN) is loaded
    # a name no installed plugin has warns (test_broken_plugins.py checks the message)
    unknown = "other" in (setting or "")
    assert [w.category for w in warned] == [errors.BrokerLinkWarning] * unknown


def test_loaded_once_per_process_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(manager.AUTOLOAD_ENV, raising=False)
    first = client("metaapi", "http://127.0.0.1:9", False)
    second = client("metaapi", "http://127.0.0.1:9", True)
    other = client("brokerwork", "http://127.0.0.1:9", False)
    assert first._manager is second._manager  # one manager per API, built once
    metaapi = dict(manager.plugin_manager(api="metaapi").list_name_plugin())
    brokerwork = dict(manager.plugin_manager(api="brokerwork").list_name_plugin())
    assert metaapi["entrypoint:probe"] is brokerwork["entrypoint:probe"]  # loaded once
    # vendor-only built-ins are left out of other APIs' managers
    assert "brokerlink.plugins.metaapi.credential_guard" in metaapi
    assert "brokerlink.plugins.metaapi.credential_guard" not in brokerwork
    assert "brokerlink.plugins.metaapi.errors" not in brokerwork
    first.close()
    other.close()


def test_client_plugins_stay_with_that_client(server: RecordingServer) -> None:
    seen: list[str] = []

    class Mine:
        @pluggy.HookimplMarker("brokerlink")
        def brokerlink_before_send(self, call: Any, request: Any) -> None:
            seen.append(call.operation_id)

    server.reply(200, [])
    server.reply(200, [])
    run("metaapi", f"{server.url}/metaapi", False, lambda c: c.list_regions(), plugins=[Mine()])
    run("metaapi", f"{server.url}/metaapi", False, lambda c: c.list_regions())
    assert seen == ["listRegions"]
    assert len(server.requests) == 2


class Misspelt:
    @pluggy.HookimplMarker("brokerlink")
    def brokerlink_before_sned(self, call: Any, request: Any) -> None:
        return None


class WrongArguments:
    @pluggy.HookimplMarker("brokerlink")
    def brokerlink_before_send(self, call: Any, req: Any) -> None:
        return None


@pytest.mark.parametrize("bad", [Misspelt(), WrongArguments()], ids=["name", "arguments"])
def test_hookimpls_matching_no_spec_fail_loudly(bad: object) -> None:
    with pytest.raises(pluggy.PluginValidationError):
        client("metaapi", "http://127.0.0.1:9", False, plugins=[bad])
