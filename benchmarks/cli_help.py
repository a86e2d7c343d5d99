"""help_start_ratio: `tgpipe --help` in a fresh interpreter ÷ a bare `python -c pass`.

`tgpipe --help` reads the command table only (scripts/cli.py): no command module,
no duckdb, pyarrow or boto3. Median of alternating runs, wall time of the process.

    python -m benchmarks.cli_help
"""

from __future__ import annotations

import sys

from benchmarks.common import alternating_process_medians, main, progress, rounded
from benchmarks.results import Figure

RUNS = 15
GOAL = 3.0
COMMANDS = {
    "bare": [sys.executable, "-c", "pass"],
    "help": [sys.executable, "-m", "scripts.cli", "--help"],
    "chats_help": [sys.executable, "-m", "scripts.cli", "chats", "--help"],
}


def measure() -> list[Figure]:
    """The median `--help` start over a bare interpreter start."""
    progress(f"cli_help: {RUNS} alternating rounds of python -c pass / tgpipe --help")
    medians = alternating_process_medians(COMMANDS, RUNS)
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
