"""The archiver's pure part: archive object of a batch, result per record."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.archiver.logic import (
    IncomingRecord,
    archive_body,
    archive_key,
    read_records,
    transform,
)
from tests.helpers import compact_bytes

ARRIVAL_MS = 1767254600123  # 2026-01-01 08:03:20.123 UTC


def firehose_record(record_id: str, data: bytes, arrival: Any = ARRIVAL_MS) -> dict[str, Any]:
    return {
        "recordId": record_id,
        "approximateArrivalTimestamp": arrival,
        "data": base64.b64encode(data).decode(),
    }


def records(*bodies: bytes, arrival: int = ARRIVAL_MS) -> list[IncomingRecord]:
    return [IncomingRecord(f"id-{i}", arrival + i, body) for i, body in enumerate(bodies)]


def test_archive_key_is_under_the_oldest_arrival_date_and_deterministic() -> None:
    batch = records(b"a\n", b"b\n", arrival=1767225599000)  # 2025-12-31 23:59:59 UTC
    key = archive_key(batch)
    assert key.startswith("updates/dt=2025-12-31/20251231T235959Z-")
    assert key.endswith(".ndjson.gz")
    assert archive_key(list(batch)) == key
    assert archive_key(records(b"c\n", arrival=1767225599000)) != key


def test_archive_body_is_the_unchanged_bytes_one_per_line_and_reproducible() -> None:
    first, second = compact_bytes("message_text") + b"\n", compact_bytes("channel_post")
    body = archive_body(records(first, second))
    assert gzip.decompress(body) == first + second + b"\n"
    assert archive_body(records(first, second)) == body


def test_message_update_becomes_an_ok_row() -> None:
    result = transform(IncomingRecord("r1", ARRIVAL_MS, compact_bytes("message_text") + b"\n"))
    assert result.result == "Ok"
    row = json.loads(result.data)
    assert row["received_at"] == "2026-01-01 08:03:20.123"
    assert row["message_type"] == "text"
    assert row["source"] == "webhook"


@pytest.mark.parametrize("table", ["messages", "member_events"])
def test_rows_say_how_the_update_reached_the_lake(table: str) -> None:
    record = IncomingRecord("r1", ARRIVAL_MS, compact_bytes("message_new_chat_members") + b"\n")
    result = transform(record, table=table, source="poll")
    assert result.result == "Ok"
    rows = [json.loads(line) for line in result.data.splitlines()]
    assert rows
    assert {row["source"] for row in rows} == {"poll"}


@pytest.mark.parametrize(
    "name", ["my_chat_member", "callback_query", "chat_boost", "business_message"]
)
def test_other_update_kinds_are_dropped(name: str) -> None:
    assert transform(IncomingRecord("r1", ARRIVAL_MS, compact_bytes(name))).result == "Dropped"


@pytest.mark.parametrize("data", [b"not json", b"[1]", b"\xff\xfe", None])
def test_undecodable_record_is_processing_failed(data: bytes | None) -> None:
    assert transform(IncomingRecord("r1", ARRIVAL_MS, data)).result == "ProcessingFailed"


def test_lone_surrogate_text_is_processing_failed_not_raised() -> None:
    data = b'{"update_id": 1, "message": {"chat": {"id": 1}, "text": "\\ud800"}}'
    # orjson refuses it when parsing, the stdlib fallback when encoding the row.
    assert transform(IncomingRecord("r1", ARRIVAL_MS, data)).result == "ProcessingFailed"


def test_read_records_tolerates_bad_base64_and_missing_arrival() -> None:
    raw = [
        firehose_record("a", b"{}"),
        {"recordId": "b", "data": "%%%"},
        firehose_record("c", b"{}", arrival="yesterday"),
    ]
    read = read_records(raw, now_ms=42)
    assert [r.record_id for r in read] == ["a", "b", "c"]
    assert read[1].data is None
    assert read[1].arrival_ms == 42
    assert read[2].arrival_ms == 42


def test_response_record_is_base64() -> None:
    result = transform(IncomingRecord("r1", ARRIVAL_MS, compact_bytes("message_text")))
    response = result.as_response()
    assert response["recordId"] == "r1"
    assert base64.b64decode(response["data"]) == result.data


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300) | st.none())
def test_any_bytes_give_a_valid_result(data: bytes | None) -> None:
    result = transform(IncomingRecord("r1", ARRIVAL_MS, data))
    assert result.result in {"Ok", "Dropped", "ProcessingFailed"}
    base64.b64decode(result.as_response()["data"], validate=True)


def test_archive_carries_each_lines_arrival_time_in_its_gzip_header() -> None:
    from functions.archiver.logic import archive_arrivals

    # GIVEN arrivals out of order and an undecodable record (not archived)
    batch = [
        IncomingRecord("a", ARRIVAL_MS, b'{"update_id":1}\n'),
        IncomingRecord("b", ARRIVAL_MS - 250, b'{"update_id":2}'),
        IncomingRecord("c", ARRIVAL_MS + 5, None),
        IncomingRecord("d", ARRIVAL_MS + 86_400_000, b"{}"),
    ]
    body = archive_body(batch)
    # THEN any gzip reader sees only the lines, and the header gives their arrivals back
    assert gzip.decompress(body) == b'{"update_id":1}\n{"update_id":2}\n{}\n'
    assert archive_arrivals(body) == [ARRIVAL_MS, ARRIVAL_MS - 250, ARRIVAL_MS + 86_400_000]
    assert archive_arrivals(gzip.compress(b"{}\n")) is None


@settings(max_examples=100, deadline=None)
@given(arrivals=st.lists(st.integers(min_value=0, max_value=2**53), min_size=1, max_size=50))
def test_arrival_times_round_trip(arrivals: list[int]) -> None:
    from functions.archiver.logic import archive_arrivals

    batch = [IncomingRecord(str(i), ms, b"{}") for i, ms in enumerate(arrivals)]
    assert archive_arrivals(archive_body(batch)) == arrivals
