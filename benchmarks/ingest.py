"""ingest_throughput and parquet_size_ratio: `tgpipe ingest` end to end on 50,000 updates.

The whole path of `tgpipe ingest`, in process: `scripts.ingest.ingest()` reads
the NDJSON file and pushes each update through the unchanged webhook handler
(as an API Gateway event), the local delivery stream's durable spool (fsync
per group commit), the archiver (raw gzip archive + rows) and the Parquet
conversion, then the final flush. Timed from the first update to the flushed
lake, with the stack configured exactly as the command configures it; what
reaches the terminal meanwhile is counted (per-request logs must not flood it).

parquet_size_ratio compares the Parquet of the same updates, converted as the
deployed stream converts them (one file per template-default 128 MiB buffer),
with the raw NDJSON and with its gzip (what the raw archive stores).

    python -m benchmarks.ingest
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import captured_terminal, corpus, main, progress, rounded, scaled, timed
from benchmarks.replay import replay_ndjson
from benchmarks.results import Figure
from local.generator import DEFAULT_CHAT_ID
from local.stack import LocalStack, StackConfig
from scripts.ingest import WORKERS, IngestReport, ingest, stack_config

UPDATES = scaled(50_000)
GOAL_PER_SECOND = 8_000
GOAL_SIZE_RATIO = 0.2
#: More than this on the terminal for 50,000 updates is a flood (a progress bar is fine).
MAX_TERMINAL_LINES = 20


def _lake_bytes(lake: Path, prefix: str, suffix: str) -> tuple[int, int]:
    files = [p for p in (lake / prefix).rglob(f"*{suffix}") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def run_ingest(source: Path, lake: Path) -> dict[str, Any]:
    """One `tgpipe ingest` run into `lake`: seconds, counts, terminal output."""
    with (
        captured_terminal() as terminal,
        LocalStack(stack_config(lake, frozenset({DEFAULT_CHAT_ID}))) as stack,
    ):

        def ingest_and_flush() -> IngestReport:
            report = ingest(stack, [source])
            stack.flush()
            return report

        seconds, report = timed(ingest_and_flush)
        stats = stack.stats()
    return {
        "seconds": seconds,
        "accepted": report.accepted,
        "rejected": report.rejected + report.failed,
        "rows_written": stats.rows_written,
        "parquet_objects": stats.parquet_objects,
        "raw_objects": stats.raw_objects,
        "terminal_lines": terminal.lines,
        "terminal_bytes": terminal.bytes,
    }


def _without_fsync(source: Path, lake: Path) -> float:
    """The same run with fsync a no-op: not durable, only to show what bounds the real one."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        return float(run_ingest(source, lake)["seconds"])
    finally:
        os.fsync = real_fsync


def measure() -> list[Figure]:
    """Updates/s of `tgpipe ingest` end to end; Parquet bytes per raw byte of the same updates."""
    source = corpus(UPDATES)
    with tempfile.TemporaryDirectory(prefix="tgpipe-bench-ingest-") as scratch:
        work = Path(scratch)
        progress(f"ingest: {UPDATES:,} updates through `tgpipe ingest`'s path")
        run = run_ingest(source, work / "lake")
        local_parquet = _lake_bytes(work / "lake", "data/messages", ".parquet")
        progress("ingest: the same run with fsync disabled (what bounds it)")
        no_fsync_seconds = _without_fsync(source, work / "lake-no-fsync")
        progress("parquet_size_ratio: converting with the template's buffer size")
        converted = replay_ndjson(source, work / "converted")
    raw = source.read_bytes()
    gzip_bytes = len(gzip.compress(raw, compresslevel=6))
    per_second = UPDATES / run["seconds"]
    flood = run["terminal_lines"] > MAX_TERMINAL_LINES
    size_ratio = converted.parquet_bytes / len(raw)
    return [
        Figure(
            name="ingest_throughput",
            value=rounded(per_second),
            unit="updates/s",
            goal=f">= {GOAL_PER_SECOND:,}/s on {UPDATES:,} updates, no terminal flood",
            met=per_second >= GOAL_PER_SECOND and not flood and run["rejected"] == 0,
            baseline={
                "name": "the same run with fsync a no-op (not durable): the CPU-bound ceiling",
                "value": rounded(UPDATES / no_fsync_seconds),
                "unit": "updates/s",
            },
            detail={
                **{k: rounded(v) if isinstance(v, float) else v for k, v in run.items()},
                "workers": WORKERS,
                "bound": "each put waits for the spool's fsync (group commit over the "
                "workers' concurrent puts). The delivery (archiver + conversion) runs in a "
                "worker process on the second core; what remains is the main process's "
                "handler path under one interpreter lock, where the threads the group commit "
                "needs cost GIL hand-offs: one thread without fsync does ~12,000 updates/s, "
                "32 threads ~6,800/s (py-spy, GIL samples). The baseline is the same run "
                "without the spool's fsync",
                "local_parquet_files": local_parquet[0],
            },
        ),
        Figure(
            name="parquet_size_ratio",
            value=rounded(size_ratio, 3),
            unit="Parquet bytes ÷ raw NDJSON bytes",
            goal=f"<= {GOAL_SIZE_RATIO}",
            met=size_ratio <= GOAL_SIZE_RATIO,
            baseline={
                "name": "gzip -6 of the same NDJSON (what the raw archive stores)",
                "value": gzip_bytes,
                "unit": "bytes",
                "parquet_to_gzip_ratio": rounded(converted.parquet_bytes / gzip_bytes, 3),
            },
            detail={
                "updates": UPDATES,
                "rows": converted.rows,
                "raw_ndjson_bytes": len(raw),
                "parquet_bytes": converted.parquet_bytes,
                "parquet_files": converted.parquet_files,
                "as_written_by_local_ingest": {
                    "buffer_mb": StackConfig.buffer_mb,
                    "files": local_parquet[0],
                    "bytes": local_parquet[1],
                    "ratio": rounded(local_parquet[1] / len(raw), 3),
                },
            },
        ),
    ]


if __name__ == "__main__":
    main(measure)
