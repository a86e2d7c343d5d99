"""The benchmarks' speed-ups change nothing: each fast path gives what the plain path gave."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.rows import format_timestamp_ms, shape_row
from local import conversion
from tests.helpers import event, event_names

#: 0001-01-01 00:00:00.000 .. 9999-12-31 23:59:59.999 UTC in epoch milliseconds.
FIRST_MS, LAST_MS = -62135596800000, 253402300799999


def _datetime_format(epoch_ms: int) -> str:
    """The formatting the shaper used before its per-day cache: datetime, then strftime."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{epoch_ms % 1000:03d}"


@given(st.integers(min_value=FIRST_MS, max_value=LAST_MS))
def test_timestamp_text_is_the_datetime_formatting_for_every_representable_millisecond(
    epoch_ms: int,
) -> None:
    assert format_timestamp_ms(epoch_ms) == _datetime_format(epoch_ms)


@pytest.mark.parametrize("epoch_ms", [FIRST_MS - 1, LAST_MS + 1, 2**62, -(2**62)])
def test_timestamp_outside_years_1_to_9999_raises_value_error(epoch_ms: int) -> None:
    with pytest.raises(ValueError, match=r"range|ordinal"):
        format_timestamp_ms(epoch_ms)


def _mixed_records() -> list[bytes]:
    """Real shaped rows with every kind of bad record between them."""
    rows = [shape_row(event(name), 1767254590123) for name in event_names()]
    good = [orjson.dumps(row) for row in rows if row is not None]
    bad = [
        b"",
        b"   ",
        b"not json",
        b"[1, 2]",
        b'{"update_id": "0x1F", "USER_ID": 3}',
        b'{"update_id": 1.5}',
        b'{"a": 1}{"update_id": 7}',
        b'{"sent_at": "2026-13-01 00:00:00"}',
        b'{"Update_Id": 1, "update_id": 2}',
        b'{"text": 123, "hashtags": "x"}',
    ]
    records: list[bytes] = []
    for index, row in enumerate(good):
        records.append(row)
        records.append(bad[index % len(bad)])
    return records


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_a_batch_read_in_slices_gives_the_table_rows_and_failures_of_one_read(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # GIVEN a batch mixing good rows, rows that need coercion and failing records
    records = _mixed_records()
    whole = conversion.OpenXJsonReader().read(records)
    # WHEN it is read in slices of `chunk` records
    monkeypatch.setattr(conversion, "READ_CHUNK_RECORDS", chunk)
    sliced = conversion.OpenXJsonReader().read(records)
    # THEN the table, the row → record map and the failures are the same
    assert whole.failures, "the batch must hold failing records for this test to mean anything"
    assert sliced.table.equals(whole.table)
    assert sliced.row_records == whole.row_records
    assert sliced.failures == whole.failures
