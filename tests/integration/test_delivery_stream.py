"""The local delivery stream behaves as Firehose does: API, durability, transformation, output."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from functions import adapters
from functions import constants as c
from functions.errors import DeliveryUnavailable
from glue_schema import MESSAGES, Column, Table, arrow_schema
from local.conversion import MALFORMED_DATA
from local.delivery_stream import (
    DATA_BUCKET,
    DUPLICATED_RECORD_ID,
    FUNCTION_ERROR,
    JSON_PROCESSING,
    MAX_BATCH_RECORDS,
    MAX_INVOCATION_PAYLOAD_BYTES,
    MAX_RECORD_BYTES,
    MISSING_RECORD_ID,
    PROCESSING_FAILED_STATUS,
    RAW_BUCKET,
    LocalDeliveryStream,
    Spool,
    SpooledRecord,
    SpoolInUse,
    decode_frames,
    encode_frame,
    lake_object_store,
    local_archiver,
)
from local.object_store import LocalObjectStore, client_error
from tests.integration.delivery_stream_child import FIRST_UPDATE_ID, update_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
STREAM = "telegram-updates"
#: 2026-01-01T00:00:05.250Z: every record put through a stream with the fixed clock.
ARRIVAL_MS = 1767225605250
PROCESSING_ERROR_KEYS = {
    "attemptsMade",
    "arrivalTimestamp",
    "errorCode",
    "errorMessage",
    "attemptEndingTimestamp",
    "rawData",
    "lambdaArn",
}
CONVERSION_ERROR_KEYS = {
    "attemptsMade",
    "arrivalTimestamp",
    "lastErrorCode",
    "lastErrorMessage",
    "attemptEndingTimestamp",
    "rawData",
    "sequenceNumber",
    "subSequenceNumber",
    "dataCatalogTable",
}
Processor = Callable[[dict[str, Any], Any], dict[str, Any]]


def fixed_clock() -> float:
    """The time every test record arrives at."""
    return ARRIVAL_MS / 1000


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """An empty lake (the stream's archiver is its own: nothing to set or undo)."""
    return tmp_path / "lake"


@pytest.fixture
def make_stream(lake: Path) -> Iterator[Callable[..., LocalDeliveryStream]]:
    """Build streams on the lake (fixed clock unless given); all closed at the end."""
    streams: list[LocalDeliveryStream] = []

    def make(**options: Any) -> LocalDeliveryStream:
        options.setdefault("clock", fixed_clock)
        options.setdefault("buffer_size_mb", 64)
        options.setdefault("buffer_interval_s", 3600)
        stream = LocalDeliveryStream(lake, STREAM, **options)
        streams.append(stream)
        return stream

    yield make
    for stream in streams:
        # A test may end with its store still refusing writes.
        with contextlib.suppress(ClientError):
            stream.close()


def put(stream: LocalDeliveryStream, data: bytes) -> str:
    """One PutRecord; the record id."""
    return str(stream.put_record(DeliveryStreamName=STREAM, Record={"Data": data})["RecordId"])


def parquet_rows(lake: Path) -> list[dict[str, Any]]:
    """Every row of every Parquet object, each file checked against the Glue schema."""
    rows: list[dict[str, Any]] = []
    for path in sorted((lake / "data" / c.MESSAGES_PREFIX).rglob("*.parquet")):
        table = pq.read_table(path)
        assert table.schema.equals(arrow_schema())
        rows.extend(table.to_pylist())
    return rows


def error_records(lake: Path, output: str) -> list[dict[str, Any]]:
    """The error records under errors/<output>/ (NDJSON objects)."""
    records: list[dict[str, Any]] = []
    for path in sorted((lake / "data" / c.ERRORS_PREFIX / output).rglob("*")):
        if path.is_file():
            records.extend(json.loads(line) for line in path.read_bytes().splitlines())
    return records


def raw_lines(lake: Path) -> list[bytes]:
    """Every line of every raw archive object."""
    lines: list[bytes] = []
    for path in (lake / "raw" / c.RAW_UPDATES_PREFIX).rglob("*.ndjson.gz"):
        lines.extend(gzip.decompress(path.read_bytes()).splitlines())
    return lines


def spool_segments(lake: Path) -> list[Path]:
    """The spool's segment files."""
    return sorted((lake / ".spool" / STREAM).glob("segment-*.log"))


def decoded(data: str) -> bytes:
    """Base64 text → bytes (strictly)."""
    return base64.b64decode(data, validate=True)


def respond_ok(rows: Callable[[dict[str, Any]], bytes]) -> Processor:
    """A processor answering Ok for every record, with `rows(update)` as its data."""

    def processor(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "records": [
                {
                    "recordId": record["recordId"],
                    "result": "Ok",
                    "data": base64.b64encode(rows(json.loads(decoded(record["data"])))).decode(),
                }
                for record in event["records"]
            ]
        }

    return processor


def id_row(update: dict[str, Any]) -> bytes:
    """The smallest row: just the update id."""
    return orjson.dumps({"update_id": update["update_id"]}) + b"\n"


def drop_all(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A processor that drops every record."""
    return {
        "records": [
            {"recordId": record["recordId"], "result": "Dropped", "data": ""}
            for record in event["records"]
        ]
    }


# -- the API --------------------------------------------------------------------------


def test_the_webhook_adapter_delivers_through_the_local_stream(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    stream = make_stream()
    update = update_bytes(FIRST_UPDATE_ID)
    record_id = adapters.put_record(stream, STREAM, update)
    assert record_id
    report = stream.flush()
    assert [row["update_id"] for row in parquet_rows(lake)] == [FIRST_UPDATE_ID]
    assert raw_lines(lake) == [update.rstrip(b"\n")]
    assert (report.records, report.rows_written) == (1, 1)
    assert stream.stats().raw_objects == 1


def test_the_webhook_adapter_gets_delivery_unavailable_for_an_unknown_stream(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    stream = make_stream(processor=drop_all)
    with pytest.raises(DeliveryUnavailable, match="not retryable"):
        adapters.put_record(stream, "other-stream", b"{}")


def test_put_record_answers_firehose_shape(make_stream: Callable[..., LocalDeliveryStream]) -> None:
    stream = make_stream(processor=drop_all)
    response = stream.put_record(
        DeliveryStreamName=STREAM, Record={"Data": b"x" * MAX_RECORD_BYTES}
    )
    assert set(response) == {"RecordId", "Encrypted"}
    assert response["Encrypted"] is False
    assert response["RecordId"]


def test_put_record_batch_answers_one_record_id_per_record(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    stream = make_stream(processor=drop_all)
    response = stream.put_record_batch(
        DeliveryStreamName=STREAM, Records=[{"Data": b"a"}, {"Data": b"b"}, {"Data": b"c"}]
    )
    assert response["FailedPutCount"] == 0
    assert response["Encrypted"] is False
    ids = [entry["RecordId"] for entry in response["RequestResponses"]]
    assert len(set(ids)) == 3
    assert stream.buffered_records == 3


@pytest.mark.parametrize(
    ("operation", "arguments", "code"),
    [
        (
            "put_record",
            {"Record": {"Data": b"x" * (MAX_RECORD_BYTES + 1)}},
            "InvalidArgumentException",
        ),
        ("put_record", {"Record": {}}, "InvalidArgumentException"),
        ("put_record", {"Record": {"Data": 5}}, "InvalidArgumentException"),
        (
            "put_record_batch",
            {"Records": [{"Data": b"x"}] * (MAX_BATCH_RECORDS + 1)},
            "InvalidArgumentException",
        ),
        ("put_record_batch", {"Records": []}, "InvalidArgumentException"),
        (
            "put_record_batch",
            {"Records": [{"Data": b"x" * 1_000_000}] * 5},
            "InvalidArgumentException",
        ),
        (
            "put_record_batch",
            {"Records": [{"Data": b"ok"}, {"Data": b"x" * (MAX_RECORD_BYTES + 1)}]},
            "InvalidArgumentException",
        ),
        (
            "put_record",
            {"DeliveryStreamName": "other", "Record": {"Data": b"x"}},
            "ResourceNotFoundException",
        ),
        (
            "put_record_batch",
            {"DeliveryStreamName": "other", "Records": [{"Data": b"x"}]},
            "ResourceNotFoundException",
        ),
    ],
)
def test_requests_over_the_limits_are_refused_with_firehose_error_codes(
    make_stream: Callable[..., LocalDeliveryStream],
    operation: str,
    arguments: dict[str, Any],
    code: str,
) -> None:
    stream = make_stream(processor=drop_all)
    with pytest.raises(ClientError) as error:
        getattr(stream, operation)(**{"DeliveryStreamName": STREAM, **arguments})
    assert error.value.response["Error"]["Code"] == code
    assert stream.buffered_records == 0


def test_a_closed_stream_refuses_puts_as_unavailable(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    stream = make_stream(processor=drop_all)
    stream.close()
    stream.close()
    with pytest.raises(ClientError) as error:
        put(stream, b"late")
    assert error.value.response["Error"]["Code"] == "ServiceUnavailableException"


# -- durability -----------------------------------------------------------------------


def test_concurrent_puts_share_one_fsync_per_batch(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = make_stream(processor=drop_all)
    real_fsync = os.fsync
    fsyncs: list[int] = []

    def slow_disk_fsync(fd: int) -> None:
        fsyncs.append(fd)
        time.sleep(0.002)  # a disk's flush latency, so that puts pile up behind it
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_disk_fsync)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def putter(thread: int) -> None:
        for n in range(25):
            record_id = put(stream, f"{thread}-{n}".encode())
            with lock:
                acknowledged.append(record_id)

    threads = [threading.Thread(target=putter, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    assert len(acknowledged) == 400
    assert len(fsyncs) < len(acknowledged) / 2
    spooled = {
        record.record_id
        for segment in spool_segments(lake)
        for record in decode_frames(segment.read_bytes())[0]
    }
    assert set(acknowledged) <= spooled


def test_sigkill_mid_stream_loses_no_acknowledged_update(lake: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.delivery_stream_child", str(lake)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "POWERTOOLS_METRICS_DISABLED": "true"},
    )
    watchdog = threading.Timer(120, child.kill)
    watchdog.start()
    acknowledged: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= 300:
                break
        child.send_signal(signal.SIGKILL)
        rest, errors = child.communicate()
    finally:
        watchdog.cancel()
    assert child.returncode == -signal.SIGKILL, errors.decode(errors="replace")
    acknowledged.extend(int(line) for line in rest.split())
    assert len(acknowledged) >= 300

    with LocalDeliveryStream(lake) as restarted:
        assert restarted.stats().records_recovered >= len(acknowledged)

    delivered = {row["update_id"] for row in parquet_rows(lake)}
    assert set(acknowledged) <= delivered
    archived = set(raw_lines(lake))
    assert {update_bytes(i).rstrip(b"\n") for i in acknowledged} <= archived
    assert spool_segments(lake) == []


def test_replay_keeps_record_ids_and_arrival_times_and_skips_a_torn_tail(lake: Path) -> None:
    spool_dir = lake / ".spool" / STREAM
    earlier = Spool(spool_dir, on_durable=lambda records: None)
    records = [
        SpooledRecord(f"record-{i}", ARRIVAL_MS - 86_400_000 + i, update_bytes(FIRST_UPDATE_ID + i))
        for i in range(3)
    ]
    earlier.append(records)
    earlier.close()
    torn = encode_frame(SpooledRecord("torn", ARRIVAL_MS, update_bytes(1)))
    with spool_segments(lake)[-1].open("ab") as segment:
        segment.write(torn[:-5])

    store = lake_object_store(lake)
    archiver = local_archiver(store)
    events: list[dict[str, Any]] = []

    def recording_archiver(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return archiver(event, context)

    with LocalDeliveryStream(lake, STREAM, recording_archiver, store=store) as restarted:
        assert restarted.stats().records_recovered == 3

    (event,) = events
    assert [(r["recordId"], r["approximateArrivalTimestamp"]) for r in event["records"]] == [
        (record.record_id, record.arrival_ms) for record in records
    ]
    rows = parquet_rows(lake)
    assert [row["update_id"] for row in rows] == [FIRST_UPDATE_ID + i for i in range(3)]
    assert [row["received_at"].isoformat() for row in rows] == [
        "2025-12-31T00:00:05.250000",
        "2025-12-31T00:00:05.251000",
        "2025-12-31T00:00:05.252000",
    ]
    assert [p.parent.name for p in (lake / "data/messages").rglob("*.parquet")] == ["dt=2025-12-31"]
    assert spool_segments(lake) == []


def test_a_replayed_backlog_is_delivered_in_buffer_sized_objects(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    earlier = Spool(lake / ".spool" / STREAM, on_durable=lambda records: None)
    earlier.append(
        [
            SpooledRecord(f"r{i}", ARRIVAL_MS, update_bytes(FIRST_UPDATE_ID + i) + b" " * 2000)
            for i in range(3)
        ]
    )
    earlier.close()
    stream = make_stream(processor=respond_ok(id_row), buffer_size_mb=0.004)
    report = stream.flush()
    assert len(list((lake / "data/messages").rglob("*.parquet"))) == 2
    assert report.rows_written == 3
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [
        FIRST_UPDATE_ID + i for i in range(3)
    ]


def test_a_second_running_stream_on_the_same_spool_is_refused(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    make_stream(processor=drop_all)
    with pytest.raises(SpoolInUse):
        make_stream(processor=drop_all)


class FlakyStore(LocalObjectStore):
    """A store whose data bucket refuses writes while `failing` is set."""

    failing = True

    def put_object(self, **arguments: Any) -> dict[str, Any]:
        """As S3's put, or ServiceUnavailable for the data bucket while failing."""
        if self.failing and arguments["Bucket"] == DATA_BUCKET:
            raise client_error("ServiceUnavailable", "try again", "PutObject", status=503)
        return super().put_object(**arguments)


def test_records_stay_spooled_until_their_outputs_are_written(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    store = FlakyStore(lake, {RAW_BUCKET: "raw", DATA_BUCKET: "data"})
    stream = make_stream(processor=respond_ok(id_row), store=store)
    put(stream, update_bytes(1))
    put(stream, update_bytes(2))
    with pytest.raises(ClientError):
        stream.flush()
    assert stream.buffered_records == 2
    assert spool_segments(lake) != []
    store.failing = False
    stream.flush()
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [1, 2]
    assert spool_segments(lake) == []
    assert stream.buffered_records == 0


# -- buffering hints ------------------------------------------------------------------


def test_reaching_the_buffer_size_flushes(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    stream = make_stream(processor=respond_ok(id_row), buffer_size_mb=0.001)
    put(stream, update_bytes(1))
    assert stream.buffered_records == 1
    put(stream, update_bytes(2) + b" " * 1024)
    assert stream.buffered_records == 0
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [1, 2]


def test_the_oldest_record_reaching_the_interval_flushes_in_the_background(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    stream = make_stream(processor=respond_ok(id_row), clock=time.time, buffer_interval_s=0.05)
    stream.start()
    put(stream, update_bytes(7))
    deadline = time.monotonic() + 30
    while stream.stats().flushes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [row["update_id"] for row in parquet_rows(lake)] == [7]


def test_close_delivers_what_is_buffered(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    stream = make_stream(processor=respond_ok(id_row))
    put(stream, update_bytes(3))
    assert parquet_rows(lake) == []
    stream.close()
    assert [row["update_id"] for row in parquet_rows(lake)] == [3]


# -- transformation -------------------------------------------------------------------


def test_the_processor_gets_a_firehose_transformation_event(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    events: list[dict[str, Any]] = []

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return drop_all(event, context)

    stream = make_stream(processor=recording)
    record_id = put(stream, b"payload")
    stream.flush()
    (event,) = events
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert event["deliveryStreamArn"] == (
        f"arn:aws:firehose:{event['region']}:000000000000:deliverystream/{STREAM}"
    )
    assert event["records"] == [
        {
            "recordId": record_id,
            "approximateArrivalTimestamp": ARRIVAL_MS,
            "data": base64.b64encode(b"payload").decode(),
        }
    ]
    assert stream.stats().records_dropped == 1


def test_batches_over_six_megabytes_are_split_into_several_invocations(
    make_stream: Callable[..., LocalDeliveryStream],
) -> None:
    sizes: list[int] = []
    seen: list[str] = []

    def measuring(event: dict[str, Any], context: Any) -> dict[str, Any]:
        sizes.append(len(json.dumps(event)))
        seen.extend(record["recordId"] for record in event["records"])
        return drop_all(event, context)

    stream = make_stream(processor=measuring)
    ids = [put(stream, bytes([65 + n]) * 1_000_000) for n in range(7)]
    stream.flush()
    assert len(sizes) >= 2
    assert max(sizes) <= MAX_INVOCATION_PAYLOAD_BYTES
    assert sorted(seen) == sorted(ids)


def test_a_processor_that_raises_is_retried_with_fresh_invocations(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    invocations: list[str] = []

    def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
        invocations.append(event["invocationId"])
        if len(invocations) < 3:
            raise RuntimeError("throttled")
        return respond_ok(id_row)(event, context)

    stream = make_stream(processor=flaky, processor_retries=3)
    put(stream, update_bytes(11))
    stream.flush()
    assert len(set(invocations)) == 3
    assert [row["update_id"] for row in parquet_rows(lake)] == [11]
    assert error_records(lake, "processing-failed") == []


def test_a_processor_that_keeps_raising_sends_its_records_to_processing_failed(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    attempts: list[int] = []

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        attempts.append(1)
        raise RuntimeError("boom")

    stream = make_stream(processor=broken, processor_retries=2)
    updates = [update_bytes(21), update_bytes(22)]
    for update in updates:
        put(stream, update)
    report = stream.flush()
    assert len(attempts) == 3
    errors = error_records(lake, "processing-failed")
    assert [decoded(error["rawData"]) for error in errors] == updates
    for error in errors:
        assert set(error) == PROCESSING_ERROR_KEYS
        assert error["errorCode"] == FUNCTION_ERROR
        assert error["attemptsMade"] == 3
        assert error["arrivalTimestamp"] == ARRIVAL_MS
        assert error["attemptEndingTimestamp"] >= ARRIVAL_MS
        assert error["lambdaArn"] == "arn:aws:lambda:local-1:000000000000:function:archiver"
    (key,) = [k for k in report.keys if k.startswith("errors/")]
    assert re.fullmatch(
        r"errors/processing-failed/dt=2026-01-01/telegram-updates-1-2026-01-01-00-00-05-"
        r"[0-9a-f-]{36}",
        key,
    )
    assert parquet_rows(lake) == []
    assert stream.stats().processing_failed == 2


def test_missing_and_duplicated_record_ids_fail_those_records(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    answer_ok = respond_ok(id_row)

    def sloppy(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answered = answer_ok(event, context)["records"]
        # First record left out, second answered twice, third as it should be.
        return {"records": [answered[1], answered[1], answered[2]]}

    stream = make_stream(processor=sloppy)
    updates = [update_bytes(31), update_bytes(32), update_bytes(33)]
    for update in updates:
        put(stream, update)
    stream.flush()
    errors = error_records(lake, "processing-failed")
    assert [(error["errorCode"], decoded(error["rawData"])) for error in errors] == [
        (MISSING_RECORD_ID, updates[0]),
        (DUPLICATED_RECORD_ID, updates[1]),
    ]
    assert [row["update_id"] for row in parquet_rows(lake)] == [33]


def _answer(result: str | None = "Ok", data: str | None = "e30=") -> Processor:
    def processor(event: dict[str, Any], context: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"recordId": event["records"][0]["recordId"]}
        if result is not None:
            entry["result"] = result
        if data is not None:
            entry["data"] = data
        return {"records": [entry]}

    return processor


@pytest.mark.parametrize(
    ("processor", "code"),
    [
        (lambda event, context: None, JSON_PROCESSING),
        (lambda event, context: {"records": "all fine"}, JSON_PROCESSING),
        (lambda event, context: {"records": ["not an object"]}, JSON_PROCESSING),
        (_answer(result="Maybe"), FUNCTION_ERROR),
        (_answer(result=None), FUNCTION_ERROR),
        (_answer(data="!!! not base64"), FUNCTION_ERROR),
        (_answer(data=None), FUNCTION_ERROR),
        (_answer(result="ProcessingFailed"), PROCESSING_FAILED_STATUS),
    ],
)
def test_invalid_processor_answers_go_to_processing_failed(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path, processor: Processor, code: str
) -> None:
    stream = make_stream(processor=processor)
    put(stream, b"record")
    stream.flush()
    (error,) = error_records(lake, "processing-failed")
    assert error["errorCode"] == code
    assert error["attemptsMade"] == 1
    assert decoded(error["rawData"]) == b"record"
    assert parquet_rows(lake) == []


def test_the_archiver_marks_an_undecodable_record_processing_failed(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    stream = make_stream()
    put(stream, b"this is not json\n")
    put(stream, update_bytes(41))
    stream.flush()
    (error,) = error_records(lake, "processing-failed")
    assert error["errorCode"] == PROCESSING_FAILED_STATUS
    assert decoded(error["rawData"]) == b"this is not json\n"
    assert [row["update_id"] for row in parquet_rows(lake)] == [41]


# -- conversion -----------------------------------------------------------------------


def test_a_row_that_does_not_fit_goes_alone_to_format_conversion_failed(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    def row(update: dict[str, Any]) -> bytes:
        bad = update["update_id"] == 52
        return (
            orjson.dumps({"update_id": update["update_id"], "message_id": "abc" if bad else 1})
            + b"\n"
        )

    stream = make_stream(processor=respond_ok(row))
    for update_id in (51, 52, 53):
        put(stream, update_bytes(update_id))
    report = stream.flush()
    assert [r["update_id"] for r in parquet_rows(lake)] == [51, 53]
    (error,) = error_records(lake, "format-conversion-failed")
    assert set(error) == CONVERSION_ERROR_KEYS
    assert error["lastErrorCode"] == MALFORMED_DATA
    assert "message_id" in error["lastErrorMessage"]
    assert decoded(error["rawData"]) == row({"update_id": 52})
    assert error["arrivalTimestamp"] == ARRIVAL_MS
    assert error["attemptsMade"] == 1
    assert error["dataCatalogTable"]["tableName"] == "messages"
    assert error["dataCatalogTable"]["databaseName"] == "telegram_pipeline"
    keys = sorted(report.keys)
    assert re.fullmatch(
        r"errors/format-conversion-failed/dt=2026-01-01/telegram-updates-1-2026-01-01-00-00-05-"
        r"[0-9a-f-]{36}",
        keys[0],
    )
    assert re.fullmatch(
        r"messages/dt=2026-01-01/telegram-updates-1-2026-01-01-00-00-05-[0-9a-f-]{36}\.parquet",
        keys[1],
    )
    stats = stream.stats()
    assert (stats.rows_written, stats.conversion_failed, stats.parquet_objects) == (2, 1, 1)


def test_parquet_object_is_named_by_its_oldest_record(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    now = [ARRIVAL_MS / 1000]
    stream = make_stream(processor=respond_ok(id_row), clock=lambda: now[0])
    put(stream, update_bytes(61))
    now[0] += 86_400  # the next record arrives a day later: same object, oldest decides
    put(stream, update_bytes(62))
    stream.flush()
    (path,) = (lake / "data/messages").rglob("*.parquet")
    assert path.parent.name == "dt=2026-01-01"
    assert path.name.startswith("telegram-updates-1-2026-01-01-00-00-05-")
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [61, 62]


#: A table other than messages: the stream converts and files by the table it is given.
SEEN = Table(
    name="updates_seen",
    columns=(Column("update_id", "bigint"), Column("chat_id", "bigint")),
    prefix="seen/",
    serde=MESSAGES.serde,
    input_format=MESSAGES.input_format,
    output_format=MESSAGES.output_format,
)


def test_a_stream_converts_and_files_its_rows_by_the_table_it_is_given(
    make_stream: Callable[..., LocalDeliveryStream], lake: Path
) -> None:
    # GIVEN a stream for another table, and a processor whose second row does not fit it
    def row(update: dict[str, Any]) -> bytes:
        chat_id = "not a number" if update["update_id"] == 72 else 7
        return orjson.dumps({"update_id": update["update_id"], "chat_id": chat_id}) + b"\n"

    stream = make_stream(processor=respond_ok(row), table=SEEN)
    for update_id in (71, 72):
        put(stream, update_bytes(update_id))
    # WHEN it flushes
    report = stream.flush()
    # THEN its rows are under the table's prefix with the table's columns ...
    (path,) = (lake / "data" / SEEN.prefix).rglob("*.parquet")
    assert path.parent.name == "dt=2026-01-01"
    assert pq.read_table(path).schema.equals(arrow_schema(SEEN))
    assert pq.read_table(path).to_pylist() == [{"update_id": 71, "chat_id": 7}]
    assert not (lake / "data" / c.MESSAGES_PREFIX).exists()
    # ... and the row that does not fit names the table in its error record
    (error,) = error_records(lake, "format-conversion-failed")
    assert error["dataCatalogTable"]["tableName"] == "updates_seen"
    assert (report.rows_written, report.conversion_failed) == (1, 1)


# -- the delivery process --------------------------------------------------------------


def test_delivery_in_a_worker_process_writes_the_same_lake(lake: Path) -> None:
    # GIVEN a stream that delivers in a worker process (as serve, ingest and demo do)
    with LocalDeliveryStream(lake, STREAM, delivery_process=True) as stream:
        for i in range(20):
            stream.put_record(
                DeliveryStreamName=STREAM, Record={"Data": update_bytes(FIRST_UPDATE_ID + i)}
            )
        # WHEN it flushes
        report = stream.flush()
        stats = stream.stats()
    # THEN the rows, the raw archive and the counters are what in-process delivery gives
    assert report.rows_written == 20
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [
        FIRST_UPDATE_ID + i for i in range(20)
    ]
    assert stats.rows_written == 20
    assert stats.raw_objects == 1
    assert stats.invocations == 1
    assert len(list((lake / "raw").rglob("*.ndjson.gz"))) == 1


def test_a_delivery_worker_writes_the_table_its_stream_was_given(lake: Path) -> None:
    with LocalDeliveryStream(lake, STREAM, delivery_process=True, table=SEEN) as stream:
        stream.put_record(DeliveryStreamName=STREAM, Record={"Data": update_bytes(FIRST_UPDATE_ID)})
        report = stream.flush()
    (key,) = report.keys
    assert key.startswith(f"{SEEN.prefix}dt=")
    assert [row["update_id"] for row in pq.read_table(lake / "data" / key).to_pylist()] == [
        FIRST_UPDATE_ID
    ]


def test_a_dead_delivery_worker_loses_nothing(lake: Path) -> None:
    from concurrent.futures.process import BrokenProcessPool

    with LocalDeliveryStream(lake, STREAM, delivery_process=True) as stream:
        stream.put_record(DeliveryStreamName=STREAM, Record={"Data": update_bytes(FIRST_UPDATE_ID)})
        stream.flush()  # the worker is up
        assert stream._worker is not None
        (worker,) = stream._worker._ensure_pool()._processes.values()
        # GIVEN the worker is killed (out of memory, SIGKILL)
        worker.kill()
        worker.join()
        for i in range(1, 6):
            stream.put_record(
                DeliveryStreamName=STREAM, Record={"Data": update_bytes(FIRST_UPDATE_ID + i)}
            )
        # WHEN a flush fails on it, THEN the records stay buffered and spooled ...
        with pytest.raises(BrokenProcessPool):
            stream.flush()
        assert stream.buffered_records == 5
        # ... and the next flush, in a new worker, delivers them
        assert stream.flush().rows_written == 5
    assert sorted(row["update_id"] for row in parquet_rows(lake)) == [
        FIRST_UPDATE_ID + i for i in range(6)
    ]
