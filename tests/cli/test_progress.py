"""The wait display: a real per-client plugin that reports each wait between sends on stderr."""

from __future__ import annotations

import io
from typing import Any

import brokerlink
from brokerlink.cli.progress import WaitDisplay
from brokerlink.hooks.call import Resend
from brokerlink.sandbox.faults import FaultRule
from brokerlink.sandbox.testing import SandboxServer
from brokerlink.testing import virtual_time


class ResendTwice:
    """Stands for the polling and retry plugins: wait 1.5 s after each of two 429 answers."""

    @brokerlink.hookimpl
    def brokerlink_after_response(self, call: Any, response: Any) -> Resend | None:
        if response.status_code == 429:
            return Resend(seconds=1.5, reason="rate-limited", message="slow down")
        return None


def test_each_wait_is_one_line_on_a_plain_stream(sandbox: SandboxServer) -> None:
    sandbox.sandbox.faults.add(FaultRule("429", times=2, api="metaapi"))
    stream = io.StringIO()
    display = WaitDisplay(stream)
    with (
        virtual_time(),
        brokerlink.MetaApi(
            token="t", base_url=sandbox.base_url("metaapi"), plugins=[display, ResendTwice()]
        ) as client,
    ):
        regions = client.list_regions()
    assert "london" in regions
    assert display.waits == 2
    assert stream.getvalue().splitlines() == [
        "metaapi.listRegions: rate-limited: slow down; send 2 in 1.5 s",
        "metaapi.listRegions: rate-limited: slow down; send 3 in 1.5 s",
    ]


def test_quiet_calls_have_no_display(call: Any) -> None:
    result = call("metaapi", "list-regions", "-q")
    assert (result.code, result.stderr) == (0, "")
