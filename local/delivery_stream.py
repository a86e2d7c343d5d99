"""The local delivery stream: the Firehose stand-in of the embedded stack.

Takes `put_record`/`put_record_batch` with Firehose's shapes, limits and error
codes; acknowledges a record only once it is fsynced in an on-disk spool
(group commit: one fsync per batch of concurrent puts); buffers by size and age;
on flush calls the processor (the archiver) with a real transformation event,
checks its answer as Firehose does, converts the `Ok` rows to Parquet with the
Glue schema (OpenX JSON SerDe rules, local.conversion) and writes Firehose's
error records. A spool segment is deleted only after everything its records
produced is durably written, so a crash re-delivers (duplicates) but never
loses an acknowledged record. docs/local-stack.md cites the AWS page behind
each behaviour.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from functions import constants as c
from functions import jsoncodec
from functions.archiver import handler as archiver
from functions.logs import MetricsSink
from functions.settings import ArchiverSettings
from glue_schema import DATABASE_DEFAULT, MESSAGES
from local.conversion import OpenXJsonReader, parquet_bytes
from local.lambda_runtime import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    Handler,
    LambdaContext,
    LocalMetrics,
    invoke,
    local_logger,
)
from local.object_store import LocalObjectStore

# One shape for every local AWS error: Firehose's errors are built like S3's.
from local.object_store import client_error as firehose_error

# Re-exported: the spool is part of the stream's interface.
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
RAW_BUCKET: Final = "local-raw"
DATA_BUCKET: Final = "local-data"
#: Bucket → directory of the lake, as docs/architecture.md lays it out.
LAKE_BUCKETS: Final = {RAW_BUCKET: "raw", DATA_BUCKET: "data"}

# PutRecord / PutRecordBatch limits (Firehose API reference and quotas).
MAX_RECORD_BYTES: Final = 1_024_000
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
#: Lambda's synchronous invocation payload limit, which caps one transformation batch.
MAX_INVOCATION_PAYLOAD_BYTES: Final = 6 * 1024 * 1024
#: Firehose retries a failed Lambda invocation three times by default.
DEFAULT_PROCESSOR_RETRIES: Final = 3
#: Firehose stream version in object names: starts at 1, bumped by configuration changes.
STREAM_VERSION: Final = 1

ERROR_PROCESSING_FAILED: Final = "processing-failed"
ERROR_FORMAT_CONVERSION_FAILED: Final = "format-conversion-failed"

# Transformation error codes and messages, as Firehose writes them in error records.
FUNCTION_ERROR: Final = "Lambda.FunctionError"
FUNCTION_ERROR_MESSAGE: Final = (
    "The Lambda function was successfully invoked but it returned an error result."
)
INVALID_OUTPUT_MESSAGE: Final = (
    "Check your function and make sure the output is in required format. In addition to "
    "that, make sure the processed records contain valid result status of Dropped, Ok, "
    "or ProcessingFailed"
)
JSON_PROCESSING: Final = "Lambda.JsonProcessingException"
JSON_PROCESSING_MESSAGE: Final = (
    "There was an error parsing returned records from the Lambda function. Ensure that "
    "the returned records follow the status model required by Firehose."
)
MISSING_RECORD_ID: Final = "Lambda.MissingRecordId"
MISSING_RECORD_ID_MESSAGE: Final = (
    "One or more record Ids were not returned. Ensure that the Lambda function returns "
    "all received record Ids."
)
DUPLICATED_RECORD_ID: Final = "Lambda.DuplicatedRecordId"
DUPLICATED_RECORD_ID_MESSAGE: Final = (
    "Multiple records were returned with the same record Id. Ensure that the Lambda "
    "function returns a unique record Id for each record."
)
PROCESSING_FAILED_STATUS: Final = "Lambda.ProcessingFailedStatus"
PROCESSING_FAILED_STATUS_MESSAGE: Final = "ProcessingFailed status set for record"

_EVENT_OVERHEAD_BYTES = 512
_RECORD_OVERHEAD_BYTES = 128
_RETRY_PAUSE_SECONDS = 1.0


def lake_object_store(lake: Path) -> LocalObjectStore:
    """The lake's buckets: `local-raw` → `<lake>/raw`, `local-data` → `<lake>/data`."""
    return LocalObjectStore(Path(lake), LAKE_BUCKETS)


def local_archiver(
    store: Any,
    settings: ArchiverSettings | None = None,
    *,
    metrics: MetricsSink | None = None,
    log_level: str = "WARNING",
) -> Handler:
    """The unchanged archiver over the lake's store, with its own settings, metrics and logger.

    Nothing process-wide is touched: two streams (two stacks) in one process each
    have their own archiver. `settings` defaults to the local raw bucket, no pseudonyms.
    """
    config = settings if settings is not None else ArchiverSettings(raw_bucket=RAW_BUCKET)
    deps = archiver.Dependencies(
        config,
        archiver.read_pseudonym_key(config),
        store,
        metrics if metrics is not None else LocalMetrics(),
        local_logger(c.ARCHIVER_SERVICE, log_level),
    )

    def processor(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return archiver.handle(event, deps)

    return processor


def _now_ms(clock: Callable[[], float]) -> int:
    return int(clock() * 1000)


# ------------------------------------------------------------------- delivery stream


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


@dataclass
class _Delivery:
    """The outcome of the processor for one flush, record by record."""

    rows: list[tuple[SpooledRecord, bytes]] = field(default_factory=list)
    dropped: int = 0
    processing_errors: list[dict[str, Any]] = field(default_factory=list)
    invocations: int = 0


def _object_key(prefix: str, stream: str, oldest_ms: int, extension: str = "") -> str:
    """`<prefix>dt=<oldest, UTC>/<stream>-<version>-<YYYY-MM-dd-HH-mm-ss>-<uuid><ext>`."""
    oldest = datetime.fromtimestamp(oldest_ms // 1000, tz=UTC)
    return (
        f"{prefix}dt={oldest:%Y-%m-%d}/"
        f"{stream}-{STREAM_VERSION}-{oldest:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{extension}"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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
        self.lambda_arn = LambdaContext(function_name=processor_name).invoked_function_arn
        self._clock = clock
        self._reader = OpenXJsonReader(MESSAGES)
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
        self._worker: _DeliveryWorker | None = None
        if delivery_process:
            self._worker = _DeliveryWorker(
                self.lake,
                name,
                buffer_size_mb=buffer_size_mb,
                buffer_interval_s=buffer_interval_s,
                processor_retries=processor_retries,
                processor_name=processor_name,
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
            raise firehose_error(
                "ResourceNotFoundException",
                f"Firehose {name} under account {LOCAL_ACCOUNT} not found.",
                operation,
            )

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
        arrival_ms = _now_ms(self._clock)
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
            return self._deliver(records)
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

    def _deliver(self, records: Sequence[SpooledRecord]) -> FlushReport:
        delivery = _Delivery()
        for chunk in self._invocation_chunks(records):
            self._transform(chunk, delivery)
        conversion = self._reader.read([row for _, row in delivery.rows])
        keys: list[str] = []
        if conversion.table.num_rows:
            written = [delivery.rows[index][0] for index in conversion.row_records]
            key = _object_key(
                c.MESSAGES_PREFIX,
                self.name,
                min(record.arrival_ms for record in written),
                ".parquet",
            )
            self.store.put_object(Bucket=DATA_BUCKET, Key=key, Body=parquet_bytes(conversion.table))
            keys.append(key)
        ended_ms = _now_ms(self._clock)
        conversion_errors = [
            self._conversion_error(
                *delivery.rows[failure.index], failure.code, failure.message, ended_ms
            )
            for failure in conversion.failures
        ]
        for output, errors in (
            (ERROR_PROCESSING_FAILED, delivery.processing_errors),
            (ERROR_FORMAT_CONVERSION_FAILED, conversion_errors),
        ):
            if errors:
                keys.append(self._write_errors(output, errors))
        report = FlushReport(
            records=len(records),
            rows_written=conversion.table.num_rows,
            records_dropped=delivery.dropped,
            processing_failed=len(delivery.processing_errors),
            conversion_failed=len(conversion_errors),
            keys=tuple(keys),
        )
        with self._state:
            self._stats["invocations"] += delivery.invocations
            self._stats["rows_written"] += report.rows_written
            self._stats["records_dropped"] += report.records_dropped
            self._stats["processing_failed"] += report.processing_failed
            self._stats["conversion_failed"] += report.conversion_failed
            self._stats["parquet_objects"] += 1 if conversion.table.num_rows else 0
            self._stats["error_objects"] += len(keys) - (1 if conversion.table.num_rows else 0)
        return report

    @staticmethod
    def _invocation_chunks(records: Sequence[SpooledRecord]) -> list[list[SpooledRecord]]:
        """Split so no transformation event exceeds Lambda's 6 MB payload."""
        chunks: list[list[SpooledRecord]] = [[]]
        size = _EVENT_OVERHEAD_BYTES
        for record in records:
            record_size = (
                4 * ((len(record.data) + 2) // 3) + len(record.record_id) + _RECORD_OVERHEAD_BYTES
            )
            if chunks[-1] and size + record_size > MAX_INVOCATION_PAYLOAD_BYTES:
                chunks.append([])
                size = _EVENT_OVERHEAD_BYTES
            chunks[-1].append(record)
            size += record_size
        return chunks

    def _event(self, chunk: Sequence[SpooledRecord]) -> dict[str, Any]:
        return {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": self.arn,
            "region": LOCAL_REGION,
            "records": [
                {
                    "recordId": record.record_id,
                    "approximateArrivalTimestamp": record.arrival_ms,
                    "data": _b64(record.data),
                }
                for record in chunk
            ],
        }

    def _transform(self, chunk: Sequence[SpooledRecord], delivery: _Delivery) -> None:
        """Invoke the processor (retrying if it raises) and sort its answer record by record."""
        attempts = 0
        response: Any = None
        while True:
            attempts += 1
            delivery.invocations += 1
            try:
                response = invoke(self.processor, self._event(chunk), self.processor_name)
                break
            except Exception as error:  # noqa: BLE001 - any error of the function is a FunctionError
                logger.warning("processor attempt %d failed: %s", attempts, type(error).__name__)
                if attempts > self.processor_retries:
                    self._fail(chunk, FUNCTION_ERROR, FUNCTION_ERROR_MESSAGE, attempts, delivery)
                    return
        entries = response.get("records") if isinstance(response, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self._fail(chunk, JSON_PROCESSING, JSON_PROCESSING_MESSAGE, attempts, delivery)
            return
        by_id: dict[str, dict[str, Any]] = {}
        duplicated: set[str] = set()
        for entry in entries:
            record_id = entry.get("recordId")
            if not isinstance(record_id, str):
                continue
            if record_id in by_id:
                duplicated.add(record_id)
            by_id[record_id] = entry
        for record in chunk:
            entry = by_id.get(record.record_id)
            if entry is None:
                self._fail(
                    [record], MISSING_RECORD_ID, MISSING_RECORD_ID_MESSAGE, attempts, delivery
                )
            elif record.record_id in duplicated:
                self._fail(
                    [record], DUPLICATED_RECORD_ID, DUPLICATED_RECORD_ID_MESSAGE, attempts, delivery
                )
            elif entry.get("result") == "Dropped":
                delivery.dropped += 1
            elif entry.get("result") == "ProcessingFailed":
                self._fail(
                    [record],
                    PROCESSING_FAILED_STATUS,
                    PROCESSING_FAILED_STATUS_MESSAGE,
                    attempts,
                    delivery,
                )
            elif entry.get("result") == "Ok" and isinstance(entry.get("data"), str):
                try:
                    row = base64.b64decode(entry["data"], validate=True)
                except (binascii.Error, ValueError):
                    self._fail([record], FUNCTION_ERROR, INVALID_OUTPUT_MESSAGE, attempts, delivery)
                    continue
                delivery.rows.append((record, row))
            else:
                self._fail([record], FUNCTION_ERROR, INVALID_OUTPUT_MESSAGE, attempts, delivery)

    def _fail(
        self,
        records: Iterable[SpooledRecord],
        code: str,
        message: str,
        attempts: int,
        delivery: _Delivery,
    ) -> None:
        ended_ms = _now_ms(self._clock)
        delivery.processing_errors.extend(
            {
                "attemptsMade": attempts,
                "arrivalTimestamp": record.arrival_ms,
                "errorCode": code,
                "errorMessage": message,
                "attemptEndingTimestamp": ended_ms,
                "rawData": _b64(record.data),
                "lambdaArn": self.lambda_arn,
            }
            for record in records
        )

    def _conversion_error(
        self, record: SpooledRecord, row: bytes, code: str, message: str, ended_ms: int
    ) -> dict[str, Any]:
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": record.arrival_ms,
            "lastErrorCode": code,
            "lastErrorMessage": message,
            "attemptEndingTimestamp": ended_ms,
            "rawData": _b64(row),
            # Direct PUT records have no Kinesis sequence numbers.
            "sequenceNumber": None,
            "subSequenceNumber": None,
            "dataCatalogTable": {
                "catalogId": LOCAL_ACCOUNT,
                "databaseName": DATABASE_DEFAULT,
                "tableName": MESSAGES.name,
                "region": LOCAL_REGION,
                "versionId": "LATEST",
                "catalogArn": f"arn:aws:glue:{LOCAL_REGION}:{LOCAL_ACCOUNT}:catalog",
            },
        }

    def _write_errors(self, output_type: str, errors: Sequence[dict[str, Any]]) -> str:
        """One NDJSON object of error records under errors/<output type>/dt=.../."""
        key = _object_key(
            f"{c.ERRORS_PREFIX}{output_type}/",
            self.name,
            min(error["arrivalTimestamp"] for error in errors),
        )
        body = b"".join(jsoncodec.dumps(error) + b"\n" for error in errors)
        self.store.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        return key


# ------------------------------------------------------------------- delivery process


class _DeliveryWorker:
    """The delivery half of the stream (archiver invocation, conversion, writes) in a process.

    Firehose runs apart from the webhook; running its delivery in its own process
    here lets the second core do it while the webhook's threads keep answering,
    instead of both sharing one interpreter lock. The spool, the buffer and the
    acknowledgements stay in the main process: a record is released from the
    spool only after the worker has durably written its outputs, exactly as in
    process, and a worker that dies leaves its records spooled for the next flush.
    """

    def __init__(self, lake: Path, name: str, **settings: Any) -> None:
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

    global _child_stream
    # Ctrl-C reaches the whole process group; the main process decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    _child_stream = LocalDeliveryStream(Path(lake), name, spooled=False, **settings)


#: How often the worker checks that the process that started it is still there.
PARENT_CHECK_SECONDS: Final = 0.5


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
    report = stream._deliver([SpooledRecord(*record) for record in batch])
    after = stream.stats()
    moved = {
        f.name: getattr(after, f.name) - getattr(before, f.name)
        for f in fields(DeliveryStats)
        if getattr(after, f.name) != getattr(before, f.name)
    }
    return report, moved
