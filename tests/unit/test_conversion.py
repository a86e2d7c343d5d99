"""OpenX JSON SerDe rules of the local format conversion, one table per rule."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from functions.rows import shape_row
from glue_schema import MESSAGES, arrow_schema
from local.conversion import (
    EMPTY_RECORD_MESSAGE,
    MALFORMED_DATA,
    Conversion,
    OpenXJsonReader,
    convert_records,
    parquet_bytes,
)
from tests.helpers import event, event_names

FAILS = object()
RECEIVED_MS = 1767254590123


def _base_row() -> dict[str, Any]:
    row = shape_row(event("message_text_entities"), RECEIVED_MS)
    assert row is not None
    return row


def _convert_value(column: str, value: Any) -> Any:
    """The column's value after conversion of a real row carrying `value`, or FAILS."""
    row = _base_row()
    row[column] = value
    result = convert_records([orjson.dumps(row)])
    assert result.table.schema.equals(arrow_schema())
    if result.failures:
        assert result.table.num_rows == 0
        assert result.failures[0].code == MALFORMED_DATA
        assert column in result.failures[0].message
        return FAILS
    return result.table.column(column)[0].as_py()


def _rows(conversion: Conversion) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = conversion.table.to_pylist()
    return rows


# -- keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"update_id": 7, "chat_id": -100}, {"update_id": 7, "chat_id": -100}),
        ({"Update_ID": 7, "CHAT_ID": -100}, {"update_id": 7, "chat_id": -100}),
        ({"UPDATE_ID": 7, "Text": "Olá"}, {"update_id": 7, "text": "Olá"}),
    ],
)
def test_keys_are_matched_to_columns_case_insensitively(
    document: dict[str, Any], expected: dict[str, Any]
) -> None:
    (row,) = _rows(convert_records([orjson.dumps(document)]))
    assert {key: row[key] for key in expected} == expected


@pytest.mark.parametrize(
    "extra",
    [
        {"not_a_column": 1},
        {"message": {"text": "nested"}},
        {"Update-Id": "not the same key"},
    ],
)
def test_keys_not_in_the_schema_are_dropped(extra: dict[str, Any]) -> None:
    row = _base_row()
    conversion = convert_records([orjson.dumps({**row, **extra})])
    assert conversion.failures == []
    assert conversion.table.schema.equals(arrow_schema())
    assert _rows(conversion)[0]["update_id"] == row["update_id"]


@pytest.mark.parametrize("missing", ["chat_title", "sent_at", "hashtags", "user_is_bot"])
def test_missing_keys_read_as_null(missing: str) -> None:
    row = _base_row()
    del row[missing]
    (converted,) = _rows(convert_records([orjson.dumps(row)]))
    assert converted[missing] is None
    assert converted["update_id"] == row["update_id"]


@pytest.mark.parametrize(
    "document",
    [
        b'{"update_id": 1, "Update_Id": 2}',
        b'{"update_id": 1, "unknown": 1, "UNKNOWN": 2}',
    ],
)
def test_keys_equal_ignoring_case_fail_the_record(document: bytes) -> None:
    conversion = convert_records([document])
    assert conversion.table.num_rows == 0
    assert "duplicate key" in conversion.failures[0].message


def test_case_sensitive_reader_ignores_keys_in_other_case() -> None:
    reader = OpenXJsonReader(MESSAGES, case_insensitive=False)
    (row,) = _rows(reader.read([b'{"update_id": 1, "CHAT_ID": 5}']))
    assert row["update_id"] == 1
    assert row["chat_id"] is None


# -- timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # yyyy-MM-dd'T'HH:mm:ss[.S]'Z', fraction up to 9 digits (truncated to ms).
        ("2017-02-07T15:13:01.39256Z", datetime(2017, 2, 7, 15, 13, 1, 392000)),
        ("2017-02-07T15:13:01Z", datetime(2017, 2, 7, 15, 13, 1)),
        ("2017-02-07T15:13:01.123456789Z", datetime(2017, 2, 7, 15, 13, 1, 123000)),
        # yyyy-[M]M-[d]d HH:mm:ss[.S] (java.sql.Timestamp.valueOf), UTC.
        ("2017-02-07 15:13:01.14", datetime(2017, 2, 7, 15, 13, 1, 140000)),
        ("2017-2-7 15:13:01", datetime(2017, 2, 7, 15, 13, 1)),
        ("2026-01-01 08:03:00.000", datetime(2026, 1, 1, 8, 3)),
        # Epoch seconds, epoch milliseconds (13+ digits) and fractional seconds.
        (1518033528, datetime(2018, 2, 7, 19, 58, 48)),
        (1518033528123, datetime(2018, 2, 7, 19, 58, 48, 123000)),
        (1518033528.123, datetime(2018, 2, 7, 19, 58, 48, 123000)),
        ("1518033528", datetime(2018, 2, 7, 19, 58, 48)),
        ("1518033528123", datetime(2018, 2, 7, 19, 58, 48, 123000)),
        ("1518033528.5", datetime(2018, 2, 7, 19, 58, 48, 500000)),
        (0, datetime(1970, 1, 1)),
        (None, None),
        # Anything else sends the record to format-conversion-failed.
        ("2017-02-07T15:13:01.1234567890Z", FAILS),
        ("2017-02-07 15:13:01.1234567890", FAILS),
        ("2017-02-07T15:13:01", FAILS),
        ("2017-02-07T15:13:01+01:00", FAILS),
        ("2017-02-07 15:13:01 +0000", FAILS),
        ("2017-02-07", FAILS),
        ("2017-02-30 00:00:00", FAILS),
        ("2017-02-07 24:00:00", FAILS),
        ("07/02/2017 15:13:01", FAILS),
        ("yesterday", FAILS),
        ("", FAILS),
        (True, FAILS),
        ({"seconds": 1}, FAILS),
        ([1518033528], FAILS),
        (10**18, FAILS),
    ],
)
def test_timestamp_forms_follow_the_documented_openx_list(value: Any, expected: Any) -> None:
    assert _convert_value("sent_at", value) == expected


def test_fast_and_exact_timestamp_paths_agree() -> None:
    row = _base_row()
    exact = {**row, "sent_at": "2026-01-01T08:03:00.250Z"}
    fast = {**row, "sent_at": "2026-01-01 08:03:00.250"}
    assert (
        _rows(convert_records([orjson.dumps(exact)]))[0]["sent_at"]
        == (_rows(convert_records([orjson.dumps(fast)]))[0]["sent_at"])
    )


# -- numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1001234567890, -1001234567890),
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
        ("42", 42),
        ("-1001234567890", -1001234567890),
        ("0x1F", 31),
        (None, None),
        (2**63, FAILS),
        ("9223372036854775808", FAILS),
        ("12abc", FAILS),
        ("", FAILS),
        (" 42", FAILS),
        (1.5, FAILS),
        (1.0, FAILS),
        (True, FAILS),
        ({"id": 1}, FAILS),
        ([1], FAILS),
    ],
)
def test_bigint_takes_integers_and_integer_strings_in_range(value: Any, expected: Any) -> None:
    assert _convert_value("chat_id", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**31 - 1, 2**31 - 1),
        (-(2**31), -(2**31)),
        ("12", 12),
        (2**31, FAILS),
        ("2147483648", FAILS),
        (3.0, FAILS),
        (False, FAILS),
    ],
)
def test_int_takes_32_bit_integers_only(value: Any, expected: Any) -> None:
    assert _convert_value("text_length", value) == expected


# -- strings and booleans -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Olá 😀", "Olá 😀"),
        ("", ""),
        (12, "12"),
        (-1.5, "-1.5"),
        (True, "true"),
        ({"type": "user", "n": 1}, '{"type":"user","n":1}'),
        ([1, "b", None], '[1,"b",null]'),
        (None, None),
    ],
)
def test_string_takes_any_json_value_as_its_text(value: Any, expected: Any) -> None:
    assert _convert_value("chat_title", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("yes", False),
        (None, None),
        (1, FAILS),
        (0.0, FAILS),
        ({}, FAILS),
    ],
)
def test_boolean_takes_booleans_and_parses_strings_as_java_does(value: Any, expected: Any) -> None:
    assert _convert_value("user_is_bot", value) == expected


# -- arrays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["#oferta", "#promoção"], ["#oferta", "#promoção"]),
        ([], []),
        ([1, True], ["1", "true"]),
        (["#a", None], ["#a", None]),
        (None, None),
        ("#oferta", FAILS),
        ({"0": "#oferta"}, FAILS),
    ],
)
def test_array_of_string_takes_arrays_only(value: Any, expected: Any) -> None:
    assert _convert_value("hashtags", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([111, 222], [111, 222]),
        (["333"], [333]),
        ([None], [None]),
        (["x"], FAILS),
        ([2**63], FAILS),
        (5, FAILS),
    ],
)
def test_array_of_bigint_converts_each_element_as_a_bigint(value: Any, expected: Any) -> None:
    assert _convert_value("new_chat_member_ids", value) == expected


# -- records ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b"", EMPTY_RECORD_MESSAGE),
        (b" \n\t", EMPTY_RECORD_MESSAGE),
        (b"{not json", "not valid JSON"),
        (b'[{"update_id": 1}]', "not a JSON object"),
        (b'"just a string"', "not a JSON object"),
        (b'{"update_id": 1} trailing', "not valid JSON"),
        (b'{"update_id": NaN}', "not valid JSON"),
    ],
)
def test_a_record_that_is_not_json_objects_fails(record: bytes, message: str) -> None:
    conversion = convert_records([record])
    assert conversion.table.num_rows == 0
    (failure,) = conversion.failures
    assert (failure.index, failure.code) == (0, MALFORMED_DATA)
    assert message in failure.message


def test_several_json_objects_in_one_record_become_several_rows() -> None:
    conversion = convert_records([b'{"update_id": 1}{"update_id": 2}\n{"update_id": 3}\n'])
    assert [row["update_id"] for row in _rows(conversion)] == [1, 2, 3]
    assert conversion.row_records == [0, 0, 0]


def test_a_value_that_does_not_fit_fails_only_its_record() -> None:
    good = _base_row()
    bad = {**good, "update_id": good["update_id"] + 1, "message_id": "not a number"}
    also_good = {**good, "update_id": good["update_id"] + 2}
    conversion = convert_records([orjson.dumps(r) for r in (good, bad, also_good)])
    assert [row["update_id"] for row in _rows(conversion)] == [
        good["update_id"],
        also_good["update_id"],
    ]
    assert conversion.row_records == [0, 2]
    assert [failure.index for failure in conversion.failures] == [1]
    assert "message_id" in conversion.failures[0].message


def test_every_realistic_row_converts_unchanged() -> None:
    rows = [
        row for name in event_names() if (row := shape_row(event(name), RECEIVED_MS)) is not None
    ]
    conversion = convert_records([orjson.dumps(row) + b"\n" for row in rows])
    assert conversion.failures == []
    converted = _rows(conversion)
    assert [r["update_id"] for r in converted] == [r["update_id"] for r in rows]
    assert [r["hashtags"] for r in converted] == [r["hashtags"] for r in rows]
    assert all(r["received_at"] == datetime(2026, 1, 1, 8, 3, 10, 123000) for r in converted)


def test_parquet_round_trips_with_the_glue_schema() -> None:
    conversion = convert_records([orjson.dumps(_base_row())])
    table = pq.read_table(io.BytesIO(parquet_bytes(conversion.table)))
    assert table.schema.equals(arrow_schema())
    assert table.to_pylist() == conversion.table.to_pylist()
    metadata = pq.ParquetFile(io.BytesIO(parquet_bytes(conversion.table))).metadata
    assert metadata.row_group(0).column(0).compression == "SNAPPY"
