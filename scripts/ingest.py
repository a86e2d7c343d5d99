"""`tgpipe ingest FILE... --lake DIR`: updates from files through the same handlers."""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from functions import constants as c
from functions import jsoncodec
from local.faults import FaultConfig
from local.stack import LocalStack, StackConfig
from scripts.cli import CliError
from scripts.common import (
    add_chat_ids_argument,
    add_fault_arguments,
    add_lake_argument,
    chat_ids,
    fault_config,
    progress_bar,
    tgpipe_command,
    writable_lake,
)

#: Concurrent handler calls: the delivery stream fsyncs once per group of them
#: (measured on 2 cores: 8 threads 4.7k updates/s, 32 threads 5.7k, 64 no better).
WORKERS = 32
CHUNK = 2048
#: Bytes every migration message holds (migrate_to_chat_id / migrate_from_chat_id).
_MIGRATION_KEY = b'"migrate_'


@dataclass(frozen=True)
class SourceUpdate:
    """One update to push, and where it came from (for error lines)."""

    body: bytes
    file: Path
    line: int


@dataclass
class IngestReport:
    """Counts by outcome, plus the lines that were refused."""

    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    failed: int = 0
    bad_lines: list[str] = field(default_factory=list)


#: What a directory given to ingest contributes: update files, plain or gzip.
SOURCE_PATTERNS = ("*.json", "*.ndjson", "*.jsonl", "*.json.gz", "*.ndjson.gz", "*.jsonl.gz")
_GZIP_MAGIC = b"\x1f\x8b"


def expand_sources(paths: list[Path]) -> list[Path]:
    """The files to read: each file as given, each directory's update files (recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted({f for pattern in SOURCE_PATTERNS for f in path.rglob(pattern)})
            if not found:
                raise CliError(f"{path} holds no update files ({', '.join(SOURCE_PATTERNS)})")
            files.extend(f for f in found if f.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise CliError(f"no such file or directory: {path}")
    return files


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise CliError(f"{path}: not a readable gzip file ({error})") from None
    return data


def read_updates(path: Path) -> Iterator[SourceUpdate]:
    """Updates from one file: one update JSON (pretty or not), NDJSON (the raw archive's
    gzip NDJSON too), a JSON array of updates, or a pasted getUpdates response."""
    data = _file_bytes(path)
    try:
        whole = jsoncodec.loads(data)
    except jsoncodec.InvalidJson:
        whole = None
    if isinstance(whole, dict) and "update_id" not in whole and "ok" in whole:
        if whole.get("ok") is not True or not isinstance(whole.get("result"), list):
            description = whole.get("description") or "no result list"
            raise CliError(f"{path}: a Bot API answer without updates ({description})")
        whole = whole["result"]
    if isinstance(whole, dict):
        yield SourceUpdate(data.strip(), path, 1)
        return
    if isinstance(whole, list):
        # A JSON array (or getUpdates' result): each element, re-encoded compactly.
        for number, element in enumerate(whole, start=1):
            yield SourceUpdate(jsoncodec.dumps(element), path, number)
        return
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield SourceUpdate(line.rstrip(b"\r"), path, number)


def _chunks(updates: Iterator[SourceUpdate], size: int) -> Iterator[list[SourceUpdate]]:
    while chunk := list(islice(updates, size)):
        yield chunk


def _handle_chunk(
    stack: LocalStack, chunk: list[SourceUpdate], pool: ThreadPoolExecutor
) -> list[int]:
    """Statuses for a chunk, in order: each worker runs an interleaved slice of it.

    One task per worker rather than per update: a future per update cost more than
    the handler itself, while a handful of threads is all the group commit needs
    to share one fsync among several updates.
    """
    statuses = [0] * len(chunk)
    # A migration extends the allow-list: handle it before the chunk's other updates,
    # or the new supergroup's messages racing it in other threads would be ignored.
    migrations = {i for i, update in enumerate(chunk) if _MIGRATION_KEY in update.body}
    for index in sorted(migrations):
        statuses[index] = stack.handle(chunk[index].body)

    def run_slice(start: int) -> None:
        for index in range(start, len(chunk), WORKERS):
            if index not in migrations:
                statuses[index] = stack.handle(chunk[index].body)

    for task in [pool.submit(run_slice, start) for start in range(min(WORKERS, len(chunk)))]:
        task.result()
    return statuses


def ingest(stack: LocalStack, files: list[Path], progress: Any = None) -> IngestReport:
    """Push every update of every file through the webhook handler; then flush."""
    report = IngestReport()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for path in files:
            for chunk in _chunks(read_updates(path), CHUNK):
                for update, status in zip(chunk, _handle_chunk(stack, chunk, pool), strict=True):
                    if status == 200:
                        # The webhook answers 200 for both; which it was shows in the stream.
                        report.accepted += 1
                    else:
                        if status in (400, 413):
                            report.rejected += 1
                        else:
                            report.failed += 1
                        report.bad_lines.append(f"{update.file}:{update.line}: HTTP {status}")
                if progress is not None:
                    progress(sum(len(u.body) + 1 for u in chunk))
    return report


def stack_config(
    lake: Path, allowed: frozenset[int], faults: FaultConfig | None = None
) -> StackConfig:
    """The local stack as `tgpipe ingest` runs it: delivery in a worker process."""
    return StackConfig(lake, allowed, faults=faults or FaultConfig(), delivery_process=True)


def ignored_chats_lines(lake: Path, allowed: frozenset[int], since: str) -> list[str]:
    """Name the groups whose updates were ignored in this run, and how to keep one."""
    from local.allowlist_store import DirectoryStore

    seen = [chat for chat in DirectoryStore(lake).seen().values() if chat.last_seen >= since]
    if not seen:
        return ["ignored updates came from private chats or updates without a chat"]
    lines = ["ignored: updates from groups not kept:"]
    for chat in sorted(seen, key=lambda c: c.chat_id)[:10]:
        # Ids and types only: titles are names (`tgpipe chats list` shows them on request).
        lines.append(f"  {chat.chat_id} ({chat.chat_type or 'unknown type'})")
        for chat_id in allowed:
            if chat_id > 0 and chat.chat_id == int(f"-100{chat_id}"):
                lines.append(
                    f"  --chat-ids {chat_id} looks like this group without its -100 prefix: "
                    f"use {chat.chat_id}"
                )
    lines.append(
        f"titles: {tgpipe_command()} chats list --lake {lake}; "
        f"keep one with: {tgpipe_command()} chats allow ID --lake {lake}"
    )
    return lines


def run(args: argparse.Namespace) -> int:
    """Ingest the files, flush, print counts; 1 if any update was refused."""
    writable_lake(args.lake)
    allowed = chat_ids(args)
    files = expand_sources(args.files)
    started = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with LocalStack(stack_config(args.lake, allowed, fault_config(args))) as stack:
        with progress_bar(sum(f.stat().st_size for f in files)) as advance:
            report = ingest(stack, files, advance)
        stack.flush()
        stats, rows_line = stack.stats_all(), stack.rows_line()
        forwarded = stack.metrics.count(c.METRIC_ACCEPTED)
        ignored = stack.metrics.count(c.METRIC_IGNORED)
    for line in report.bad_lines[:20]:
        print(f"tgpipe ingest: {line}: not a Telegram update", file=sys.stderr)
    if len(report.bad_lines) > 20:
        print(f"tgpipe ingest: ... and {len(report.bad_lines) - 20} more", file=sys.stderr)
    print(
        f"accepted {forwarded}, ignored {ignored}, "
        f"rejected {report.rejected}, failed {report.failed}"
    )
    if ignored:
        for line in ignored_chats_lines(args.lake, allowed, started):
            print(line)
    print(
        f"lake {args.lake}: {rows_line}, {stats.raw_objects} raw objects, "
        f"{stats.processing_failed + stats.conversion_failed} error records"
    )
    return 1 if report.rejected or report.failed else 0


def register(subparsers: Any) -> None:
    """Add `ingest`."""
    parser = subparsers.add_parser(
        "ingest",
        help="push update files (JSON, NDJSON, gzip, arrays, getUpdates answers, directories) "
        "through the handlers into a lake",
        description="Push updates through the webhook handler and the local delivery stream "
        "into the lake, exactly as HTTP requests would go, then flush.",
    )
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE_OR_DIR",
        help="update files: one update JSON, NDJSON (gzip too, e.g. the raw archive), a JSON "
        "array, a pasted getUpdates response; a directory takes every such file in it",
    )
    add_lake_argument(parser)
    add_chat_ids_argument(parser)
    add_fault_arguments(parser)
    parser.set_defaults(func=run)
