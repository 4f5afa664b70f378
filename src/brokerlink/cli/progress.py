"""Show waits between sends (202 polling, retries) on stderr, so a long call is not silent.

A per-client plugin (``plugins=[WaitDisplay(...)]``): ``brokerlink_before_wait`` starts a rich
spinner naming the reason and the wait, the next ``brokerlink_before_send`` stops it. On a
non-terminal stderr each wait is one plain line instead. stdout stays pure JSON.
"""

from __future__ import annotations

from typing import IO, Any

from brokerlink.hooks import hookimpl


class WaitDisplay:
    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console

        self.console = Console(file=stream, stderr=True, highlight=False)
        self._status: Any = None
        self.waits = 0

    @hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.waits += 1
        said = f": {message}" if message else ""
        text = (
            f"{call.api}.{call.operation_id}: {reason}{said}; send {attempt + 1} in {seconds:.1f} s"
        )
        if not self.console.is_terminal:
            self.console.print(text, markup=False, soft_wrap=True)
            return
        from rich.text import Text

        self.stop()
        self._status = self.console.status(Text(text))
        self._status.start()

    @hookimpl(tryfirst=True)
    def brokerlink_before_send(self, call: Any, request: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
