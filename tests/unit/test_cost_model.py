"""benchmarks/cost.py prices every delivery stream of the committed template with the update mix."""

from __future__ import annotations

import pytest

from benchmarks import cost
from glue_schema import DELIVERED_TABLES

#: A webhook measured at 0.02 ms an update, writing no log line (the template's defaults).
WEBHOOK = {"ms": 0.02, "log_bytes": 0.0, "emf_bytes": 0.0}


def test_the_mix_gives_each_stream_its_updates_and_join_leave_messages_twice() -> None:
    assert sum(cost.UPDATE_MIX.values()) == pytest.approx(1 + cost.DOUBLE_PUT_SHARE)
    loads = cost.stream_loads(cost.Template())
    assert {load.table for load in loads} == {table.name for table in DELIVERED_TABLES}
    records = sum(load.records for load in loads)
    assert abs(records - cost.MESSAGES * (1 + cost.DOUBLE_PUT_SHARE)) <= len(loads)
    # Reactions and chat_member updates moved out of the messages stream.
    by_table = {load.table: load.records for load in loads}
    assert by_table["messages"] < cost.MESSAGES


def test_the_bill_counts_second_puts_and_every_streams_batches() -> None:
    lines, facts = cost.our_bill(cost.Template(), WEBHOOK)
    bill = {line.item: line for line in lines}
    put_twice = facts["update_mix"]["put_twice"]
    assert put_twice > 0
    assert f"{cost.MESSAGES + put_twice:,} records" in bill["Firehose ingestion"].arithmetic
    assert f"{put_twice:,} second puts" in bill["webhook compute"].arithmetic
    by_stream = facts["at_1m_per_month_interval_bound_extra_usd_by_stream"]
    assert set(by_stream) == {table.name for table in DELIVERED_TABLES}
    # Each stream flushes at most once per interval: an archive object and a call a
    # minute, a Parquet object every five minutes.
    most = 43_200 * (cost.price("s3_put") + cost.price("lambda_request")) + 8_640 * cost.price(
        "s3_put"
    )
    assert all(0 < usd <= most + 0.001 for usd in by_stream.values())
