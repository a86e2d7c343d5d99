"""Write rows into a local lake as the delivery stream does: OpenX JSON reading, then Parquet.

The rows are what the shapers return (functions.rows, functions.members,
functions.reactions: plain dicts, timestamps as text); `local.conversion` reads them
against the table's Glue columns exactly as Firehose's record format conversion, and
writes one SNAPPY Parquet object under `data/<table>/dt=<day>/`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glue_schema import Table
from local.conversion import OpenXJsonReader, parquet_bytes


def write_rows(
    lake: Path, table: Table, dt: str, file_name: str, rows: Sequence[dict[str, Any]]
) -> Path:
    """One Parquet object of `table` rows in partition `dt`; its path. Every row must fit."""
    records = [json.dumps(row, ensure_ascii=False).encode("utf-8") for row in rows]
    conversion = OpenXJsonReader(table).read(records)
    assert not conversion.failures, conversion.failures
    folder = lake / "data" / table.prefix.rstrip("/") / f"dt={dt}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    path.write_bytes(parquet_bytes(conversion.table))
    return path
