"""`tgpipe replay --stream`: put the archived updates into a deployed Firehose stream again.

As the webhook did (each update's bytes and a newline), with `PutRecordBatch`
(≤ 500 records and ≤ 4 MiB per call), re-sending only the records a partial
failure names (`FailedPutCount` is not an exception), with jittered backoff.
Records sent twice are harmless: the views deduplicate by update_id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from functions import jsoncodec
from functions.adapters import RETRYABLE_FIREHOSE_CODES, full_jitter
from functions.routing import tables_for
from scripts.replay_archive import ArchiveObject

#: PutRecordBatch limits (Firehose API reference): records per call, bytes per call, per record.
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
MAX_RECORD_BYTES: Final = 1_024_000
DEFAULT_MAX_ATTEMPTS: Final = 6
_BACKOFF_BASE_SECONDS: Final = 0.2
_BACKOFF_CAP_SECONDS: Final = 10.0


class ReplayError(Exception):
    """Replay could not finish (the message says what was done and what to do)."""


@dataclass
class StreamReport:
    """What replay put into the delivery stream."""

    records: int = 0
    calls: int = 0
    retried: int = 0
    skipped_too_large: int = 0
    skipped_other_tables: int = 0


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
    return full_jitter(attempt, _BACKOFF_BASE_SECONDS, _BACKOFF_CAP_SECONDS)


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


def _feeds(line: bytes, table: str) -> bool:
    try:
        update = jsoncodec.loads(line)
    except jsoncodec.InvalidJson:
        return False
    return isinstance(update, dict) and table in tables_for(update)


def replay_to_stream(
    objects: Sequence[ArchiveObject],
    firehose: Any,
    stream: str,
    advance: Callable[[float], None],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    table: str | None = None,
) -> StreamReport:
    """Put every archived update into the stream, as the webhook did (bytes + newline).

    With `table`, only the updates that feed it (functions.routing.tables_for), as the
    webhook routes them: to fill member_events or reactions from an older archive, send
    into that table's stream with its name.
    """
    report = StreamReport()

    def records() -> Iterator[bytes]:
        for archive in objects:
            for line in archive.lines():
                if table is not None and not _feeds(line, table):
                    report.skipped_other_tables += 1
                    continue
                record = line + b"\n"
                if len(record) > MAX_RECORD_BYTES:
                    report.skipped_too_large += 1
                    continue
                yield record
            advance(archive.size)

    for batch in record_batches(records()):
        put_batch(firehose, stream, batch, report, max_attempts=max_attempts, sleep=sleep)
    return report
