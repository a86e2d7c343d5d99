"""help_start_ratio: `tgpipe --help` in a fresh interpreter ÷ a bare `python -c pass`.

`tgpipe --help` reads the command table only (scripts/cli.py): no command module,
no duckdb, pyarrow or boto3. Median of alternating runs, wall time of the process.

    python -m benchmarks.cli_help
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.common import ROOT, main, progress, rounded
from benchmarks.results import Figure

RUNS = 15
GOAL = 3.0
COMMANDS = {
    "bare": [sys.executable, "-c", "pass"],
    "help": [sys.executable, "-m", "scripts.cli", "--help"],
    "chats_help": [sys.executable, "-m", "scripts.cli", "chats", "--help"],
}


def seconds(command: list[str]) -> float:
    """Wall seconds of one run of `command`."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603 - fixed argv
    return time.perf_counter() - started


def measure() -> list[Figure]:
    """The median `--help` start over a bare interpreter start."""
    progress(f"cli_help: {RUNS} alternating rounds of python -c pass / tgpipe --help")
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for round_number in range(RUNS + 1):
        for name, command in COMMANDS.items():
            taken = seconds(command)
            if round_number:  # the first round compiles bytecode
                samples[name].append(taken)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["help"] / medians["bare"]
    return [
        Figure(
            name="help_start_ratio",
            value=rounded(ratio, 3),
            unit="× a bare `python -c pass`",
            goal=f"<= {GOAL:g} (median of {RUNS} alternating runs)",
            met=ratio <= GOAL,
            baseline={
                "name": "fresh interpreter: python -c pass",
                "value": rounded(medians["bare"] * 1000),
                "unit": "ms",
            },
            detail={
                "median_ms": {name: rounded(value * 1000) for name, value in medians.items()},
                "chats_help_ratio": rounded(medians["chats_help"] / medians["bare"], 3),
                "runs": RUNS,
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
