"""What every benchmark shares: generated corpora, timing, and the run-and-record entry point."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from benchmarks.results import Figure, print_figures, record
from local.generator import iter_updates, write_ndjson

T = TypeVar("T")

#: Repository root: subprocesses (cold imports, `tgpipe serve`) run from here.
ROOT = Path(__file__).resolve().parent.parent
#: Generated corpora are deterministic (seeded), so they are cached between runs.
CACHE_DIR = Path(os.environ.get("TGPIPE_BENCH_CACHE", Path(tempfile.gettempdir()) / "tgpipe-bench"))
#: TGPIPE_BENCH_SCALE=0.1 runs every benchmark on a tenth of its sizes: a quick check of
#: the harness, not a measurement (the figures say so in their detail).
SCALE = float(os.environ.get("TGPIPE_BENCH_SCALE", "1"))
#: Arrival time given to replayed records: 2026-01-01 03:00 UTC, as the generator's first update.
REPLAY_ARRIVAL_MS = 1_767_236_400_000


def corpus(count: int, seed: int = 0) -> Path:
    """An NDJSON file of `count` generated updates (seed `seed`), generated once and cached."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"updates-{count}-seed{seed}.ndjson"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.partial")
        write_ndjson(partial, iter_updates(count, seed=seed))
        partial.replace(path)  # atomic: a concurrent or interrupted run never sees half a file
    return path


def scaled(count: int) -> int:
    """`count` times TGPIPE_BENCH_SCALE (at least 100)."""
    return max(100, round(count * SCALE))


def read_bodies(path: Path) -> list[bytes]:
    """The update bodies of an NDJSON file, one per non-empty line."""
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def timed(function: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one call, and its result."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def median_seconds(function: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median wall seconds of `repeats` calls, and every sample."""
    samples = [timed(function)[0] for _ in range(repeats)]
    return statistics.median(samples), samples


def alternating_process_medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall seconds of each command run as a fresh process, in alternating rounds.

    Alternating spreads a burst of load on this shared machine over every command; one
    unmeasured round first, so every module is byte-compiled.
    """
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(runs + 1):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603 - our own fixed argv
            if round_number:
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def rounded(value: float, digits: int = 4) -> float:
    """A value rounded for the results file (significant digits, not decimals)."""
    if value == 0:
        return 0.0
    return float(f"{value:.{digits}g}")


def progress(message: str) -> None:
    """One line of progress on stderr (stdout carries the table)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(measure: Callable[[], Sequence[Figure]]) -> None:
    """Measure, merge the figures into results.json and print them: what `python -m` runs."""
    figures = measure()
    if SCALE != 1:
        figures = [replace(f, detail={**f.detail, "scale": SCALE}) for f in figures]
    record(figures)
    print_figures(figures)


class TerminalOutput:
    """What reached the terminal (stdout and stderr, at the file-descriptor level)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0


@contextlib.contextmanager
def captured_terminal() -> Iterator[TerminalOutput]:
    """Capture fds 1 and 2 (loggers holding their own stream included) and count what arrived."""
    output = TerminalOutput()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield output
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            captured = sink.read()
            output.bytes = len(captured)
            output.lines = captured.count(b"\n")
