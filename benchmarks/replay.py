"""replay_throughput_ratio, scaling_linearity: raw NDJSON → Parquet, ours against the seed's.

Our path is what a replay of the raw archive runs: each raw update through the
archiver's shaping (`functions.archiver.logic.transform`: parse, shape, encode
the row as Firehose would receive it), then the local delivery stream's
conversion (`local.conversion`: OpenX JSON SerDe rules, Glue schema, Arrow),
one SNAPPY Parquet file per Firehose buffer (the template's default size).
The seed's path (benchmarks/baselines/seed.py) runs on the same updates, one
file per update as it stored them.

    python -m benchmarks.replay
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.baselines.seed import daily_etl, write_update_files
from benchmarks.common import (
    REPLAY_ARRIVAL_MS,
    corpus,
    main,
    median_seconds,
    progress,
    read_bodies,
    rounded,
    scaled,
    timed,
)
from benchmarks.profiling import own_time_by_group
from benchmarks.results import Figure
from functions import jsoncodec
from functions.archiver.logic import IncomingRecord, transform
from glue_schema import MESSAGES
from infra.names import DEFAULT_BUFFER_MB
from local.conversion import OpenXJsonReader, parquet_bytes

SMALL = scaled(20_000)
LARGE = scaled(200_000)
#: The seed's scaling is measured at half the small size and at the small size: at
#: 2× that it would take many minutes (its cost per update grows with the day).
SEED_HALF = SMALL // 2
REPEATS = 3
BUFFER_BYTES = DEFAULT_BUFFER_MB * 1024 * 1024
GOAL_RATIO = 100.0
GOAL_LINEARITY = 0.9
GOAL_CONVERSION_RATIO = 0.7


@dataclass(frozen=True)
class ReplayResult:
    """What one replay wrote."""

    updates: int
    rows: int
    parquet_files: int
    parquet_bytes: int


def replay_ndjson(source: Path, output: Path, buffer_bytes: int = BUFFER_BYTES) -> ReplayResult:
    """Raw NDJSON → archiver shaping → OpenX conversion → one Parquet file per buffer."""
    reader = OpenXJsonReader(MESSAGES)
    output.mkdir(parents=True, exist_ok=True)
    rows: list[bytes] = []
    buffered = updates = total_rows = files = written = 0

    def write() -> None:
        nonlocal rows, buffered, total_rows, files, written
        conversion = reader.read(rows)
        body = parquet_bytes(conversion.table)
        (output / f"part-{files:05d}.parquet").write_bytes(body)
        total_rows += conversion.table.num_rows
        files += 1
        written += len(body)
        rows, buffered = [], 0

    with source.open("rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            result = transform(IncomingRecord(str(updates), REPLAY_ARRIVAL_MS, line))
            updates += 1
            if result.result == "Ok":
                rows.append(result.data)
            buffered += len(line)
            if buffered >= buffer_bytes:
                write()
    if rows:
        write()
    return ReplayResult(updates, total_rows, files, written)


def _ours_per_second(source: Path, work: Path, repeats: int) -> tuple[float, ReplayResult]:
    results: list[ReplayResult] = []

    def once() -> None:
        shutil.rmtree(work, ignore_errors=True)
        results.append(replay_ndjson(source, work))

    seconds, _ = median_seconds(once, repeats)
    return results[-1].updates / seconds, results[-1]


def _seed_per_second(bodies: list[bytes], work: Path) -> tuple[float, int]:
    files = work / "updates"
    shutil.rmtree(work, ignore_errors=True)
    write_update_files(bodies, files)
    seconds, rows = timed(lambda: daily_etl(files, work / "day.parquet"))
    return len(bodies) / seconds, rows


def _conversion_ratio(source: Path) -> tuple[float, dict[str, float]]:
    """Our conversion step alone vs plain `from_pylist` + `write_table`, on the same row bytes."""
    rows = []
    for index, line in enumerate(read_bodies(source)):
        result = transform(IncomingRecord(str(index), REPLAY_ARRIVAL_MS, line))
        if result.result == "Ok":
            rows.append(result.data)
    reader = OpenXJsonReader(MESSAGES)

    def ours() -> None:
        parquet_bytes(reader.read(rows).table)

    def plain() -> None:
        table = pa.Table.from_pylist([jsoncodec.loads(row) for row in rows])
        pq.write_table(table, pa.BufferOutputStream(), compression="snappy")

    samples: dict[str, list[float]] = {"ours": [], "plain": []}
    for _ in range(5):  # alternated, so a burst of load hits both sides alike
        samples["ours"].append(timed(ours)[0])
        samples["plain"].append(timed(plain)[0])
    ours_s, plain_s = statistics.median(samples["ours"]), statistics.median(samples["plain"])
    return plain_s / ours_s, {"rows": len(rows), "ours_s": ours_s, "plain_s": plain_s}


def measure() -> list[Figure]:
    """Our replay throughput at 20k and 200k, the seed's at 10k and 20k, the conversion ratio."""
    small, large = corpus(SMALL), corpus(LARGE)
    with tempfile.TemporaryDirectory(prefix="tgpipe-bench-replay-") as scratch:
        work = Path(scratch)
        progress(f"replay: ours on {SMALL:,} updates (median of {REPEATS})")
        ours_small, result_small = _ours_per_second(small, work / "ours", REPEATS)
        progress(f"replay: ours on {LARGE:,} updates")
        ours_large, result_large = _ours_per_second(large, work / "ours", 1)
        profile = own_time_by_group(lambda: replay_ndjson(small, work / "profiled"))
        progress("replay: conversion step alone vs plain pyarrow")
        conversion_ratio, conversion = _conversion_ratio(small)
        bodies = read_bodies(small)
        progress(f"replay: the seed's approach on {SEED_HALF:,} updates")
        seed_half, _ = _seed_per_second(bodies[:SEED_HALF], work / "seed")
        progress(f"replay: the seed's approach on {SMALL:,} updates (minutes)")
        seed_small, seed_rows = _seed_per_second(bodies, work / "seed")
    ratio = ours_small / seed_small
    linearity = ours_large / ours_small
    seed_linearity = seed_small / seed_half
    seed_baseline = {
        "name": "seed approach (benchmarks/baselines/seed.py): one JSON file per update, "
        "json.loads each, Table.from_pydict per update, concat_tables, one Parquet write",
        "value": rounded(seed_small),
        "unit": "updates/s",
        "updates": SMALL,
        "rows": seed_rows,
    }
    return [
        Figure(
            name="replay_throughput_ratio",
            value=rounded(ratio, 3),
            unit="× the seed approach",
            goal=f">= {GOAL_RATIO:g}× (same {SMALL:,} updates); conversion alone >= "
            f"{GOAL_CONVERSION_RATIO} × plain pyarrow",
            met=ratio >= GOAL_RATIO and conversion_ratio >= GOAL_CONVERSION_RATIO,
            baseline=seed_baseline,
            detail={
                "updates_per_second": rounded(ours_small),
                "updates": result_small.updates,
                "rows": result_small.rows,
                "parquet_files": result_small.parquet_files,
                "conversion_ratio": rounded(conversion_ratio, 3),
                "conversion_ratio_goal_met": conversion_ratio >= GOAL_CONVERSION_RATIO,
                "conversion_baseline": "orjson.loads per row + pa.Table.from_pylist (inferred "
                "types) + pq.write_table (snappy), same row bytes",
                "conversion_seconds": {k: rounded(v) for k, v in conversion.items()},
                "own_time_by_group": profile,
            },
        ),
        Figure(
            name="scaling_linearity",
            value=rounded(linearity, 3),
            unit=f"throughput at {LARGE:,} ÷ at {SMALL:,}",
            goal=f">= {GOAL_LINEARITY}",
            met=linearity >= GOAL_LINEARITY,
            baseline={
                "name": f"seed approach, throughput at {SMALL:,} ÷ at {SEED_HALF:,} "
                "(2× the size; larger does not finish in minutes)",
                "value": rounded(seed_linearity, 3),
                "unit": "ratio",
                "updates_per_second": {
                    str(SEED_HALF): rounded(seed_half),
                    str(SMALL): rounded(seed_small),
                },
            },
            detail={
                "updates_per_second": {
                    str(SMALL): rounded(ours_small),
                    str(LARGE): rounded(ours_large),
                },
                "parquet_files": {
                    str(SMALL): result_small.parquet_files,
                    str(LARGE): result_large.parquet_files,
                },
                "buffer_mb": DEFAULT_BUFFER_MB,
            },
        ),
    ]


if __name__ == "__main__":
    main(measure)
