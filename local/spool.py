"""The local delivery stream's durable spool: acknowledged records survive a crash.

Append-only segment files of CRC-checked frames, written with group commit (one
fsync for a batch of concurrent appends), recovered on the next start, and
released only after everything their records produced is durably written. Used by
local.delivery_stream; docs/reliability.md says what it guarantees.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from local.object_store import fsync_directory

SPOOL_DIR: Final = ".spool"
_FRAME_HEADER = struct.Struct("<II")  # body length, CRC-32 of the body
_BODY_HEADER = struct.Struct("<QH")  # arrival (epoch ms), record id length
_SEGMENT_PREFIX = "segment-"
_SEGMENT_SUFFIX = ".log"

T = TypeVar("T")


@dataclass(frozen=True)
class SpooledRecord:
    """One acknowledged record: its Firehose record id, arrival time (epoch ms) and bytes."""

    record_id: str
    arrival_ms: int
    data: bytes


class SpoolError(RuntimeError):
    """The spool could not make records durable (they are not acknowledged)."""


class SpoolInUse(SpoolError):
    """Another running delivery stream holds this spool."""


def encode_frame(record: SpooledRecord) -> bytes:
    """One record as a spool frame: length + CRC-32 header, then arrival, id and data."""
    record_id = record.record_id.encode("utf-8")
    body = _BODY_HEADER.pack(record.arrival_ms, len(record_id)) + record_id + record.data
    return _FRAME_HEADER.pack(len(body), zlib.crc32(body)) + body


def decode_frames(blob: bytes) -> tuple[list[SpooledRecord], int]:
    """The whole frames at the start of a segment, and where they end.

    Reading stops at the first frame that is cut short or fails its checksum:
    the torn tail of a write the crash interrupted, never acknowledged.
    """
    records = []
    position = 0
    while position + _FRAME_HEADER.size <= len(blob):
        length, checksum = _FRAME_HEADER.unpack_from(blob, position)
        start = position + _FRAME_HEADER.size
        end = start + length
        if length < _BODY_HEADER.size or end > len(blob):
            break
        body = blob[start:end]
        if zlib.crc32(body) != checksum:
            break
        arrival_ms, id_length = _BODY_HEADER.unpack_from(body)
        id_end = _BODY_HEADER.size + id_length
        if id_end > length:
            break
        try:
            record_id = body[_BODY_HEADER.size : id_end].decode("utf-8")
        except UnicodeDecodeError:
            break
        records.append(SpooledRecord(record_id, arrival_ms, body[id_end:]))
        position = end
    return records, position


class _Waiter:
    """One put waiting for its frames to be made durable by the leader of its batch."""

    __slots__ = ("done", "error", "frames", "records")

    def __init__(self, records: Sequence[SpooledRecord]) -> None:
        self.records = records
        self.frames = b"".join(encode_frame(record) for record in records)
        self.done = False
        self.error: BaseException | None = None


def spooled_record_count(lake: Path) -> int:
    """Records accepted into the lake's spools and not yet delivered (read-only, any stream)."""
    count = 0
    for path in (Path(lake) / SPOOL_DIR).glob(f"*/{_SEGMENT_PREFIX}*{_SEGMENT_SUFFIX}"):
        try:
            found, _ = decode_frames(path.read_bytes())
        except OSError:
            continue  # released while we looked
        count += len(found)
    return count


class Spool:
    """Append-only segment files with group commit, replay and release after delivery.

    Concurrent `append` calls queue up; whichever caller finds no write in
    progress becomes the leader and writes the whole queue with one fsync,
    while the others wait on a condition variable. `on_durable` runs under the
    I/O lock right after the fsync, so `seal` (rotating to a new segment while
    taking the buffered records) never splits a record from its segment.
    """

    def __init__(
        self, directory: Path, on_durable: Callable[[Sequence[SpooledRecord]], None]
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._on_durable = on_durable
        self._lock_fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise SpoolInUse(
                f"{self.directory} is in use by another running delivery stream"
            ) from None
        self._queue_lock = threading.Condition(threading.Lock())
        self._queue: list[_Waiter] = []
        self._leader_active = False
        self._io_lock = threading.Lock()
        self._closed = False
        existing = self.segment_numbers()
        self._next_number = (existing[-1] + 1) if existing else 1
        self._fd: int | None = None
        self._size = 0

    def segment_path(self, number: int) -> Path:
        """The file of segment `number`."""
        return self.directory / f"{_SEGMENT_PREFIX}{number:012d}{_SEGMENT_SUFFIX}"

    def segment_numbers(self) -> list[int]:
        """The numbers of the segment files on disk, ascending."""
        numbers = []
        for path in self.directory.glob(f"{_SEGMENT_PREFIX}*{_SEGMENT_SUFFIX}"):
            digits = path.name[len(_SEGMENT_PREFIX) : -len(_SEGMENT_SUFFIX)]
            if digits.isdigit():
                numbers.append(int(digits))
        return sorted(numbers)

    def recover(self) -> list[SpooledRecord]:
        """Every record left in the spool by an earlier run (torn tails skipped)."""
        records: list[SpooledRecord] = []
        for number in self.segment_numbers():
            if number >= self._next_number:
                continue
            found, _ = decode_frames(self.segment_path(number).read_bytes())
            records.extend(found)
        return records

    def append(self, records: Sequence[SpooledRecord]) -> None:
        """Return once the records are fsynced (group commit); SpoolError if they could not be."""
        waiter = _Waiter(records)
        with self._queue_lock:
            if self._closed:
                raise SpoolError("the delivery stream is closed")
            self._queue.append(waiter)
            while not waiter.done:
                if self._leader_active:
                    self._queue_lock.wait()
                    continue
                self._lead()
        if waiter.error is not None:
            raise SpoolError(f"spool write failed: {waiter.error}") from waiter.error

    def _lead(self) -> None:
        """Write everything queued so far with one fsync (called holding the queue lock)."""
        self._leader_active = True
        batch, self._queue = self._queue, []
        self._queue_lock.release()
        error: BaseException | None = SpoolError("the writing thread was interrupted")
        try:
            self._write(batch)
            error = None
        except Exception as failure:  # noqa: BLE001 - handed to every waiter of the batch
            error = failure
        finally:
            self._queue_lock.acquire()
            self._leader_active = False
            for waiter in batch:
                waiter.done = True
                waiter.error = error
            self._queue_lock.notify_all()

    def _open_segment(self) -> int:
        if self._fd is None:
            path = self.segment_path(self._next_number)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._size = 0
            # The new file's directory entry must be durable too, not only its data.
            fsync_directory(self.directory)
        return self._fd

    def _rotate(self) -> None:
        """Close the current segment; the next write starts a new one (holding the I/O lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._next_number += 1

    def _write(self, batch: Sequence[_Waiter]) -> None:
        data = b"".join(waiter.frames for waiter in batch)
        with self._io_lock:
            fd = self._open_segment()
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                # Never leave a torn frame in front of later appends: cut it off,
                # and start a fresh segment whatever happens.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._size)
                self._rotate()
                raise
            self._size += len(data)
            self._on_durable([record for waiter in batch for record in waiter.records])

    def seal(self, take: Callable[[], T]) -> tuple[T, int]:
        """Call `take` (hand over the buffered records) and rotate, atomically w.r.t. appends.

        Returns take's result and the boundary: every segment numbered below it
        holds only records handed over by now or earlier.
        """
        with self._io_lock:
            taken = take()
            self._rotate()
            return taken, self._next_number

    def release(self, boundary: int) -> None:
        """Delete the segments below `boundary`: their records are durably delivered."""
        removed = False
        for number in self.segment_numbers():
            if number < boundary:
                self.segment_path(number).unlink(missing_ok=True)
                removed = True
        if removed:
            fsync_directory(self.directory)

    def close(self) -> None:
        """Refuse further appends, close the segment and give up the lock (idempotent)."""
        with self._queue_lock:
            while self._leader_active:
                self._queue_lock.wait()
            if self._closed:
                return
            self._closed = True
        with self._io_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        os.close(self._lock_fd)
