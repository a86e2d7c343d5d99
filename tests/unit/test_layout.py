"""What may import what (the layout rule): each folder one concern, the Lambda package lean.

| folder | may import at module level |
|---|---|
| functions | stdlib, boto3/botocore, Powertools, orjson (optional), glue_schema, functions |
| glue_schema | stdlib, glue_schema (pyarrow only inside the function that builds Arrow schemas) |
| infra | stdlib, troposphere, glue_schema, functions, infra |
| local | the above, pyarrow, duckdb, sqlglot, local (never scripts) |
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
ALLOWED: dict[str, set[str]] = {
    "functions": {"boto3", "botocore", "aws_lambda_powertools", "orjson", "glue_schema", "functions"},
    "glue_schema": {"glue_schema"},
    "infra": {"troposphere", "glue_schema", "functions", "infra"},
    "local": {
        "boto3", "botocore", "aws_lambda_powertools", "orjson", "glue_schema", "functions",
        "infra", "local", "pyarrow", "duckdb", "sqlglot",
    },
}  # fmt: skip
#: Imports that only type checkers see are free (mypy_boto3 stubs, for example).
TYPE_ONLY = {"mypy_boto3_firehose", "mypy_boto3_s3", "mypy_boto3_ssm"}


def module_level_imports(path: Path) -> set[str]:
    """Top-level package names imported at module level (not inside functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if isinstance(node, ast.Try | ast.If) else [node]:
            if isinstance(child, ast.Import):
                found |= {alias.name.split(".")[0] for alias in child.names}
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module.split(".")[0])
    return found


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_each_folder_imports_only_what_the_layout_allows(folder: str) -> None:
    broken = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        outside = module_level_imports(path) - STDLIB - ALLOWED[folder] - TYPE_ONLY
        if outside:
            broken[str(path.relative_to(ROOT))] = sorted(outside)
    assert broken == {}


def test_the_rule_catches_a_function_importing_the_local_stack(tmp_path: Path) -> None:
    bad = tmp_path / "handler.py"
    bad.write_text("import json\nfrom local.stack import LocalStack\n", encoding="utf-8")
    assert module_level_imports(bad) - STDLIB - ALLOWED["functions"] == {"local"}
