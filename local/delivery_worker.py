"""The local delivery stream's delivery half, run in a worker process.

Firehose runs apart from the webhook; running its delivery (the archiver
invocation, the conversion, the writes) in its own process here lets the second
core do it while the webhook's threads keep answering, instead of both sharing
one interpreter lock. The spool, the buffer and the acknowledgements stay in the
main process: a record is released from the spool only after the worker has
durably written its outputs, exactly as in process, and a worker that dies
leaves its records spooled for the next flush.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from local.spool import SpooledRecord

if TYPE_CHECKING:
    from local.delivery_stream import FlushReport, LocalDeliveryStream

#: How often the worker checks that the process that started it is still there.
PARENT_CHECK_SECONDS: Final = 0.5


class DeliveryWorker:
    """A process that delivers groups of records for one stream on one lake."""

    def __init__(self, lake: Path, name: str, **settings: Any) -> None:
        """`settings` are the stream's keyword arguments the worker's own stream takes."""
        self._arguments = (str(lake), name, settings)
        self._pool: Any = None

    def _ensure_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: the parent runs threads (HTTP server, timer), which fork would copy
            # mid-flight; the worker starts once and stays.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_delivery_child,
                # Our pid, not the child's getppid(): we may die before it starts.
                initargs=(*self._arguments, os.getpid()),
            )
        return self._pool

    def deliver(self, records: Sequence[SpooledRecord]) -> tuple[FlushReport, dict[str, int]]:
        """Deliver `records` in the worker; its report and the counters it moved."""
        from concurrent.futures.process import BrokenProcessPool

        batch = [(r.record_id, r.arrival_ms, r.data) for r in records]
        try:
            result: tuple[FlushReport, dict[str, int]] = (
                self._ensure_pool().submit(_deliver_in_child, batch).result()
            )
        except BrokenProcessPool:
            # The worker died (killed, out of memory): the records stay spooled and
            # buffered; the next flush starts a new worker.
            self.close()
            raise
        return result

    def close(self) -> None:
        """Stop the worker (after its current delivery)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_child_stream: LocalDeliveryStream | None = None


def _start_delivery_child(lake: str, name: str, settings: dict[str, Any], parent: int) -> None:
    """Worker initializer: an unspooled stream on the same lake with the default archiver."""
    import signal

    # Here, not at the top: the stream module imports this one to start its worker.
    from local.delivery_stream import LocalDeliveryStream

    global _child_stream
    # Ctrl-C reaches the whole process group; the main process decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    _child_stream = LocalDeliveryStream(Path(lake), name, spooled=False, **settings)


def _exit_with_parent(parent: int) -> None:
    """Exit when the parent dies (SIGKILL included): the pool's queue would keep us waiting.

    The worker's end of the call queue also holds a writer, so a dead parent never
    gives it EOF. Nothing is lost by leaving: the parent acknowledges only spooled
    records, and its next start delivers them again (archive keys are per batch).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _deliver_in_child(batch: list[tuple[str, int, bytes]]) -> tuple[FlushReport, dict[str, int]]:
    """Deliver one group in the worker; the report and each counter's increase."""
    stream = _child_stream
    assert stream is not None, "the delivery worker was not initialised"
    before = stream.stats()
    report = stream.deliver_here([SpooledRecord(*record) for record in batch])
    after = stream.stats()
    moved = {
        f.name: getattr(after, f.name) - getattr(before, f.name)
        for f in fields(after)
        if getattr(after, f.name) != getattr(before, f.name)
    }
    return report, moved
