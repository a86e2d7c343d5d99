"""The local delivery stream: the Firehose stand-in of the embedded stack.

Takes `put_record`/`put_record_batch` with Firehose's shapes, limits and error
codes; acknowledges a record only once it is fsynced in an on-disk spool
(local.spool: group commit, one fsync per batch of concurrent puts); buffers by
size and age; flushes by the buffering hints, on demand and on close. A flush
delivers in buffer-sized groups, here or in a worker process
(local.delivery_worker): the processor (by default the archiver, local.lake)
called with a transformation event (local.firehose_transform), then the `Ok`
rows converted with the stream's Glue table and written as Parquet, with
Firehose's error records (local.delivery_output). A spool segment is deleted
only after everything its records produced is durably written, so a crash
re-delivers (duplicates) but never loses an acknowledged record.
docs/local-stack.md cites the AWS page behind each behaviour.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from functions.logs import MetricsSink
from functions.settings import ArchiverSettings
from glue_schema import MESSAGES, Table

# An `x as x` import is a re-export: the lake's buckets and archiver, the spool, the error
# output types and the transformation's error codes are part of the stream's interface.
from local.delivery_output import ERROR_FORMAT_CONVERSION_FAILED as ERROR_FORMAT_CONVERSION_FAILED
from local.delivery_output import ERROR_PROCESSING_FAILED as ERROR_PROCESSING_FAILED
from local.delivery_output import DeliveryOutput
from local.delivery_worker import DeliveryWorker
from local.firehose_transform import DEFAULT_PROCESSOR_RETRIES, FirehoseTransform
from local.firehose_transform import DUPLICATED_RECORD_ID as DUPLICATED_RECORD_ID
from local.firehose_transform import FUNCTION_ERROR as FUNCTION_ERROR
from local.firehose_transform import JSON_PROCESSING as JSON_PROCESSING
from local.firehose_transform import MAX_INVOCATION_PAYLOAD_BYTES as MAX_INVOCATION_PAYLOAD_BYTES
from local.firehose_transform import MISSING_RECORD_ID as MISSING_RECORD_ID
from local.firehose_transform import PROCESSING_FAILED_STATUS as PROCESSING_FAILED_STATUS
from local.lake import DATA_BUCKET as DATA_BUCKET
from local.lake import RAW_BUCKET as RAW_BUCKET
from local.lake import lake_object_store as lake_object_store
from local.lake import local_archiver as local_archiver
from local.lambda_runtime import LOCAL_ACCOUNT, LOCAL_REGION, Handler, LocalMetrics
from local.object_store import LocalObjectStore

# One shape for every local AWS error: Firehose's errors are built like S3's.
from local.object_store import client_error as firehose_error
from local.spool import SPOOL_DIR as SPOOL_DIR
from local.spool import Spool as Spool
from local.spool import SpooledRecord as SpooledRecord
from local.spool import SpoolError as SpoolError
from local.spool import SpoolInUse as SpoolInUse
from local.spool import decode_frames as decode_frames
from local.spool import encode_frame as encode_frame
from local.spool import spooled_record_count as spooled_record_count

logger = logging.getLogger(__name__)

DEFAULT_STREAM_NAME: Final = "telegram-updates"
DEFAULT_PROCESSOR_NAME: Final = "archiver"

# PutRecord / PutRecordBatch limits (Firehose API reference and quotas).
MAX_RECORD_BYTES: Final = 1_024_000
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024

_RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class DeliveryStats:
    """Counters for the CLI report (a snapshot)."""

    records_put: int = 0
    records_recovered: int = 0
    flushes: int = 0
    invocations: int = 0
    rows_written: int = 0
    records_dropped: int = 0
    processing_failed: int = 0
    conversion_failed: int = 0
    parquet_objects: int = 0
    error_objects: int = 0
    raw_objects: int = 0


@dataclass(frozen=True)
class FlushReport:
    """What one flush delivered, and the keys it wrote to the data bucket."""

    records: int = 0
    rows_written: int = 0
    records_dropped: int = 0
    processing_failed: int = 0
    conversion_failed: int = 0
    keys: tuple[str, ...] = ()


def stream_not_found(name: str, operation: str) -> Exception:
    """Firehose's answer to a put naming a stream that does not exist."""
    return firehose_error(
        "ResourceNotFoundException",
        f"Firehose {name} under account {LOCAL_ACCOUNT} not found.",
        operation,
    )


class LocalDeliveryStream:
    """A Firehose Direct PUT stream with a Lambda processor and Parquet conversion, on disk."""

    def __init__(
        self,
        lake: Path,
        name: str = DEFAULT_STREAM_NAME,
        processor: Handler | None = None,
        *,
        buffer_size_mb: float = 1.0,
        buffer_interval_s: float = 5.0,
        processor_retries: int = DEFAULT_PROCESSOR_RETRIES,
        processor_name: str = DEFAULT_PROCESSOR_NAME,
        table: Table = MESSAGES,
        store: LocalObjectStore | None = None,
        clock: Callable[[], float] = time.time,
        delivery_process: bool = False,
        spooled: bool = True,
        archiver_settings: ArchiverSettings | None = None,
        metrics: MetricsSink | None = None,
        log_level: str = "WARNING",
    ) -> None:
        if buffer_size_mb <= 0 or buffer_interval_s < 0 or processor_retries < 0:
            raise ValueError("buffer size must be positive; interval and retries not negative")
        if delivery_process and (processor is not None or store is not None):
            raise ValueError("a delivery process runs the default archiver on the lake's own store")
        self.lake = Path(lake)
        self.name = name
        self.table = table
        self.store = store if store is not None else lake_object_store(self.lake)
        self.archiver_settings = archiver_settings
        self.metrics = metrics if metrics is not None else LocalMetrics()
        self.log_level = log_level
        self.processor = processor if processor is not None else self.archiver_over(self.store)
        self.processor_name = processor_name
        self.processor_retries = processor_retries
        self.buffer_bytes_limit = int(buffer_size_mb * 1024 * 1024)
        self.buffer_interval_s = buffer_interval_s
        self.arn = f"arn:aws:firehose:{LOCAL_REGION}:{LOCAL_ACCOUNT}:deliverystream/{name}"
        self._clock = clock
        self._output = DeliveryOutput(name, table)
        self._state = threading.Lock()
        self._flush_lock = threading.Lock()
        self._buffer: list[SpooledRecord] = []
        self._buffered_bytes = 0
        self._oldest_ms: int | None = None
        self._stats: dict[str, int] = {f.name: 0 for f in fields(DeliveryStats)}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._closed = False
        self._worker: DeliveryWorker | None = None
        if delivery_process:
            self._worker = DeliveryWorker(
                self.lake,
                name,
                buffer_size_mb=buffer_size_mb,
                buffer_interval_s=buffer_interval_s,
                processor_retries=processor_retries,
                processor_name=processor_name,
                table=table,
                archiver_settings=archiver_settings,
                log_level=log_level,
            )
        self._child_raw_objects = 0
        if not spooled:  # the delivery process's half: it only delivers what it is given
            return
        self._spool = Spool(self.lake / SPOOL_DIR / name, on_durable=self._buffer_records)
        recovered = self._spool.recover()
        self._buffer_records(recovered)
        self._count("records_recovered", len(recovered))

    def archiver_over(self, store: Any) -> Handler:
        """This stream's archiver (its settings, metrics, log level) writing through `store`."""
        return local_archiver(
            store, self.archiver_settings, metrics=self.metrics, log_level=self.log_level
        )

    # -- Firehose API -------------------------------------------------------------

    def put_record(
        self, *, DeliveryStreamName: str, Record: Any, **_ignored: Any
    ) -> dict[str, Any]:
        """Firehose PutRecord: {"RecordId", "Encrypted"} once the record is durable."""
        self._check_stream(DeliveryStreamName, "PutRecord")
        data = self._record_data(Record, "PutRecord", "record")
        spooled = self._spooled([data])
        try:
            self._spool.append(spooled)
        except SpoolError as error:
            raise firehose_error(
                "ServiceUnavailableException", str(error), "PutRecord", status=503
            ) from error
        self._after_put(len(spooled))
        return {"RecordId": spooled[0].record_id, "Encrypted": False}

    def put_record_batch(
        self,
        *,
        DeliveryStreamName: str,
        Records: Any,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """Firehose PutRecordBatch: per-record RecordId or ErrorCode, and FailedPutCount."""
        operation = "PutRecordBatch"
        self._check_stream(DeliveryStreamName, operation)
        if not isinstance(Records, list | tuple) or not 1 <= len(Records) <= MAX_BATCH_RECORDS:
            raise firehose_error(
                "InvalidArgumentException",
                "1 validation error detected: Value at 'records' failed to satisfy constraint: "
                f"Member must have length between 1 and {MAX_BATCH_RECORDS}",
                operation,
            )
        datas = [
            self._record_data(record, operation, f"records.{i + 1}.member")
            for i, record in enumerate(Records)
        ]
        if sum(len(data) for data in datas) > MAX_BATCH_BYTES:
            raise firehose_error(
                "InvalidArgumentException",
                f"The records in one PutRecordBatch call exceed {MAX_BATCH_BYTES} bytes (4 MiB)",
                operation,
            )
        spooled = self._spooled(datas)
        try:
            self._spool.append(spooled)
        except SpoolError as error:
            logger.warning("spool write failed: %s", type(error.__cause__).__name__)
            failed = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": str(error)}
            return {
                "FailedPutCount": len(spooled),
                "Encrypted": False,
                "RequestResponses": [dict(failed) for _ in spooled],
            }
        self._after_put(len(spooled))
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": record.record_id} for record in spooled],
        }

    def _check_stream(self, name: str, operation: str) -> None:
        if name != self.name:
            raise stream_not_found(name, operation)

    @staticmethod
    def _record_data(record: Any, operation: str, member: str) -> bytes:
        data = record.get("Data") if isinstance(record, dict) else None
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise firehose_error(
                "InvalidArgumentException", f"{member}.data must be a blob (bytes)", operation
            )
        if len(data) > MAX_RECORD_BYTES:
            raise firehose_error(
                "InvalidArgumentException",
                f"1 validation error detected: Value at '{member}.data' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_RECORD_BYTES}",
                operation,
            )
        return bytes(data)

    def _spooled(self, datas: Iterable[bytes]) -> list[SpooledRecord]:
        arrival_ms = int(self._clock() * 1000)
        return [SpooledRecord(uuid.uuid4().hex, arrival_ms, data) for data in datas]

    def _after_put(self, count: int) -> None:
        self._count("records_put", count)
        if self._buffer_full():
            if self._timer is not None:
                self._wake.set()
            else:
                # Without the background thread the putter delivers, or nothing would.
                # The record is already durable: a failed delivery is retried by the
                # next flush, so the put itself still succeeds.
                try:
                    self.flush()
                except Exception as error:  # noqa: BLE001 - records stay spooled and buffered
                    logger.warning("flush failed, will retry: %s", type(error).__name__)

    # -- buffer -------------------------------------------------------------------

    def _buffer_records(self, records: Sequence[SpooledRecord]) -> None:
        if not records:
            return
        with self._state:
            was_empty = not self._buffer
            self._buffer.extend(records)
            self._buffered_bytes += sum(len(record.data) for record in records)
            oldest = min(record.arrival_ms for record in records)
            if self._oldest_ms is None or oldest < self._oldest_ms:
                self._oldest_ms = oldest
        if was_empty:
            self._wake.set()

    def _take_buffer(self) -> list[SpooledRecord]:
        with self._state:
            taken, self._buffer = self._buffer, []
            self._buffered_bytes = 0
            self._oldest_ms = None
            return taken

    def _return_to_buffer(self, records: Sequence[SpooledRecord]) -> None:
        with self._state:
            self._buffer[:0] = records
            self._buffered_bytes += sum(len(record.data) for record in records)
            self._oldest_ms = min(record.arrival_ms for record in self._buffer)

    def _buffer_full(self) -> bool:
        with self._state:
            return self._buffered_bytes >= self.buffer_bytes_limit

    def _seconds_until_due(self) -> float | None:
        """0 when a flush is due, the wait until the oldest record is due, None if empty."""
        with self._state:
            if not self._buffer:
                return None
            if self._buffered_bytes >= self.buffer_bytes_limit:
                return 0.0
            assert self._oldest_ms is not None  # a non-empty buffer has an oldest record
            age = self._clock() - self._oldest_ms / 1000
            return max(0.0, self.buffer_interval_s - age)

    @property
    def buffered_records(self) -> int:
        """How many acknowledged records wait for the next flush."""
        with self._state:
            return len(self._buffer)

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> LocalDeliveryStream:
        """Start the background thread that flushes by the buffering hints."""
        if self._closed:
            raise RuntimeError("the delivery stream is closed")
        if self._timer is None:
            self._timer = threading.Thread(
                target=self._run_timer, name=f"delivery-stream-{self.name}", daemon=True
            )
            self._timer.start()
        return self

    def _run_timer(self) -> None:
        while not self._stop.is_set():
            due = self._seconds_until_due()
            if due is None or due > 0:
                # Woken early by the first record of an empty buffer, a full buffer or close().
                self._wake.wait(due)
                self._wake.clear()
                continue
            try:
                self.flush()
            except Exception as error:  # noqa: BLE001 - keep buffering; Firehose retries delivery
                logger.warning("flush failed, will retry: %s", type(error).__name__)
                self._stop.wait(_RETRY_PAUSE_SECONDS)

    def close(self) -> None:
        """Stop the timer, deliver what is buffered and close the spool (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake.set()
        if self._timer is not None:
            self._timer.join()
        try:
            self.flush()
        finally:
            self._spool.close()
            if self._worker is not None:
                self._worker.close()

    def __enter__(self) -> LocalDeliveryStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def stats(self) -> DeliveryStats:
        """A snapshot of the counters (raw objects counted by the object store)."""
        with self._state:
            counters = dict(self._stats)
        counters["raw_objects"] = self.store.put_count(RAW_BUCKET) + self._child_raw_objects
        return DeliveryStats(**counters)

    def _count(self, counter: str, amount: int = 1) -> None:
        with self._state:
            self._stats[counter] += amount

    # -- flush --------------------------------------------------------------------

    def flush(self) -> FlushReport:
        """Deliver every buffered record now; on failure they stay buffered and spooled."""
        with self._flush_lock:
            records, boundary = self._spool.seal(self._take_buffer)
            if not records:
                return FlushReport()
            reports = []
            try:
                for group in self._buffer_groups(records):
                    reports.append(self._deliver_group(group))
            except BaseException:
                self._return_to_buffer(records)
                raise
            self._spool.release(boundary)
            self._count("flushes")
            return FlushReport(
                records=sum(r.records for r in reports),
                rows_written=sum(r.rows_written for r in reports),
                records_dropped=sum(r.records_dropped for r in reports),
                processing_failed=sum(r.processing_failed for r in reports),
                conversion_failed=sum(r.conversion_failed for r in reports),
                keys=tuple(key for r in reports for key in r.keys),
            )

    def _deliver_group(self, records: Sequence[SpooledRecord]) -> FlushReport:
        """Deliver one group here, or in the delivery process when there is one."""
        if self._worker is None:
            return self.deliver_here(records)
        report, counted = self._worker.deliver(records)
        with self._state:
            for counter, amount in counted.items():
                if counter == "raw_objects":
                    self._child_raw_objects += amount
                else:
                    self._stats[counter] += amount
        return report

    def _buffer_groups(self, records: Sequence[SpooledRecord]) -> list[list[SpooledRecord]]:
        """Buffer-sized groups, one set of objects each (a replayed backlog is not one object)."""
        groups: list[list[SpooledRecord]] = [[]]
        size = 0
        for record in records:
            if size >= self.buffer_bytes_limit:
                groups.append([])
                size = 0
            groups[-1].append(record)
            size += len(record.data)
        return groups

    def deliver_here(self, records: Sequence[SpooledRecord]) -> FlushReport:
        """Deliver one group in this process (the delivery worker calls it in its own)."""
        transformed = FirehoseTransform(
            self.processor,
            self.processor_name,
            self.arn,
            self.processor_retries,
            self._clock,
        ).run(records)
        written = self._output.write(
            self.store, transformed.rows, transformed.processing_errors, self._clock
        )
        report = FlushReport(
            records=len(records),
            rows_written=written.rows_written,
            records_dropped=transformed.dropped,
            processing_failed=len(transformed.processing_errors),
            conversion_failed=written.conversion_failed,
            keys=written.keys,
        )
        with self._state:
            self._stats["invocations"] += transformed.invocations
            self._stats["rows_written"] += report.rows_written
            self._stats["records_dropped"] += report.records_dropped
            self._stats["processing_failed"] += report.processing_failed
            self._stats["conversion_failed"] += report.conversion_failed
            self._stats["parquet_objects"] += written.parquet_objects
            self._stats["error_objects"] += written.error_objects
        return report
