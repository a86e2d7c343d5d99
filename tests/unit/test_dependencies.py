"""Every import is declared in pyproject.toml, where its folder needs it, and locked.

| code | its third-party imports are declared in |
|---|---|
| functions/ (the Lambda package) | the base dependencies |
| glue_schema/ | the base dependencies or `local` (pyarrow, inside arrow_schema only) |
| infra/ | the base dependencies or `aws` |
| local/ | the base dependencies or `local` |
| scripts/ | the base dependencies or any extra (`dev` for dependency_audit) |
| anything under TYPE_CHECKING | `dev` (mypy's stubs: boto3-stubs[service] gives mypy_boto3_service) |

Imports inside functions count as much as module-level ones. The lock (requirements/
dev.lock, `make lock`) must pin every declared distribution at a version its specifier
allows, so `make install` never runs with a stale lock. Reads files only: no network.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
PROJECT = "telegram-pipeline"
FIRST_PARTY = {"functions", "glue_schema", "infra", "local", "scripts"}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
#: The groups of pyproject.toml whose distributions each folder may import ("" = base).
FOLDER_GROUPS: dict[str, tuple[str, ...]] = {
    "functions": ("",),
    "glue_schema": ("", "local"),
    "infra": ("", "aws"),
    "local": ("", "local"),
    "scripts": ("", "aws", "local", "dev"),
}
TYPE_CHECKING_GROUPS = ("", "dev")
#: What only the local stack needs: never in the base dependencies or the aws extra.
LOCAL_ONLY = {"pyarrow", "duckdb", "sqlglot"}
_LOCK_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirements(group: str) -> list[Requirement]:
    """The requirements of one group ("" = base), the project's own extras expanded."""
    project = pyproject()["project"]
    lines = project["dependencies"] if group == "" else project["optional-dependencies"][group]
    found: list[Requirement] = []
    for line in lines:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == PROJECT:
            for extra in sorted(requirement.extras):
                found += requirements(extra)
        else:
            found.append(requirement)
    return found


def declared(groups: tuple[str, ...]) -> set[str]:
    """Canonical distribution names the groups declare; boto3-stubs[s3] declares mypy-boto3-s3."""
    names: set[str] = set()
    for group in groups:
        for requirement in requirements(group):
            name = canonicalize_name(requirement.name)
            names.add(name)
            if name == "boto3-stubs":
                names |= {canonicalize_name(f"mypy-boto3-{extra}") for extra in requirement.extras}
    return names


@cache
def _import_to_distributions() -> Mapping[str, list[str]]:
    return packages_distributions()


def distribution_of(module: str) -> str:
    """The distribution that provides a top-level import (its own name when not installed)."""
    found = _import_to_distributions().get(module)
    return canonicalize_name(found[0] if found else module)


def third_party_imports(path: Path) -> list[tuple[str, int, bool]]:
    """(top-level module, line, under TYPE_CHECKING) for every non-stdlib, non-project import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only |= {id(child) for statement in node.body for child in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module.split(".")[0]]
        else:
            continue
        found += [
            (module, node.lineno, id(node) in type_only)
            for module in modules
            if module not in STDLIB and module not in FIRST_PARTY
        ]
    return found


@pytest.mark.parametrize("folder", sorted(FOLDER_GROUPS))
def test_every_import_is_declared_where_its_folder_needs_it(folder: str) -> None:
    undeclared = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module, line, type_only in third_party_imports(path):
            groups = TYPE_CHECKING_GROUPS if type_only else FOLDER_GROUPS[folder]
            distribution = distribution_of(module)
            if distribution not in declared(groups):
                where = " or ".join(f"[{group}]" if group else "base" for group in groups)
                undeclared.append(
                    f"{path.relative_to(ROOT)}:{line} imports {module} "
                    f"(distribution {distribution}): declare it in {where}"
                )
    assert not undeclared, "\n".join(undeclared)


def test_the_scan_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    code = tmp_path / "example.py"
    code.write_text(
        "import json\nfrom typing import TYPE_CHECKING\nimport boto3\n"
        "if TYPE_CHECKING:\n    from mypy_boto3_s3 import S3Client\n"
        "def f():\n    import pyarrow.parquet as pq\n    from functions import jsoncodec\n",
        encoding="utf-8",
    )
    assert third_party_imports(code) == [
        ("boto3", 3, False),
        ("mypy_boto3_s3", 5, True),
        ("pyarrow", 7, False),
    ]
    assert "mypy-boto3-s3" in declared(TYPE_CHECKING_GROUPS)
    assert "pyarrow" not in declared(FOLDER_GROUPS["functions"])


def test_the_aws_install_has_no_local_stack_dependency() -> None:
    # Directly; transitively is checked by make install-check in fresh venvs.
    assert declared(("", "aws")) & LOCAL_ONLY == set()
    assert declared(("local",)) >= LOCAL_ONLY


def test_dev_holds_both_extras() -> None:
    assert declared(("aws",)) | declared(("local",)) <= declared(("dev",))


def locked(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in _LOCK_PIN.findall(text)}


def test_the_lock_pins_every_declared_distribution_at_an_allowed_version() -> None:
    pins = locked("dev.lock")
    build = [Requirement(line) for line in pyproject()["build-system"]["requires"]]
    stale = []
    for requirement in [*requirements(""), *requirements("dev"), *build]:
        name = canonicalize_name(requirement.name)
        version = pins.get(name)
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version or 'absent'})")
    assert not stale, "requirements/dev.lock is stale (run `make lock`): " + ", ".join(stale)
    assert "pip" in pins  # make install installs pip from the lock too


def test_checkov_is_locked_within_its_range() -> None:
    wanted = next(
        Requirement(line)
        for line in (ROOT / "requirements" / "checkov.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert wanted.specifier.contains(locked("checkov.lock")["checkov"])


def test_every_lock_line_carries_hashes() -> None:
    for lock in ("dev.lock", "checkov.lock"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        # A pin and its indented lines (hashes, then `# via` comments).
        blocks = re.findall(r"^[A-Za-z0-9][^\n]*\n(?:[ \t][^\n]*\n)*", text, re.MULTILINE)
        assert blocks, lock
        assert [block for block in blocks if "--hash=sha256:" not in block] == [], lock


def test_the_constraints_are_the_lock_s_pins() -> None:
    # requirements/constraints.txt: what `pip install -c` of an extra uses (make install-check).
    assert locked("constraints.txt") == locked("dev.lock")
