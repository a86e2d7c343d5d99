"""What `tgpipe poll` shows while it runs: counts on one live line, and one-off notes.

On a terminal the line is redrawn in place (rich); otherwise (a log file, a
service manager) a plain line is printed at most every STATUS_INTERVAL_SECONDS.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TextIO

#: Without a terminal, one status line at most this often.
STATUS_INTERVAL_SECONDS: Final = 30.0


@dataclass
class PollCounts:
    """What the live line shows."""

    received: int = 0
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    last_update_at: datetime | None = None

    def line(self) -> str:
        """`received 12, accepted 10, ignored 2, last update 14:03:07`."""
        when = f"{self.last_update_at:%H:%M:%S}" if self.last_update_at else "-"
        rejected = f", rejected {self.rejected}" if self.rejected else ""
        return (
            f"received {self.received}, accepted {self.accepted}, "
            f"ignored {self.ignored}{rejected}, last update {when}"
        )


class StatusLine:
    """A live line on a terminal (rich); otherwise a plain line now and then."""

    def __init__(self, stream: TextIO | None = None, interval: float = STATUS_INTERVAL_SECONDS):
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._live: Any = None
        self._last_plain = 0.0
        self._last_line = ""

    def __enter__(self) -> StatusLine:
        if self.stream.isatty():
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                console=Console(file=self.stream), auto_refresh=False, transient=False
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def show(self, counts: PollCounts, *, force: bool = False) -> None:
        """Refresh the line (throttled when it is not a terminal)."""
        line = counts.line()
        if line == self._last_line:
            return
        if self._live is not None:
            from rich.text import Text

            self._live.update(Text(line), refresh=True)
            self._last_line = line
            return
        now = time.monotonic()
        if force or now - self._last_plain >= self.interval:
            print(line, file=self.stream, flush=True)
            self._last_plain, self._last_line = now, line

    def note(self, message: str) -> None:
        """A one-off line (a retry, a refusal) above the live line."""
        if self._live is not None:
            from rich.text import Text

            self._live.console.print(Text(message))
        else:
            print(message, file=self.stream, flush=True)
