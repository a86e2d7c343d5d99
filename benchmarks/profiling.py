"""What bounds a figure: where a cProfile run spends its time, by module group."""

from __future__ import annotations

import cProfile
import pstats
import sysconfig
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import ROOT

_STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _group(filename: str) -> str:
    """`package/subpackage` for libraries and our code, `stdlib:module` for the stdlib."""
    if "site-packages/" in filename:
        parts = Path(filename.split("site-packages/", 1)[1]).parts
        return "/".join(parts[:2]).removesuffix(".py")
    path = Path(filename)
    if not path.is_absolute():
        return "builtins (C)"
    if _STDLIB in path.parents:
        return "stdlib:" + path.relative_to(_STDLIB).parts[0].removesuffix(".py")
    if ROOT in path.parents:
        return "/".join(path.relative_to(ROOT).parts[:2]).removesuffix(".py")
    return path.name


def own_time_by_group(function: Callable[[], object], limit: int = 8) -> dict[str, str]:
    """Share of own (not cumulative) time per module group in one profiled call, largest first.

    Built-in calls (C functions: orjson, pyarrow kernels, dict methods) are
    reported under their caller's group, where the decision to call them is.
    """
    profiler = cProfile.Profile()
    profiler.runcall(function)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    shares: Counter[str] = Counter()
    for (filename, _, _), (_, _, own, _, callers) in stats.items():
        group = _group(filename)
        if group == "builtins (C)" and callers:
            caller_file = max(callers.items(), key=lambda item: item[1][2])[0][0]
            group = _group(caller_file)
        shares[group] += own
    total = sum(shares.values()) or 1.0
    return {group: f"{own / total:.0%}" for group, own in shares.most_common(limit)}
