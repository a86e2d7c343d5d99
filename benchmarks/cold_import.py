"""cold_import_ratio: a fresh interpreter importing a handler ÷ a fresh interpreter importing boto3.

Median of alternating runs (boto3, webhook, archiver, boto3, ...) so a burst of
load on this shared machine hits all three alike; one unmeasured round first so
every module is byte-compiled. Wall time of the whole process, as the Lambda
runtime's init phase sees it. The figure is the worse of the two handlers.

    python -m benchmarks.cold_import
"""

from __future__ import annotations

import sys

from benchmarks.common import alternating_process_medians, main, progress, rounded
from benchmarks.results import Figure

RUNS = 15
GOAL = 1.2
MODULES = {
    "boto3": "boto3",
    "webhook": "functions.webhook.handler",
    "archiver": "functions.archiver.handler",
}


def measure() -> list[Figure]:
    """The median import time of each handler over boto3's."""
    progress(f"cold_import: {RUNS} alternating rounds of boto3 / webhook / archiver")
    medians = alternating_process_medians(
        {name: [sys.executable, "-c", f"import {module}"] for name, module in MODULES.items()},
        RUNS,
    )
    ratios = {name: medians[name] / medians["boto3"] for name in ("webhook", "archiver")}
    worse = max(ratios, key=lambda name: ratios[name])
    return [
        Figure(
            name="cold_import_ratio",
            value=rounded(ratios[worse], 3),
            unit="× a fresh `import boto3`",
            goal=f"<= {GOAL} for both handlers (median of {RUNS} alternating runs)",
            met=all(ratio <= GOAL for ratio in ratios.values()),
            baseline={
                "name": "fresh interpreter: import boto3",
                "value": rounded(medians["boto3"] * 1000),
                "unit": "ms",
            },
            detail={
                "worse": worse,
                "webhook_ratio": rounded(ratios["webhook"], 3),
                "archiver_ratio": rounded(ratios["archiver"], 3),
                "median_ms": {name: rounded(value * 1000) for name, value in medians.items()},
                "runs": RUNS,
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
