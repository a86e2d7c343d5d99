"""The Lambda package is functions/ + glue_schema/: no pyarrow, no duckdb at import."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["functions.webhook.handler", "functions.archiver.handler", "glue_schema"]
)
def test_handler_import_pulls_in_neither_pyarrow_nor_duckdb(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pyarrow', 'duckdb', 'sqlglot', 'troposphere', 'local', 'scripts', 'infra'}); "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()[1:]
    }
    assert "pyarrow" not in imported
    assert "duckdb" not in imported


def test_the_license_is_an_spdx_string_so_installs_do_not_warn() -> None:
    # setuptools warns on every install about the older `license = { text = ... }` table.
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"]
