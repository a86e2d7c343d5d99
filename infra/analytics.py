"""Athena: one enforced workgroup and one named query per dashboard .sql file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from troposphere import Ref, Sub
from troposphere.athena import (
    EncryptionConfiguration,
    EngineVersion,
    NamedQuery,
    ResultConfiguration,
    WorkGroup,
    WorkGroupConfiguration,
)

from glue_schema.views import QueryParameters, render
from infra import names as n

#: Where the dashboards' SQL lives (glue_schema is the single source of SQL).
QUERIES_DIR = Path(__file__).resolve().parent.parent / "glue_schema" / "queries"
ATHENA_ENGINE = "Athena engine version 3"
RESULTS_PREFIX = "results/"


def workgroup() -> WorkGroup:
    """Engine v3, settings enforced, SSE-S3 results in the results bucket, scan cutoff."""
    return WorkGroup(
        n.R_WORKGROUP,
        Name=Sub("${AWS::StackName}"),
        Description="telegram-pipeline queries and dashboards.",
        State="ENABLED",
        # Named queries live in the workgroup; let stack deletion remove them with it.
        RecursiveDeleteOption=True,
        WorkGroupConfiguration=WorkGroupConfiguration(
            EnforceWorkGroupConfiguration=True,
            PublishCloudWatchMetricsEnabled=True,
            BytesScannedCutoffPerQuery=Ref(n.P_BYTES_SCANNED_CUTOFF),
            EngineVersion=EngineVersion(SelectedEngineVersion=ATHENA_ENGINE),
            ResultConfiguration=ResultConfiguration(
                OutputLocation=Sub("s3://${%s}/%s" % (n.R_RESULTS_BUCKET, RESULTS_PREFIX)),
                EncryptionConfiguration=EncryptionConfiguration(EncryptionOption="SSE_S3"),
            ),
        ),
    )


def _logical_id(stem: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", stem)
    return "Query" + "".join(word[:1].upper() + word[1:] for word in words if word)


def saved_query_text(sql: str) -> str:
    """A query file as Athena stores it: header comments off, placeholders at their defaults."""
    lines = sql.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    # A saved query must run as is from the console, so {{days}}/{{tz}} get their defaults.
    return render("\n".join(lines).strip(), QueryParameters())


def named_queries(queries_dir: Path = QUERIES_DIR) -> list[NamedQuery]:
    """One AWS::Athena::NamedQuery per .sql file, named after the file, in name order."""
    queries = []
    for path in sorted(queries_dir.glob("*.sql")):
        queries.append(
            NamedQuery(
                _logical_id(path.stem),
                Name=path.stem,
                Description=f"Dashboard query glue_schema/queries/{path.name}",
                Database=Ref(n.R_DATABASE),
                WorkGroup=Ref(n.R_WORKGROUP),
                QueryString=saved_query_text(path.read_text(encoding="utf-8")),
            )
        )
    return queries


def analytics(queries_dir: Path = QUERIES_DIR) -> list[Any]:
    """The workgroup and its named queries."""
    return [workgroup(), *named_queries(queries_dir)]
