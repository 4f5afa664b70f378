"""What ``brokerlink demo`` prints: numbered steps, each wait as it happens, exact money tables.

Imported only when the demo runs (it loads rich and pluggy). Text that comes from a server is
printed as plain text, never as rich markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Sequence
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from brokerlink import hookimpl

_INDENT = "      "
_MESSAGE_WIDTH = 100  # a server's message (an HTML error page, say) is cut to this in wait lines
_REASONS = {"accepted": "202 Accepted", "rate-limited": "rate limited"}


class DemoConsole:
    """Numbered step headings and indented results on one rich console."""

    def __init__(self, total: int, file: IO[str] | None = None) -> None:
        self.console = Console(file=file, highlight=False, soft_wrap=True)  # wrapped by _wrap
        self.total = total
        self.number = 0

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal

    def heading(self, text: str) -> None:
        self.console.print(Text(self._wrap(text, "", _INDENT), style="bold"))

    def step(self, text: str) -> None:
        """The next step's explanation, its lines after the first under its text."""
        self.number += 1
        label = f"[{self.number}/{self.total}] "
        wrapped = self._wrap(label + text, "", " " * len(label))
        self.console.print(Text.assemble((label, "bold cyan"), wrapped[len(label) :]))

    def result(self, text: str, style: str = "green") -> None:
        self.console.print(Text(self._wrap(text, _INDENT, _INDENT + "  "), style=style))

    def _wrap(self, text: str, indent: str, hang: str) -> str:
        """``text`` wrapped to the console's width between words (the terminal's, else
        ``COLUMNS``, else 80), never inside one: an id or URL longer than a line keeps a line."""
        return textwrap.fill(
            text,
            self.console.width,
            initial_indent=indent,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
        )

    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        numeric: Collection[str] = (),
    ) -> None:
        """A table never narrower than its content, so no digit is folded or cut; ``numeric``
        columns are right-aligned."""
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, justify="right" if column in numeric else "left", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
        natural = sum(widths) + 3 * len(widths) + 1
        self.console.print(table, width=max(self.console.width, natural))


class WaitProgress:
    """Per-client plugin: a line for every wait between two sends, and a spinner while it lasts.

    ``brokerlink_before_wait`` prints which send got which answer, the server's own message and
    the wait; on a terminal a spinner then runs until the next send. ``waits`` collects the
    seconds of every wait announced (the steps read it to report what happened).
    """

    def __init__(self, console: DemoConsole) -> None:
        self.out = console
        self.waits: list[float] = []
        self._status: Any = None

    @hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.waits.append(seconds)
        said = (
            f' "{textwrap.shorten(message, _MESSAGE_WIDTH, placeholder=" ...")}"' if message else ""
        )
        answer = _REASONS.get(reason, reason)
        self.out.result(
            f"... {call.operation_id} send {attempt}: {answer}{said}; waiting {seconds:.1f} s",
            style="yellow",
        )
        if self.out.is_terminal:
            self.stop()
            self._status = self.out.console.status(
                Text(f"{_INDENT}waiting {seconds:.1f} s before send {attempt + 1}")
            )
            self._status.start()

    @hookimpl(tryfirst=True)
    def brokerlink_before_send(self, call: Any, request: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
