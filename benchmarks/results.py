"""One results file for every benchmark: figures merged by name into results.json.

Each benchmark module measures its figures and calls `record(figures)`; the file
keeps the latest value of every figure, so benchmarks can run alone or together.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Figure:
    """One measured figure, its goal, whether it met it, and the baseline it is compared to."""

    name: str
    value: float
    unit: str
    goal: str
    met: bool
    baseline: dict[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }


def load(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The current results file, or an empty one."""
    if path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return {"machine": {}, "figures": []}


def record(figures: Iterable[Figure], path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Merge figures (by name) into the results file and return its new content."""
    results = load(path)
    by_name = {f["name"]: f for f in results.get("figures", [])}
    for figure in figures:
        by_name[figure.name] = asdict(figure)
    results["machine"] = machine()
    results["figures"] = sorted(by_name.values(), key=lambda f: str(f["name"]))
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def format_value(value: float) -> str:
    """Readable number: 3 significant digits for small values, thousands separators for big."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(figures: Iterable[dict[str, Any]]) -> str:
    """The figures as a Markdown table (also what the README shows)."""
    lines = ["| figure | value | unit | goal | met |", "|---|---:|---|---|---|"]
    for f in figures:
        met = "yes" if f["met"] else "**no**"
        lines.append(
            f"| {f['name']} | {format_value(f['value'])} | {f['unit']} | {f['goal']} | {met} |"
        )
    return "\n".join(lines)


def print_figures(figures: Iterable[Figure]) -> None:
    """Print figures as a table on stdout."""
    print(table(asdict(f) for f in figures))
    sys.stdout.flush()
