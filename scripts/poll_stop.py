"""Stopping `tgpipe poll` cleanly: Ctrl-C and SIGTERM, honoured where nothing is half done.

A signal is always remembered; it cuts a wait short (a long poll, a pause before
a retry) only inside `StopRequest.interruptible()`. Elsewhere the poller finishes
what it is doing (delivering a batch, confirming an offset) and then stops.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class PollStopped(BaseException):
    """Raised by the signal handler to cut a long poll or a pause short.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way
    (urllib, the Bot API client) can swallow it.
    """


class StopRequest:
    """Ctrl-C / SIGTERM: remembered always, raised only where nothing is half done."""

    def __init__(self) -> None:
        self.requested = False
        self._interruptible = False

    def request(self) -> None:
        """Ask the poller to stop after the current batch."""
        self.requested = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._interruptible:
            raise PollStopped

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A region (waiting on the network, sleeping) a signal may abort at once."""
        self._interruptible = True
        try:
            # A signal that came just before the flag was set must still stop us.
            if self.requested:
                raise PollStopped
            yield
        finally:
            self._interruptible = False

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT and SIGTERM (main thread only), restoring the old handlers after."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
