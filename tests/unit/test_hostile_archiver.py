"""The archiver's per-record logic on the hostile corpus: a result for every record, no raise.

And every row it shapes, however odd the update, fits the `messages` schema as
Firehose's conversion reads it (local.conversion): a bad update may become a
row of nulls, never a conversion error or a crash.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings

from functions.archiver.logic import (
    IncomingRecord,
    archive_body,
    archive_key,
    read_records,
    transform,
)
from local.conversion import convert_records
from tests.events.hostile.make_corpus import OK, HostileCase, corpus
from tests.unit.test_hostile_webhook import mutated_updates

ARRIVAL_MS = 1767254600123
KEY = b"k" * 32
CASES = corpus()


def record(body: bytes, record_id: str = "r1") -> IncomingRecord:
    return IncomingRecord(record_id, ARRIVAL_MS, body)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_record_gets_its_result_and_its_row_converts(case: HostileCase) -> None:
    result = transform(record(case.body))
    assert result.result == case.archiver
    assert result.record_id == "r1"
    if result.result == OK:
        conversion = convert_records([result.data])
        assert conversion.failures == []
        assert conversion.table.num_rows == 1
    else:
        assert result.data == b""


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_pseudonymising_never_changes_a_result(case: HostileCase) -> None:
    hidden = transform(record(case.body), KEY)
    assert hidden.result == case.archiver
    if hidden.result == OK:
        row = json.loads(hidden.data)
        assert row.get("user_first_name") is None
        assert row.get("user_username") is None
        assert convert_records([hidden.data]).failures == []


def test_a_batch_of_the_whole_corpus_is_archived_unchanged() -> None:
    raw = [
        {
            "recordId": f"r{i}",
            "approximateArrivalTimestamp": ARRIVAL_MS,
            "data": base64.b64encode(case.body).decode(),
        }
        for i, case in enumerate(CASES)
    ]
    records = read_records(raw, now_ms=ARRIVAL_MS)
    assert [r.data for r in records] == [case.body for case in CASES]
    archived = gzip.decompress(archive_body(records))
    # Every non-empty body, byte for byte, each ending its line.
    expected = b"".join(
        case.body if case.body.endswith(b"\n") else case.body + b"\n" for case in CASES if case.body
    )
    assert archived == expected


def test_records_with_missing_or_broken_fields_are_read_not_raised() -> None:
    records = read_records(
        [
            {},
            {"recordId": 7, "data": "%%%", "approximateArrivalTimestamp": "soon"},
            {"recordId": "r", "data": None, "approximateArrivalTimestamp": -5},
            {"recordId": "r", "data": 12, "approximateArrivalTimestamp": 2**80},
            {"recordId": "r", "data": "", "approximateArrivalTimestamp": 2**62},
        ],
        now_ms=ARRIVAL_MS,
    )
    assert [r.arrival_ms for r in records] == [ARRIVAL_MS] * 5
    assert [transform(r).result for r in records] == ["ProcessingFailed"] * 5
    assert archive_key(records).startswith("updates/dt=2026-01-01/")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated_updates())
def test_any_mutated_update_shapes_to_a_row_that_converts(body: bytes) -> None:
    for key in (None, KEY):
        result = transform(record(body), key)
        assert result.result in {"Ok", "Dropped", "ProcessingFailed"}
        if result.result == "Ok":
            assert convert_records([result.data]).failures == []
