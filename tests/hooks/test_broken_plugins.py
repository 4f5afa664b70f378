"""A third-party plugin that cannot load or validate is named, with the way out, in a typed error;
an allowlisted name no plugin has warns.

The broken plugins are real distributions: a ``*.dist-info`` (METADATA, entry_points.txt) and a
module in a temporary folder put on ``sys.path``, found by ``importlib.metadata`` as any installed
package is (beside tests/plugin_dist and the metrics example, installed by ``nox -s tests``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import brokerlink
from brokerlink import errors
from brokerlink.hooks import manager
from tests.hooks.conftest import client

DIST = "brokerlink-broken-plugin"
MODULES = {
    "import": "import brokerlink_no_such_module\n",
    "raise": "raise RuntimeError('the plugin failed at import')\n",
    "arguments": (
        "import brokerlink\n\n"
        "@brokerlink.hookimpl\n"
        "def brokerlink_before_send(call, req):\n"
        "    return None\n"
    ),
    "unknown-hook": (
        "import brokerlink\n\n"
        "@brokerlink.hookimpl\n"
        "def brokerlink_before_sned(call, request):\n"
        "    return None\n"
    ),
}
WHAT = {
    "import": "cannot be imported (ModuleNotFoundError: No module named "
    "'brokerlink_no_such_module')",
    "raise": "cannot be imported (RuntimeError: the plugin failed at import)",
    "arguments": "does not fit brokerlink's hookspecs: Plugin 'entrypoint:broken' for hook "
    "'brokerlink_before_send'",
    "unknown-hook": "does not fit brokerlink's hookspecs: unknown hook 'brokerlink_before_sned'",
}


def write_dist(folder: Path, kind: str) -> str:
    """A distribution whose ``broken`` entry point is the module of ``kind``; its module name."""
    module = f"brokerlink_broken_{kind.replace('-', '_')}"
    (folder / f"{module}.py").write_text(MODULES[kind])
    info = folder / f"{DIST.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[brokerlink]\nbroken = {module}\n")
    return module


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Path]]:
    """``install(kind)`` puts a broken distribution on ``sys.path`` (for this test only)."""
    modules: list[str] = []

    def installer(kind: str) -> Path:
        modules.append(write_dist(tmp_path, kind))
        monkeypatch.syspath_prepend(str(tmp_path))
        return tmp_path

    manager.reset()
    monkeypatch.delenv(manager.AUTOLOAD_ENV, raising=False)
    yield installer
    for module in modules:
        sys.modules.pop(module, None)
    manager.reset()


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_broken_plugin_is_named_with_the_way_out(
    install: Callable[[str], Path], kind: str, asynchronous: bool
) -> None:
    install(kind)
    with pytest.raises(errors.PluginError) as caught:
        client("metaapi", "http://127.0.0.1:9", asynchronous)
    error = caught.value
    assert (error.plugin, error.distribution) == ("broken", DIST)
    message = str(error)
    assert message.startswith(f"third-party plugin 'broken' (entry point '{error_module(kind)}'")
    assert f"of distribution {DIST}) {WHAT[kind]}" in message
    assert message.endswith(
        "; start without it: BROKERLINK_PLUGINS=none or "
        f"BROKERLINK_PLUGINS=metrics,probe (the others only), or uninstall {DIST}"
    )
    assert "\n" not in message


def error_module(kind: str) -> str:
    return f"brokerlink_broken_{kind.replace('-', '_')}"


def test_the_error_stays_until_the_plugin_is_left_out(
    install: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install("unknown-hook")
    for _ in range(2):  # every client, not only the first
        with pytest.raises(errors.PluginError):
            client("brokerwork", "http://127.0.0.1:9", False)
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "probe,metrics")
    manager.reset()
    kept = client("brokerwork", "http://127.0.0.1:9", False)
    names = dict(kept._manager.list_name_plugin())
    assert {"entrypoint:probe", "entrypoint:metrics"} <= set(names)
    assert "entrypoint:broken" not in names
    kept.close()
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "none")
    manager.reset()
    client("brokerwork", "http://127.0.0.1:9", False).close()


def test_the_allowlist_names_only_the_plugins_left(
    install: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install("raise")
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "broken,probe")
    with pytest.raises(errors.PluginError) as caught:
        client("metaapi", "http://127.0.0.1:9", False)
    assert "or BROKERLINK_PLUGINS=probe (the others only)" in str(caught.value)
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "broken")
    manager.reset()
    with pytest.raises(errors.PluginError) as caught:
        client("metaapi", "http://127.0.0.1:9", False)
    assert "(the others only)" not in str(caught.value)


def test_a_plugin_given_to_the_client_keeps_pluggys_error(
    install: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin handed to the client is the caller's own code: pluggy's error, as before."""
    import pluggy

    class Misspelt:
        @pluggy.HookimplMarker("brokerlink")
        def brokerlink_before_sned(self) -> None:
            return None

    install("import")
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "probe")
    with pytest.raises(pluggy.PluginValidationError):
        client("metaapi", "http://127.0.0.1:9", False, plugins=[Misspelt()])


@pytest.mark.parametrize("facade", ["MetaApi", "AsyncMetaApi"])
def test_an_unknown_allowlisted_name_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, facade: str
) -> None:
    manager.reset()
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "probe,metrcs")
    caplog.set_level(logging.WARNING, logger="brokerlink")
    make = getattr(brokerlink, facade)
    with pytest.warns(errors.BrokerLinkWarning) as warned:
        make(token="t", base_url="http://127.0.0.1:9")  # the line the warning names
    expected = (
        "BROKERLINK_PLUGINS names metrcs: no installed plugin has that entry-point name "
        "(installed: metrics, probe)"
    )
    assert [str(w.message) for w in warned] == [expected]
    assert warned[0].filename == __file__
    assert [r.getMessage() for r in caplog.records if r.name == "brokerlink.hooks.manager"] == [
        expected
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(token="t", base_url="http://127.0.0.1:9")  # once per process
    manager.reset()


def test_the_command_line_prints_one_line_without_blaming_brokerlink(
    install: Callable[[str], Path],
) -> None:
    folder = install("arguments")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BROKERLINK_")},
        "PYTHONPATH": os.pathsep.join([str(folder), *sys.path]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "brokerlink", "call", "metaapi", "list-regions", "--sandbox"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("PluginError: third-party plugin 'broken' (entry point ")
    assert "BROKERLINK_PLUGINS=none" in lines[0] and DIST in lines[0]
    assert "bug in brokerlink" not in result.stderr and result.stdout == ""
