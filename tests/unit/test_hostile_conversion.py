"""The local record format conversion never crashes: a record is a row or an error record.

Here the hostile bodies are fed to the conversion as if a processor had passed
them through unchanged, the worst a transformation could hand it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glue_schema import MESSAGES
from local.conversion import MALFORMED_DATA, convert_records
from tests.events.hostile.make_corpus import HostileCase, corpus

CASES = corpus()


def assert_each_record_is_a_row_or_a_failure(records: list[bytes]) -> None:
    conversion = convert_records(records)
    failed = {failure.index for failure in conversion.failures}
    converted = set(conversion.row_records)
    assert failed.isdisjoint(converted)
    assert failed | converted == set(range(len(records)))
    assert conversion.table.num_rows == len(conversion.row_records)
    assert all(failure.code == MALFORMED_DATA for failure in conversion.failures)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_body_as_a_record_is_a_row_or_an_error_record(case: HostileCase) -> None:
    assert_each_record_is_a_row_or_a_failure([case.body])


def test_the_whole_corpus_in_one_batch_fails_only_its_own_records() -> None:
    records = [case.body for case in CASES]
    good_row = json.dumps({"update_id": 1, "text": "fine"}).encode()
    conversion = convert_records([good_row, *records, good_row])
    assert 0 in conversion.row_records
    assert len(records) + 1 in conversion.row_records
    assert_each_record_is_a_row_or_a_failure(records)


@pytest.mark.parametrize(
    "record",
    [
        b'{"sent_at":"1.5e400"}',
        b'{"sent_at":1e308}',
        b'{"update_id":"' + b"1" * 5000 + b'"}',
        b'{"sent_at":"' + b"1" * 5000 + b'"}',
        b'{"text":"\\ud800"}',
        b'{"hashtags":["\\udfff"]}',
        b'{"text":"a"} {"chat_title":"\\ud800"}',
        b'{"update_id":1}{"update_id":1e400}',
    ],
    ids=lambda record: record[:24].decode("ascii", "replace"),
)
def test_values_python_cannot_hold_are_error_records(record: bytes) -> None:
    conversion = convert_records([record])
    assert conversion.table.num_rows == 0
    assert [failure.index for failure in conversion.failures] == [0]


# ----------------------------------------------------------------- property tests

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["2026-01-01 00:00:00", "0x7f", "1e400", "1.5e400", "-1", "true", ""])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
column_names = st.sampled_from(
    [*MESSAGES.column_names, *(name.upper() for name in MESSAGES.column_names), "other"]
)


@st.composite
def records(draw: st.DrawFn) -> bytes:
    """A JSON object with column keys (any case) and values of any type, or raw bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=200))
    document: dict[str, Any] = draw(st.dictionaries(column_names, json_values, max_size=8))
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = text + " " + text  # Firehose takes several documents in one record
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(records(), min_size=1, max_size=6))
@example(batch=[b'{"sent_at":1e308}', b'{"text":"\\ud800"}'])
def test_any_batch_of_records_converts_without_raising(batch: list[bytes]) -> None:
    assert_each_record_is_a_row_or_a_failure(batch)
