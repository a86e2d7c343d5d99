"""The docs name what the code has."""

from __future__ import annotations

from pathlib import Path

from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS
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


def _documented_columns(text: str) -> list[str]:
    return [
        line.split("|")[1].strip().strip("`").removesuffix("` (partition)")
        for line in text.splitlines()
        if line.startswith("| `")
    ]


def test_the_engagement_doc_lists_exactly_each_tables_columns() -> None:
    text = (DOCS / "engagement.md").read_text(encoding="utf-8")
    sections = {
        table.name: text.split(f"## `{table.name}`", 1)[1].split("\n## ", 1)[0]
        for table in (MEMBER_EVENTS, REACTIONS)
    }
    for table in (MEMBER_EVENTS, REACTIONS):
        documented = _documented_columns(sections[table.name])
        assert documented == [*table.column_names, "dt"], table.name
        for column in table.columns:
            assert f"| `{column.name}` | {column.type} | {column.comment} |" in text
