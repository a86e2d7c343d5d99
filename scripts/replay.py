"""`tgpipe replay`: re-derive `messages` from the raw archive, or re-send it into Firehose.

The raw archive (`<raw>/updates/dt=YYYY-MM-DD/<batch time>-<hash>.ndjson.gz`) holds
every accepted update byte for byte, one per line, grouped by the Firehose batch
that carried it. Two uses:

- ``--lake DIR``: after a fix to the row shaper or a new column, rebuild the
  affected `data/messages/dt=...` partitions of a local lake through the same
  archiver shaping (`functions.archiver.logic.transform`) and the same local
  format conversion (`local.conversion`). Each partition is written into a
  hidden directory next to it and swapped in with one rename, so a reader sees
  the old partition or the new one, never half of one.
- ``--stream NAME``: put the archived updates into a deployed Firehose stream
  again with `PutRecordBatch` (≤ 500 records and ≤ 4 MiB per call), re-sending
  only the records a partial failure names (`FailedPutCount` is not an exception).

`received_at` is not in the archive (the lines are the untouched updates): see
`arrival_times` and docs/reliability.md for how replay sets it.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import gzip
import os
import random
import re
import shutil
import sys
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from functions import constants as c
from functions import jsoncodec
from functions.adapters import RETRYABLE_FIREHOSE_CODES
from functions.archiver.logic import IncomingRecord, archive_arrivals, transform
from functions.telegram import update_id
from scripts.cli import CliError
from scripts.common import progress_bar

#: PutRecordBatch limits (Firehose API reference): records per call, bytes per call, per record.
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
MAX_RECORD_BYTES: Final = 1_024_000
DEFAULT_MAX_ATTEMPTS: Final = 6
_BACKOFF_BASE_SECONDS: Final = 0.2
_BACKOFF_CAP_SECONDS: Final = 10.0
EXIT_FAILED: Final = 1

ARCHIVE_SUFFIX: Final = ".ndjson.gz"
#: The dt segment of an archive key, and the batch time the archiver puts first in its name.
_DT_SEGMENT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")
_BATCH_TIME = re.compile(r"^(\d{8}T\d{6}Z)-")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class ReplayError(Exception):
    """Replay could not finish (the message says what was done and what to do)."""


# -- the archive ------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveObject:
    """One raw archive object: its key, dt partition, batch time (epoch ms) and size."""

    key: str
    dt: str
    batch_ms: int
    size: int
    read: Callable[[], bytes] = field(compare=False, repr=False)

    def contents(self) -> tuple[list[bytes], list[int] | None]:
        """The archived updates in batch order, and their arrival times when the archive has them."""
        body = self.read()
        payload = gzip.decompress(body)
        arrivals = archive_arrivals(body)
        lines = payload.split(b"\n")[:-1] if payload.endswith(b"\n") else []
        if arrivals is not None and len(arrivals) == len(lines) and all(map(bytes.strip, lines)):
            return lines, arrivals
        # Written before arrival times were recorded (or not one update per line).
        return [line for line in payload.split(b"\n") if line.strip()], None

    def lines(self) -> list[bytes]:
        """The archived updates, in the order the batch carried them."""
        return self.contents()[0]


def archive_time_ms(key: str, dt: str, fallback_ms: int | None) -> int:
    """The batch time in the object's name (oldest arrival, whole seconds), else a fallback.

    The fallback is the object's modification time, else midnight of its dt.
    """
    match = _BATCH_TIME.match(key.rsplit("/", 1)[-1])
    if match:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    if fallback_ms is not None:
        return fallback_ms
    return int(datetime.fromisoformat(dt).replace(tzinfo=UTC).timestamp() * 1000)


def _in_range(dt: str, dt_from: str | None, dt_to: str | None) -> bool:
    return (dt_from is None or dt >= dt_from) and (dt_to is None or dt <= dt_to)


def _archive_dt(key: str) -> str | None:
    matches = _DT_SEGMENT.findall(key)
    return matches[-1] if matches and key.endswith(ARCHIVE_SUFFIX) else None


def local_archive(root: Path, dt_from: str | None, dt_to: str | None) -> list[ArchiveObject]:
    """The archive objects under a local directory (`<lake>/raw`, its `updates/`, or one dt)."""
    if not root.is_dir():
        raise CliError(f"{root}: no such directory (pass <lake>/raw or an s3://bucket/prefix)")
    objects = []
    for path in root.rglob(f"*{ARCHIVE_SUFFIX}"):
        if path.name.startswith("."):
            continue  # an object store's temporary file
        key = path.relative_to(root).as_posix()
        dt = _archive_dt("/" + key)
        if dt is None or not _in_range(dt, dt_from, dt_to):
            continue
        stat = path.stat()
        objects.append(
            ArchiveObject(
                key=key,
                dt=dt,
                batch_ms=archive_time_ms(key, dt, int(stat.st_mtime * 1000)),
                size=stat.st_size,
                read=path.read_bytes,
            )
        )
    return sorted(objects, key=lambda o: (o.dt, o.batch_ms, o.key))


def s3_archive(url: str, s3: Any, dt_from: str | None, dt_to: str | None) -> list[ArchiveObject]:
    """The archive objects under `s3://bucket/prefix` (listed with ListObjectsV2)."""
    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.lstrip("/")
    if not bucket:
        raise CliError(f"{url}: not an s3://bucket/prefix URL")
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            key = str(entry["Key"])
            dt = _archive_dt("/" + key)
            if dt is None or not _in_range(dt, dt_from, dt_to):
                continue
            modified = entry.get("LastModified")
            objects.append(
                ArchiveObject(
                    key=key,
                    dt=dt,
                    batch_ms=archive_time_ms(
                        key, dt, int(modified.timestamp() * 1000) if modified else None
                    ),
                    size=int(entry.get("Size", 0)),
                    read=_s3_reader(s3, bucket, key),
                )
            )
    return sorted(objects, key=lambda o: (o.dt, o.batch_ms, o.key))


def _s3_reader(s3: Any, bucket: str, key: str) -> Callable[[], bytes]:
    def read() -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    return read


# -- --lake: re-derive messages ---------------------------------------------------


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


def pseudonym_key_from_env() -> bytes | None:
    """The archiver's pseudonymisation key when PSEUDONYMIZE_USERS is on, else None.

    Read from the same variables as the archiver's, so replayed rows carry the
    same pseudonyms as the rows the stack wrote (docs/privacy.md).
    """
    from functions.settings import ArchiverSettings

    env = dict(os.environ)
    env.setdefault(c.ENV_RAW_BUCKET, "replay")  # the archiver needs it; replay does not
    config = ArchiverSettings.from_env(env)
    if not config.pseudonymize_users:
        return None
    if config.pseudonym_key is not None:
        return config.pseudonym_key.encode("utf-8")
    from aws_lambda_powertools.utilities import parameters

    assert config.pseudonym_key_arn is not None  # settings guarantee one of the two
    return str(parameters.get_secret(config.pseudonym_key_arn)).encode("utf-8")


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


# -- --stream: re-send into Firehose ---------------------------------------------


@dataclass
class StreamReport:
    """What replay put into the delivery stream."""

    records: int = 0
    calls: int = 0
    retried: int = 0
    skipped_too_large: int = 0


def record_batches(records: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Groups of at most 500 records and 4 MiB (PutRecordBatch's limits)."""
    batch: list[bytes] = []
    size = 0
    for record in records:
        if batch and (len(batch) == MAX_BATCH_RECORDS or size + len(record) > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += len(record)
    if batch:
        yield batch


def _backoff(attempt: int) -> float:
    # Full jitter (the AWS Architecture Blog's recommendation for contended retries).
    return random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311 - jitter, not crypto


def put_batch(
    firehose: Any,
    stream: str,
    records: Sequence[bytes],
    report: StreamReport,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Put one batch; re-send only the failed records of a partial failure, with backoff.

    Raises ReplayError when records still fail after `max_attempts` calls, or at
    once for an error that retrying cannot fix.
    """
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
    )

    pending = list(records)
    last_error = ""
    for attempt in range(1, max_attempts + 1):
        try:
            report.calls += 1
            response = firehose.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": data} for data in pending]
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code not in RETRYABLE_FIREHOSE_CODES:
                raise ReplayError(
                    f"Firehose refused PutRecordBatch: {code or type(error).__name__} "
                    f"({report.records} records were sent before)"
                ) from None
            last_error = code
        except (ConnectionError, ConnectTimeoutError, ReadTimeoutError) as error:
            # The network, not the request: the next attempt may get through.
            last_error = type(error).__name__
        else:
            entries = response.get("RequestResponses") or []
            if len(entries) != len(pending):
                raise ReplayError(
                    "Firehose answered PutRecordBatch with the wrong number of entries"
                )
            failed = [
                data for data, entry in zip(pending, entries, strict=True) if entry.get("ErrorCode")
            ]
            report.records += len(pending) - len(failed)
            if not failed:
                return
            last_error = ", ".join(
                sorted({str(e["ErrorCode"]) for e in entries if e.get("ErrorCode")})
            )
            pending = failed
        if attempt < max_attempts:
            report.retried += len(pending)
            sleep(_backoff(attempt))
    raise ReplayError(
        f"{len(pending)} records still failed after {max_attempts} attempts ({last_error}); "
        f"{report.records} were sent. Re-run the replay later: records sent twice are "
        "deduplicated by messages_unique"
    )


def replay_to_stream(
    objects: Sequence[ArchiveObject],
    firehose: Any,
    stream: str,
    advance: Callable[[float], None],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> StreamReport:
    """Put every archived update into the stream, as the webhook did (bytes + newline)."""
    report = StreamReport()

    def records() -> Iterator[bytes]:
        for archive in objects:
            for line in archive.lines():
                record = line + b"\n"
                if len(record) > MAX_RECORD_BYTES:
                    report.skipped_too_large += 1
                    continue
                yield record
            advance(archive.size)

    for batch in record_batches(records()):
        put_batch(firehose, stream, batch, report, max_attempts=max_attempts, sleep=sleep)
    return report


# -- the command --------------------------------------------------------------------


def _dt(text: str) -> str:
    """argparse type: a YYYY-MM-DD date (the form of the dt partitions)."""
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD")
    return text


def _boto3_client(service: str, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # Our own loop retries (only the failed records); one attempt per call here.
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def _archive(args: argparse.Namespace) -> list[ArchiveObject]:
    from botocore.exceptions import BotoCoreError, ClientError

    source = str(args.raw)
    if source.startswith("s3://"):
        try:
            return s3_archive(source, _boto3_client("s3", args.region), args.dt_from, args.dt_to)
        except (ClientError, BotoCoreError) as error:
            raise CliError(f"cannot list {source}: {_aws_reason(error)}") from None
    return local_archive(Path(source), args.dt_from, args.dt_to)


def _aws_reason(error: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return str(error) or type(error).__name__


def _print_partitions(reports: Sequence[PartitionReport], lake: Path) -> None:
    for r in reports:
        before = "new" if r.rows_before is None else f"was {r.rows_before}"
        state = "rewritten" if r.written else "no rows, left as it was"
        print(
            f"dt={r.dt}: {r.rows} rows ({before}) from {r.updates} archived updates in "
            f"{r.archive_objects} objects; {state}"
        )
        problems = r.processing_failed + r.conversion_failed
        if r.dropped or problems:
            print(
                f"  {r.dropped} non-message updates skipped, {r.processing_failed} undecodable, "
                f"{r.conversion_failed} rows not fitting the schema"
            )
        if r.updates and r.received_at_kept + r.received_at_archived < r.updates:
            print(
                f"  received_at: {r.received_at_kept} kept from the replaced rows, the rest "
                "set to their archive batch's time (see docs/reliability.md)"
            )
    print(f"lake {lake}: {sum(r.written for r in reports)} partitions of messages rewritten")


def run(args: argparse.Namespace) -> int:
    """Replay the raw archive into a lake or a delivery stream; print what was done."""
    if args.dt_from and args.dt_to and args.dt_from > args.dt_to:
        raise CliError(f"--dt-from {args.dt_from} is after --dt-to {args.dt_to}")
    objects = _archive(args)
    if not objects:
        window = f" between {args.dt_from or 'the start'} and {args.dt_to or 'the end'}"
        raise CliError(
            f"no raw archive objects (*{ARCHIVE_SUFFIX} under dt=...) in {args.raw}{window}"
        )
    total = sum(o.size for o in objects)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        with progress_bar(total, "replaying") as advance:
            if args.lake is not None:
                reports = replay_to_lake(objects, args.lake, advance, pseudonym_key_from_env())
            else:
                firehose = _boto3_client("firehose", args.region)
                report = replay_to_stream(
                    objects, firehose, args.stream, advance, max_attempts=args.max_attempts
                )
    except ReplayError as error:
        raise CliError(str(error), exit_code=EXIT_FAILED) from None
    except (ClientError, BotoCoreError) as error:
        raise CliError(f"replay stopped: {_aws_reason(error)}", EXIT_FAILED) from None
    except OSError as error:
        raise CliError(f"replay failed: {error.strerror or error}", EXIT_FAILED) from None
    if args.lake is not None:
        _print_partitions(reports, args.lake)
        return 0
    print(
        f"sent {report.records} archived updates to {args.stream} in {report.calls} "
        f"PutRecordBatch calls ({report.retried} records re-sent after partial failures)"
    )
    if report.skipped_too_large:
        print(
            f"tgpipe replay: {report.skipped_too_large} records over {MAX_RECORD_BYTES} bytes "
            "skipped (Firehose cannot take them)",
            file=sys.stderr,
        )
    return 0


def _attempts(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def register(subparsers: Any) -> None:
    """Add `replay`."""
    parser = subparsers.add_parser(
        "replay",
        help="re-derive messages from the raw archive, or re-send it into Firehose",
        description="Rebuild the messages partitions of a local lake from the raw archive "
        "(after a shaper fix or a new column), or put the archived updates into a deployed "
        "Firehose stream again. See docs/reliability.md.",
    )
    parser.add_argument(
        "--raw",
        required=True,
        metavar="SRC",
        help="the raw archive: a local directory (<lake>/raw or its updates/) or s3://bucket/prefix",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--lake", type=Path, metavar="DIR", help="rebuild this local lake's messages"
    )
    target.add_argument("--stream", metavar="NAME", help="re-send into this Firehose stream")
    parser.add_argument("--region", help="AWS region for s3:// and --stream (default: boto3's)")
    parser.add_argument("--dt-from", type=_dt, metavar="YYYY-MM-DD", help="first dt to replay")
    parser.add_argument("--dt-to", type=_dt, metavar="YYYY-MM-DD", help="last dt to replay")
    parser.add_argument(
        "--max-attempts",
        type=_attempts,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"PutRecordBatch attempts per batch before giving up (default {DEFAULT_MAX_ATTEMPTS})",
    )
    parser.set_defaults(func=run)
