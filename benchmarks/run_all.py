"""Run every benchmark, each in a fresh interpreter, then print the whole results table.

    python -m benchmarks.run_all [MODULE ...]     (what `make bench` runs)

Each module measures its figures and merges them into benchmarks/results.json;
a fresh process each keeps one benchmark's imports, environment and installed
clients from touching the next. `cost` runs last: it prices the webhook's
measured duration and the seed's measured ETL speed from the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.common import ROOT
from benchmarks.results import load, table

#: In order: the cheap, quiet measurements first, the loopback HTTP one apart.
MODULES = (
    "cold_import",
    "cli_help",
    "webhook_overhead",
    "replay",
    "import_export",
    "ingest",
    "http_ingest",
    "pruning",
    "cost",
    "chaos",
    "soak",
)


def main(argv: list[str]) -> int:
    """Run the named modules (default: all), print the table; 1 if any module failed."""
    modules = argv or list(MODULES)
    unknown = [name for name in modules if name not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        return 2
    failed = []
    started = time.perf_counter()
    for name in modules:
        module_started = time.perf_counter()
        result = subprocess.run(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", f"benchmarks.{name}"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # each prints its own table; the whole one is below
            check=False,
        )
        seconds = time.perf_counter() - module_started
        print(
            f"[bench] {name}: {'ok' if result.returncode == 0 else 'FAILED'} in {seconds:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        if result.returncode != 0:
            failed.append(name)
    results = load()
    print(f"\nmachine: {results.get('machine', {})}")
    print(f"benchmarks took {time.perf_counter() - started:.0f} s\n")
    print(table(results.get("figures", [])))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
