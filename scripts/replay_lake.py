"""`tgpipe replay --lake`: re-derive a local lake's `messages` partitions from the raw archive.

After a fix to the row shaper or a new column, each affected
`data/messages/dt=...` partition is rebuilt through the same archiver shaping
(`functions.archiver.logic.transform`) and the same local format conversion
(`local.conversion`) the stack uses. Each partition is written into a hidden
directory next to it and swapped in with one rename, so a reader sees the old
partition or the new one, never half of one.

`received_at` is not in the archived updates themselves: see `arrival_times` and
docs/reliability.md for how replay sets it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions import constants as c
from functions import jsoncodec
from functions.archiver.logic import IncomingRecord, transform
from functions.telegram import update_id
from scripts.replay_archive import ArchiveObject

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass
class PartitionReport:
    """What replay did to one `messages` partition."""

    dt: str
    archive_objects: int = 0
    updates: int = 0
    rows: int = 0
    rows_before: int | None = None
    dropped: int = 0
    processing_failed: int = 0
    conversion_failed: int = 0
    received_at_kept: int = 0
    received_at_archived: int = 0
    written: bool = False


def _partition_path(lake: Path, dt: str) -> Path:
    return lake / "data" / c.MESSAGES_PREFIX.rstrip("/") / f"dt={dt}"


def arrival_times(partition: Path) -> tuple[dict[int, deque[int]], int | None]:
    """`received_at` (epoch ms, ascending) of each update id in a partition, and its row count.

    Replay gives each archived copy of an update the `received_at` of a row it
    replaces, in order, so rebuilding a partition that still exists keeps every
    arrival time exactly; a copy with no row to replace gets its batch's time.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not partition.is_dir():
        return {}, None
    times: dict[int, list[int]] = defaultdict(list)
    rows = 0
    for path in sorted(partition.glob("*.parquet")):
        table = pq.read_table(path, columns=["update_id", "received_at"])
        rows += table.num_rows
        ids = table.column("update_id").to_pylist()
        received = table.column("received_at").cast(pa.int64()).to_pylist()
        for the_id, received_ms in zip(ids, received, strict=True):
            if the_id is not None and received_ms is not None:
                times[the_id].append(received_ms)
    return {the_id: deque(sorted(ms)) for the_id, ms in times.items()}, rows


def _line_update_id(line: bytes) -> int | None:
    try:
        update = jsoncodec.loads(line)
    except jsoncodec.InvalidJson:
        return None
    return update_id(update) if isinstance(update, dict) else None


def rederive_partition(
    lake: Path,
    dt: str,
    objects: Sequence[ArchiveObject],
    advance: Callable[[float], None],
    pseudonym_key: bytes | None = None,
) -> tuple[PartitionReport, Any]:
    """The partition's new rows (an Arrow table) from its archive objects, and what happened."""
    from local.conversion import OpenXJsonReader

    report = PartitionReport(dt, archive_objects=len(objects))
    kept, report.rows_before = arrival_times(_partition_path(lake, dt))
    rows: list[bytes] = []
    for archive in objects:
        lines, arrivals = archive.contents()
        for number, line in enumerate(lines):
            report.updates += 1
            # A replaced row's arrival time, matched by update_id in order (parsed only
            # when the partition still had rows).
            the_id = _line_update_id(line) if kept else None
            copies = kept.get(the_id) if the_id is not None else None
            kept_ms = copies.popleft() if copies else None
            if arrivals is not None:
                # The archiver recorded each line's arrival: the row comes back exact.
                arrival_ms = arrivals[number]
                report.received_at_archived += 1
            elif kept_ms is not None:
                arrival_ms = kept_ms
                report.received_at_kept += 1
            else:
                arrival_ms = archive.batch_ms
            record = IncomingRecord(f"{archive.key}:{number}", arrival_ms, line + b"\n")
            result = transform(record, pseudonym_key)
            if result.result == "Ok":
                rows.append(result.data)
            elif result.result == "Dropped":
                report.dropped += 1
            else:
                report.processing_failed += 1
        advance(archive.size)
    conversion = OpenXJsonReader().read(rows)
    report.conversion_failed = len(conversion.failures)
    report.rows = conversion.table.num_rows
    return report, conversion.table


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def swap_partition(partition: Path, table: Any) -> None:
    """Write `table` as the partition's only file, then swap it in with one rename.

    The new directory is built hidden next to the partition (`.dt=...replay-...`,
    which the `dt=*` glob of the query engine never matches), fsynced, then
    renamed over. Where the kernel cannot exchange two directories atomically the
    old one is first renamed away: a reader may then briefly see no partition,
    never half of one.
    """
    from local.conversion import parquet_bytes
    from local.object_store import fsync_directory, write_atomically

    parent = partition.parent
    parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = parent / f".{partition.name}.replay-{token}"
    staging.mkdir()
    try:
        write_atomically(
            staging / f"replay-{partition.name[3:]}-{token}.parquet", parquet_bytes(table)
        )
        if not partition.exists():
            os.rename(staging, partition)
        elif _exchange(staging, partition):
            shutil.rmtree(staging)  # now holds the old partition
        else:
            retired = parent / f".{partition.name}.old-{token}"
            os.rename(partition, retired)
            os.rename(staging, partition)
            shutil.rmtree(retired)
        fsync_directory(parent)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def replay_to_lake(
    objects: Sequence[ArchiveObject],
    lake: Path,
    advance: Callable[[float], None],
    pseudonym_key: bytes | None = None,
) -> list[PartitionReport]:
    """Rebuild every `messages` partition the archive objects belong to, one at a time."""
    by_dt: dict[str, list[ArchiveObject]] = defaultdict(list)
    for archive in objects:
        by_dt[archive.dt].append(archive)
    reports = []
    for dt in sorted(by_dt):
        report, table = rederive_partition(lake, dt, by_dt[dt], advance, pseudonym_key)
        if table.num_rows:
            # A dt whose archive yields no row keeps what it has: nothing to replace it with.
            swap_partition(_partition_path(lake, dt), table)
            report.written = True
        reports.append(report)
    return reports
