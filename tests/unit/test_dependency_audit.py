"""The dependency audit: fails on a known vulnerability, only warns when it cannot look."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

import pytest

from scripts import dependency_audit
from scripts.dependency_audit import classify, project_requirements


def report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    verdict = classify(
        1,
        report(
            {"name": "boto3", "version": "1.0", "vulns": []},
            {
                "name": "urllib3",
                "version": "1.26.0",
                "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["1.26.18"]}],
            },
        ),
        "",
    )
    assert verdict.failed
    assert "urllib3 1.26.0: GHSA-xxxx (fixed in 1.26.18)" in verdict.message


def test_a_clean_audit_passes_and_counts_what_it_saw() -> None:
    verdict = classify(
        0,
        report(
            {"name": "boto3", "version": "1.0", "vulns": []},
            {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI"},
        ),
        "",
    )
    assert not verdict.failed
    assert verdict.message == "no known vulnerabilities in 1 dependencies, 1 not found on PyPI"


def test_unreachable_vulnerability_data_warns_without_failing() -> None:
    everything_skipped = report(
        {"name": "boto3", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "pyarrow", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    )
    verdict = classify(0, everything_skipped, "")
    assert not verdict.failed
    assert verdict.message.startswith("WARNING: vulnerability data unreachable")


@pytest.mark.parametrize(
    "stderr",
    [
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): "
        "Max retries exceeded",
        "urllib3.exceptions.NameResolutionError: Temporary failure in name resolution",
        "pip-audit timed out: ConnectionError (no answer in time)",
    ],
)
def test_a_network_failure_warns_without_failing(stderr: str) -> None:
    verdict = classify(1, "", stderr)
    assert not verdict.failed
    assert verdict.message.startswith("WARNING")


def test_any_other_failure_fails() -> None:
    verdict = classify(2, "", "usage: pip-audit ...\nerror: unrecognized arguments: --bogus")
    assert verdict.failed
    assert "unrecognized arguments" in verdict.message


def test_requirements_are_the_installed_closure_of_the_project_and_dev_extra() -> None:
    pinned = dict(line.split("==") for line in project_requirements())
    for runtime in ("boto3", "pyarrow", "aws-lambda-powertools", "botocore"):
        assert pinned[runtime] == metadata.version(runtime)
    for dev in ("hypothesis", "moto", "pytest"):
        assert dev in pinned
    assert "telegram-pipeline" not in pinned
    assert "pip" not in pinned or pinned["pip"] == metadata.version("pip")


def test_strict_fails_when_nothing_could_be_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    skipped = report({"name": "boto3", "skip_reason": "Dependency not found on PyPI"})
    monkeypatch.setattr(dependency_audit, "run_pip_audit", lambda requirements: (0, skipped, ""))
    assert dependency_audit.main([]) == 0
    assert dependency_audit.main(["--strict"]) == 1
