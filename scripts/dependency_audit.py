"""`python -m scripts.dependency_audit`: pip-audit on the project's installed dependencies.

Audits exactly the distributions the project resolves to in this environment
(its runtime and `dev` dependencies, transitively, pinned to the installed
versions) against PyPI's vulnerability data. A known vulnerability fails
(exit 1). When that data cannot be reached (offline CI, a registry mirror
without PyPI's JSON API) nothing could be audited: that is reported loudly but
does not fail the build, unless --strict is given.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "telegram-pipeline"
EXTRAS = ("dev",)
TIMEOUT_SECONDS = 300
#: Phrases requests/urllib3 put in errors when the vulnerability service is unreachable.
_NETWORK_ERRORS = re.compile(
    r"ConnectionError|Max retries exceeded|timed out|Temporary failure in name resolution|"
    r"Name or service not known|Failed to establish a new connection|Network is unreachable|"
    r"SSLError|ProxyError",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """The audit's result: fail or not, and one line (or a few) to print."""

    failed: bool
    message: str


def project_requirements(project: str = PROJECT, extras: Iterable[str] = EXTRAS) -> list[str]:
    """`name==version` of every installed distribution the project depends on (transitively)."""
    pinned: dict[str, str] = {}
    queue: list[tuple[str, frozenset[str]]] = [(project, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, wanted_extras = queue.pop()
        key = (canonicalize_name(name), wanted_extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency for another platform
        if canonicalize_name(name) != canonicalize_name(project):
            pinned[canonicalize_name(name)] = distribution.version
        for line in distribution.requires or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in wanted_extras] or [{"extra": ""}]
            if requirement.marker is not None and not any(
                requirement.marker.evaluate(environment) for environment in environments
            ):
                continue
            queue.append((requirement.name, frozenset(requirement.extras)))
    return [f"{name}=={version}" for name, version in sorted(pinned.items())]


def classify(returncode: int, stdout: str, stderr: str) -> Verdict:
    """Turn pip-audit's JSON report (or its failure) into a verdict."""
    try:
        report = json.loads(stdout)
        dependencies = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        if _NETWORK_ERRORS.search(stderr):
            return Verdict(False, "WARNING: vulnerability data unreachable; nothing was audited")
        last = stderr.strip().splitlines()[-1:] or [f"exit {returncode}"]
        return Verdict(True, f"pip-audit failed: {last[0]}")
    vulnerable = [
        f"{d['name']} {d.get('version', '?')}: {v.get('id', '?')} (fixed in "
        f"{', '.join(v.get('fix_versions') or []) or 'no release yet'})"
        for d in dependencies
        for v in d.get("vulns") or []
    ]
    if vulnerable:
        return Verdict(True, "known vulnerabilities:\n  " + "\n  ".join(vulnerable))
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = len(dependencies) - len(audited)
    if dependencies and not audited:
        return Verdict(
            False,
            f"WARNING: vulnerability data unreachable; none of {skipped} dependencies "
            "was audited (PyPI's JSON API did not answer for them)",
        )
    note = f", {skipped} not found on PyPI" if skipped else ""
    return Verdict(False, f"no known vulnerabilities in {len(audited)} dependencies{note}")


def run_pip_audit(requirements: list[str]) -> tuple[int, str, str]:
    """pip-audit on pinned requirements, without resolving or installing anything."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "requirements.txt"
        path.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(path),
            "--no-deps",
            "--disable-pip",
            "--vulnerability-service",
            "pypi",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--timeout",
            "20",
        ]
        try:
            result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            return 1, "", "pip-audit timed out: ConnectionError (no answer in time)"
    return result.returncode, result.stdout, result.stderr


def main(argv: list[str] | None = None) -> int:
    """Audit; 1 on a known vulnerability (or, with --strict, when nothing could be audited)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--strict", action="store_true", help="also fail when vulnerability data is unreachable"
    )
    args = parser.parse_args(argv)
    requirements = project_requirements()
    verdict = classify(*run_pip_audit(requirements))
    print(f"dependency audit ({len(requirements)} pinned): {verdict.message}")
    if verdict.failed:
        return 1
    return 1 if args.strict and verdict.message.startswith("WARNING") else 0


if __name__ == "__main__":
    raise SystemExit(main())
