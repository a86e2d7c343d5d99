"""pruning_ratio: bytes DuckDB reads for a 7-day dashboard query on a 90-day lake, ÷ without dt filter.

The lake is written directly, one partition per day for the 90 days ending
today (UTC): each day's generated updates go through the real archiver shaping
and the real conversion (`local.conversion`) into `data/messages/dt=.../`, as
the delivery stream would have written them. The query is the `messages_per_day`
dashboard (Athena SQL, through the local engine: sqlglot → DuckDB) for 7 days;
its twin is the same query with the `dt BETWEEN ...` predicate replaced by TRUE.
Bytes read are DuckDB's own I/O counters (profiling output, `io.total_bytes_read`).

    python -m benchmarks.pruning
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from benchmarks.common import main, progress, rounded, scaled
from benchmarks.results import Figure
from functions.archiver.logic import IncomingRecord, transform
from glue_schema import MESSAGES
from glue_schema.views import QueryParameters, query_sql, render
from local.conversion import OpenXJsonReader, parquet_bytes
from local.generator import iter_updates
from local.query import LocalQueryEngine

DAYS = 90
WINDOW_DAYS = 7
UPDATES_PER_DAY = scaled(800)
QUERY = "messages_per_day"
TIME_ZONE = "America/Sao_Paulo"
#: The window plus one day either side is 9 of 90 partitions.
GOAL_RATIO = 0.11
_DAY_MS = 86_400_000


def write_lake(lake: Path, days: int = DAYS, per_day: int = UPDATES_PER_DAY) -> int:
    """One Parquet partition per day for the `days` days ending today (UTC); bytes written."""
    reader = OpenXJsonReader(MESSAGES)
    today = datetime.now(tz=UTC).date()
    written = 0
    for back in range(days):
        day = today - timedelta(days=back)
        start_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        rows = []
        updates = iter_updates(per_day, seed=back, start_time=start_ms // 1000)
        for index, update in enumerate(updates):
            arrival_ms = start_ms + index * (_DAY_MS // per_day)
            result = transform(IncomingRecord(f"{back}-{index}", arrival_ms, update.body))
            if result.result == "Ok":
                rows.append(result.data)
        partition = lake / "data" / "messages" / f"dt={day:%Y-%m-%d}"
        partition.mkdir(parents=True, exist_ok=True)
        body = parquet_bytes(reader.read(rows).table)
        (partition / f"bench-1-{day:%Y-%m-%d}-00-00-00-{back:04d}.parquet").write_bytes(body)
        written += len(body)
    return written


def without_dt_filter(sql: str) -> str:
    """The same Athena SQL with every `dt BETWEEN ...` predicate replaced by TRUE."""
    tree = sqlglot.parse_one(sql, read="trino")
    for between in list(tree.find_all(exp.Between)):
        if isinstance(between.this, exp.Column) and between.this.name == "dt":
            between.replace(exp.true())
    return tree.sql(dialect="trino")


def bytes_read(engine: LocalQueryEngine, sql: str, profile: Path) -> dict[str, Any]:
    """Run `sql`; DuckDB's I/O counters and the row count."""
    connection = engine._connection  # the engine's own connection: same views, same settings
    connection.execute("PRAGMA enable_profiling = 'json'")
    connection.execute(f"PRAGMA profiling_output = '{profile}'")
    try:
        _, rows = engine.query(sql)
    finally:
        connection.execute("PRAGMA disable_profiling")
    io = json.loads(profile.read_text(encoding="utf-8")).get("io", {})
    return {
        "bytes": int(io.get("total_bytes_read", 0)),
        "read_operations": int(io.get("total_read_operations", 0)),
        "result_rows": len(rows),
    }


def measure() -> list[Figure]:
    """Bytes read with and without the dt filter, on a fresh 90-day lake."""
    sql = render(query_sql(QUERY), QueryParameters(days=WINDOW_DAYS, tz=TIME_ZONE))
    unfiltered_sql = without_dt_filter(sql)
    if unfiltered_sql == sqlglot.parse_one(sql, read="trino").sql(dialect="trino"):
        raise RuntimeError(f"{QUERY} has no dt BETWEEN predicate to remove")
    with tempfile.TemporaryDirectory(prefix="tgpipe-bench-pruning-") as scratch:
        lake = Path(scratch) / "lake"
        progress(f"pruning: writing a {DAYS}-day lake ({UPDATES_PER_DAY:,} updates a day)")
        lake_bytes = write_lake(lake)
        with LocalQueryEngine(lake) as engine:
            progress(f"pruning: {QUERY} for {WINDOW_DAYS} days, with and without the dt filter")
            bytes_read(engine, sql, Path(scratch) / "warmup.json")  # metadata caches warm for both
            filtered = bytes_read(engine, sql, Path(scratch) / "filtered.json")
            unfiltered = bytes_read(engine, unfiltered_sql, Path(scratch) / "unfiltered.json")
    ratio = filtered["bytes"] / unfiltered["bytes"] if unfiltered["bytes"] else 1.0
    return [
        Figure(
            name="pruning_ratio",
            value=rounded(ratio, 3),
            unit="bytes read with dt filter ÷ without",
            goal=f"<= {GOAL_RATIO} ({WINDOW_DAYS}-day window + a day each side = 9 of {DAYS} partitions)",
            met=ratio <= GOAL_RATIO and filtered["result_rows"] == unfiltered["result_rows"],
            baseline={
                "name": f"the same {QUERY} query with its dt predicate replaced by TRUE",
                "value": unfiltered["bytes"],
                "unit": "bytes read",
                "read_operations": unfiltered["read_operations"],
            },
            detail={
                "query": QUERY,
                "filtered_bytes": filtered["bytes"],
                "filtered_read_operations": filtered["read_operations"],
                "result_rows": filtered["result_rows"],
                "same_result_rows": filtered["result_rows"] == unfiltered["result_rows"],
                "lake_days": DAYS,
                "lake_parquet_bytes": lake_bytes,
                "measured_by": "DuckDB profiling JSON, io.total_bytes_read",
                "how": "queries read {{window_messages_current}} / {{window_messages_unique}}: "
                "the views rendered with the dt range applied to messages below their "
                "row_number() windows (a dt filter above a window reaches no scan on Trino "
                "or DuckDB); the local engine reads each schema group of files without "
                "union_by_name, which would read every footer",
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
