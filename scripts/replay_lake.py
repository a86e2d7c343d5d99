"""`tgpipe replay --lake`: re-derive a local lake's partitions from the raw archive.

After a fix to a row shaper or a new column (or table), each affected
`data/<table>/dt=...` partition of `messages`, `member_events` and `reactions` is rebuilt through the same archiver shaping
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from functions.archiver.logic import IncomingRecord, decode, shape
from functions.routing import tables_for
from functions.settings import DEFAULT_SOURCE
from functions.telegram import update_id
from glue_schema import DELIVERED_TABLES, MESSAGES, Table
from scripts.replay_archive import ArchiveObject

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass
class PartitionReport:
    """What replay did to one partition of one table."""

    dt: str
    table: str = MESSAGES.name
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


def _partition_path(lake: Path, dt: str, table: Table = MESSAGES) -> Path:
    return lake / "data" / table.prefix.rstrip("/") / f"dt={dt}"


def arrival_times(partition: Path) -> tuple[dict[int, deque[int]], int | None]:
    """`received_at` (epoch ms, ascending) of each update id in a partition, and its row count.

    Replay gives each archived copy of an update the `received_at` of a row it
    replaces, in order, so rebuilding a partition that still exists keeps every
    arrival time exactly; a copy with no row to replace gets its batch's time.
    (An update with several rows in a table, a join of several members, counts
    once per row: its copies are matched row by row.)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not partition.is_dir():
        return {}, None
    times: dict[int, list[int]] = defaultdict(list)
    rows = 0
    for path in delivered_files(partition):
        table = pq.read_table(path, columns=["update_id", "received_at"])
        rows += table.num_rows
        ids = table.column("update_id").to_pylist()
        received = table.column("received_at").cast(pa.int64()).to_pylist()
        for the_id, received_ms in zip(ids, received, strict=True):
            if the_id is not None and received_ms is not None:
                times[the_id].append(received_ms)
    return {the_id: deque(sorted(set(ms))) for the_id, ms in times.items()}, rows


def delivered_files(partition: Path) -> list[Path]:
    """The partition's files the stack delivered (imported exports are not in the archive)."""
    from local.export_import import is_export_file

    return [path for path in sorted(partition.glob("*.parquet")) if not is_export_file(path.name)]


def row_sources(partition: Path) -> dict[int, str]:
    """The `source` (webhook, poll) of each update id's rows in a partition, where written."""
    import pyarrow.parquet as pq

    sources: dict[int, str] = {}
    if not partition.is_dir():
        return sources
    for path in delivered_files(partition):
        if "source" not in pq.read_schema(path).names:
            continue  # written before the column existed
        table = pq.read_table(path, columns=["update_id", "source"])
        for the_id, source in zip(
            table.column("update_id").to_pylist(), table.column("source").to_pylist(), strict=True
        ):
            if the_id is not None and source is not None:
                sources[the_id] = source
    return sources


@dataclass
class _TableReplay:
    """One table's partition being rebuilt: what it had, its new rows, its report."""

    table: Table
    kept: dict[int, deque[int]]
    report: PartitionReport
    rows: list[bytes] = field(default_factory=list)
    #: How each replaced row had reached the lake (webhook or poll): replay keeps it.
    sources: dict[int, str] = field(default_factory=dict)

    def arrival(self, the_id: int | None, archived_ms: int | None, batch_ms: int) -> int:
        """The row's received_at: as archived, else as the replaced row had it, else the batch's.

        A secondary table (member_events for a join message) takes its replaced row's
        time first: live, its stream received the update a moment after the messages
        stream whose arrival the archive records.
        """
        copies = self.kept.get(the_id) if the_id is not None else None
        kept_ms = copies.popleft() if copies else None
        secondary = self.table is not MESSAGES and kept_ms is not None
        if archived_ms is not None and not secondary:
            self.report.received_at_archived += 1
            return archived_ms
        if kept_ms is not None:
            self.report.received_at_kept += 1
            return kept_ms
        return batch_ms


def rederive_partition(
    lake: Path,
    dt: str,
    objects: Sequence[ArchiveObject],
    advance: Callable[[float], None],
    pseudonym_key: bytes | None = None,
) -> list[tuple[PartitionReport, Any]]:
    """Each delivered table's new rows for the dt (an Arrow table) and what happened.

    Every archived update is shaped for each table it feeds (functions.routing), as
    the streams do live; an update feeding no table of messages' counts as dropped there.
    """
    from local.conversion import OpenXJsonReader

    replays = {}
    for table in DELIVERED_TABLES:
        partition = _partition_path(lake, dt, table)
        kept, before = arrival_times(partition)
        report = PartitionReport(dt, table.name, len(objects), rows_before=before)
        replays[table.name] = _TableReplay(table, kept, report, sources=row_sources(partition))
    messages = replays[MESSAGES.name].report
    for archive in objects:
        lines, arrivals = archive.contents()
        for number, line in enumerate(lines):
            record = IncomingRecord(f"{archive.key}:{number}", archive.batch_ms, line + b"\n")
            update = decode(record)
            if update is None:
                messages.updates += 1
                messages.processing_failed += 1
                continue
            archived_ms = arrivals[number] if arrivals is not None else None
            tables = tables_for(update)
            if MESSAGES.name not in tables:
                messages.updates += 1
                messages.dropped += 1
            for name in tables:
                replay = replays[name]
                replay.report.updates += 1
                the_id = update_id(update)
                at = replay.arrival(the_id, archived_ms, archive.batch_ms)
                source = replay.sources.get(the_id, DEFAULT_SOURCE) if the_id else DEFAULT_SOURCE
                result = shape(replace(record, arrival_ms=at), update, pseudonym_key, name, source)
                if result.result == "Ok":
                    replay.rows.append(result.data)
                elif result.result == "Dropped":
                    replay.report.dropped += 1
                else:
                    replay.report.processing_failed += 1
        advance(archive.size)
    built = []
    for replay in replays.values():
        conversion = OpenXJsonReader(replay.table).read(replay.rows)
        replay.report.conversion_failed = len(conversion.failures)
        replay.report.rows = conversion.table.num_rows
        built.append((replay.report, conversion.table))
    return built


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
    """Write `table` as the partition's only archive-derived file (imported exports are
    kept), then swap it in with one rename.

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
        # Imported exports (tgpipe import-export) are not in the archive: they stay.
        exports = set(partition.glob("*.parquet")) - set(delivered_files(partition))
        for export in sorted(exports):
            os.link(export, staging / export.name)
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
    """Rebuild every partition (of each delivered table) the archive objects belong to."""
    by_dt: dict[str, list[ArchiveObject]] = defaultdict(list)
    for archive in objects:
        by_dt[archive.dt].append(archive)
    reports = []
    tables = {table.name: table for table in DELIVERED_TABLES}
    for dt in sorted(by_dt):
        for report, rows in rederive_partition(lake, dt, by_dt[dt], advance, pseudonym_key):
            if rows.num_rows:
                # A dt whose archive yields no row keeps what it has: nothing to replace it with.
                swap_partition(_partition_path(lake, dt, tables[report.table]), rows)
                report.written = True
            reports.append(report)
    return reports
