"""The docs name what the code has."""

from __future__ import annotations

from pathlib import Path

from glue_schema import MESSAGES
from glue_schema.views import VIEW_EXTRA_COLUMNS

DOCS = Path(__file__).parents[2] / "docs"


def test_the_column_table_lists_every_messages_column_and_view_column() -> None:
    text = (DOCS / "messages.md").read_text(encoding="utf-8")
    documented = {
        line.split("|")[1].strip().strip("`")
        for line in text.splitlines()
        if line.startswith("| `")
    }
    assert set(MESSAGES.column_names) | set(VIEW_EXTRA_COLUMNS) <= documented
