"""Import one chat of a Telegram Desktop export into the lake: all of it, or nothing.

The export is read once, as a stream (local/export_reader.py); each message's rows
(local/export_messages.py) are buffered per table and dt (the UTC date the message
was sent, so date filters prune as for live rows) and written, a bounded batch at
a time, as Parquet parts into a staging directory (local/export_staging.py). Only
after the whole file was read does anything reach the lake: each (table, dt) becomes one file with a fixed
name, `export-chat<id>.parquet`, so importing again replaces it; the export file
itself goes to the raw archive (`exports/<chat id>/<sha256>.json`).

- A local lake (`LakeTarget`): staging lives inside the lake (same filesystem);
  the files are renamed into place with the signals that stop a process held
  back, and put back as they were if a rename fails: a reader sees the lake as it
  was or with the whole import.
- A deployed stack (`S3Target`): the same files are uploaded to the data and raw
  buckets under the same keys (S3 replaces an object whole); the raw copy first.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS, Table
from local.export_format import ExportChat
from local.export_messages import SENT_AT, MessageShaper
from local.export_reader import MessageStream
from local.export_staging import TABLES, StagedRows, utc_date

#: Rows held in memory before they are written to staging (memory stays flat).
FLUSH_ROWS: Final = 20_000
_MS_PER_DAY: Final = 86_400_000
#: Where the raw archive keeps imported exports (raw bucket / `<lake>/raw/`).
EXPORTS_PREFIX: Final = "exports/"
#: An export file's name in a partition: one per chat and dt (a re-import replaces it).
EXPORT_FILE_PREFIX: Final = "export-chat"


def export_file_name(chat_id: int) -> str:
    """The name of a chat's export rows in a partition: `export-chat-100123….parquet`."""
    return f"{EXPORT_FILE_PREFIX}{chat_id}.parquet"


def is_export_file(name: str) -> bool:
    """Whether a partition file holds imported export rows (replay keeps those as they are)."""
    return name.startswith(EXPORT_FILE_PREFIX) and name.endswith(".parquet")


def partition_key(table: Table, dt: str, chat_id: int) -> str:
    """The object key of a chat's export file: `<table>/dt=<dt>/export-chat<id>.parquet`."""
    return f"{table.prefix}dt={dt}/{export_file_name(chat_id)}"


def raw_export_key(chat_id: int, sha256: str) -> str:
    """Where the export file itself is kept: `exports/<chat id>/<sha256>.json`."""
    return f"{EXPORTS_PREFIX}{chat_id}/{sha256}.json"


@dataclass
class ImportReport:
    """What one import read and wrote."""

    chat: ExportChat
    messages: int = 0
    skipped: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    first_dt: str | None = None
    last_dt: str | None = None
    sha256: str = ""
    bytes_read: int = 0
    seconds: float = 0.0
    raw_key: str = ""


class Target(Protocol):
    """Where an import lands: a local lake or a deployed stack's buckets."""

    def staging_dir(self) -> Path:
        """A fresh directory to stage the import in."""
        ...

    def commit(
        self, files: dict[str, Path], raw_key: str, export_path: Path, staging: Path
    ) -> None:
        """Put every staged file and the export under its key, as one step where possible."""
        ...


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM while the lake changes; re-raise them afterwards."""
    received: list[int] = []

    def hold(signum: int, _frame: Any) -> None:
        received.append(signum)

    try:
        previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: nothing to hold
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            raise KeyboardInterrupt


class LakeTarget:
    """A local lake: `data/<table>/dt=…/` and `raw/exports/…` (docs/architecture.md)."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake

    def staging_dir(self) -> Path:
        """`<lake>/.import-<token>/`: same filesystem as the lake, so renames are atomic."""
        staging = self.lake / f".import-{uuid.uuid4().hex[:12]}"
        staging.mkdir(parents=True)
        return staging

    def commit(
        self, files: dict[str, Path], raw_key: str, export_path: Path, staging: Path
    ) -> None:
        """Rename every file into place; on any failure put back what was replaced."""
        from local.object_store import fsync_directory

        raw_target = self.lake / "raw" / raw_key
        moves = [(path, self.lake / "data" / key) for key, path in files.items()]
        if not raw_target.exists():
            copy = staging / "export.json"
            shutil.copyfile(export_path, copy)
            moves.insert(0, (copy, raw_target))
        done: list[tuple[Path, Path | None]] = []
        with _signals_held():
            try:
                for source, target in moves:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    backup = None
                    if target.exists():
                        backup = target.with_name(f".{target.name}.before-{uuid.uuid4().hex[:8]}")
                        os.link(target, backup)
                    os.replace(source, target)
                    done.append((target, backup))
            except BaseException:
                for target, backup in reversed(done):
                    if backup is not None:
                        os.replace(backup, target)
                    else:
                        target.unlink(missing_ok=True)
                raise
            for _, backup in done:
                if backup is not None:
                    backup.unlink(missing_ok=True)
            for directory in {target.parent for target, _ in done}:
                fsync_directory(directory)


class S3Target:
    """A deployed stack: the data bucket's `<table>/dt=…/` and the raw bucket's `exports/`."""

    def __init__(self, s3: Any, data_bucket: str, raw_bucket: str) -> None:
        self.s3 = s3
        self.data_bucket = data_bucket
        self.raw_bucket = raw_bucket

    def staging_dir(self) -> Path:
        """A temporary directory on this machine."""
        return Path(tempfile.mkdtemp(prefix="tgpipe-import-"))

    def commit(
        self, files: dict[str, Path], raw_key: str, export_path: Path, staging: Path
    ) -> None:
        """Upload the export to the raw bucket, then each Parquet file (S3 replaces whole)."""
        with _signals_held():
            self.s3.upload_file(str(export_path), self.raw_bucket, raw_key)
            for key, path in sorted(files.items()):
                self.s3.upload_file(str(path), self.data_bucket, key)


def import_chat(
    stream: MessageStream,
    target: Target,
    *,
    zone: ZoneInfo | None = None,
    pseudonym_key: bytes | None = None,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    flush_rows: int | None = None,
) -> ImportReport:
    """Read the chosen chat's messages and land them in `target`, or leave it untouched.

    `flush_rows`: rows held in memory before they are staged (default FLUSH_ROWS).
    """
    started = time.perf_counter()
    chat = stream.chat
    report = ImportReport(chat)
    shaper = MessageShaper(chat, zone, now_ms())
    staging = target.staging_dir()
    try:
        with _without_cycle_collection():
            staged = StagedRows(staging, flush_rows or FLUSH_ROWS, pseudonym_key)
            _stage_messages(stream, shaper, staged, report)
        files = staged.finish(lambda table, dt: partition_key(table, dt, chat.chat_id))
        for key in files:
            report.files[key.split("/", 1)[0]] += 1
        report.sha256 = stream.sha256 or ""
        report.bytes_read = stream.bytes_read
        report.raw_key = raw_export_key(chat.chat_id, report.sha256)
        target.commit(files, report.raw_key, stream.path, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while rows are built: they hold no cycles, and the
    collector's passes over hundreds of thousands of young objects cost more than the work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stage_messages(
    stream: MessageStream, shaper: MessageShaper, staged: StagedRows, report: ImportReport
) -> None:
    """Shape every message of the stream and stage its rows; count them in `report`.

    Entries without a messages row (no id or no date) are skipped; so are messages
    dated outside years 1970-9999, though counted as messages.
    """
    shape, add = shaper.shape, staged.add_message
    rowless = undated = dated = members_count = reactions_count = 0
    day = -2 * _MS_PER_DAY  # where the day of `dt` starts, in epoch ms: none yet
    dt = ""
    for message in stream:
        row, members, reactions = shape(message)
        if row is None:
            rowless += 1
            continue
        sent_ms = row[SENT_AT]
        if sent_ms is None:
            undated += 1
            continue
        if not day <= sent_ms < day + _MS_PER_DAY:  # another day than the last message's
            dt = utc_date(sent_ms)
            day = sent_ms - sent_ms % _MS_PER_DAY
            report.first_dt = dt if report.first_dt is None else min(report.first_dt, dt)
            report.last_dt = dt if report.last_dt is None else max(report.last_dt, dt)
        add(dt, row, members, reactions)
        dated += 1
        members_count += len(members)
        reactions_count += len(reactions)
    report.messages += dated + undated
    report.skipped += rowless + undated
    report.rows[MESSAGES.name] += dated
    report.rows[MEMBER_EVENTS.name] += members_count
    report.rows[REACTIONS.name] += reactions_count
