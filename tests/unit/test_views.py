"""The Athena SQL files: views parse as Trino and transpile; query parameters render safely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS
from glue_schema import views as views_module
from glue_schema.views import (
    MIGRATION_COLUMNS,
    VIEW_COLUMNS,
    VIEW_EXTRA_COLUMNS,
    VIEW_NAMES,
    VIEW_TABLES,
    VIEWS_DIR,
    QueryParameterError,
    QueryParameters,
    UnknownQueryError,
    create_view_statement,
    placeholders,
    query_names,
    query_sql,
    render,
    view_columns,
    view_sql,
    views,
)
from local.query import QueryError, transpile


def test_every_view_file_is_listed_and_every_listed_view_has_a_file() -> None:
    assert sorted(path.stem for path in VIEWS_DIR.glob("*.sql")) == sorted(VIEW_NAMES)


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_view_sql_parses_as_trino(name: str) -> None:
    tree = sqlglot.parse_one(view_sql(name), read="trino")
    assert isinstance(tree, exp.Select)


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_view_projects_its_tables_columns_then_dt(name: str) -> None:
    # The views list their columns: this keeps them in step with glue_schema.
    tree = sqlglot.parse_one(view_sql(name), read="trino")
    assert isinstance(tree, exp.Query)
    assert tree.named_selects == list(view_columns(name))
    if name in VIEW_TABLES:
        table = VIEW_TABLES[name]
        assert tree.named_selects == [*table.column_names, *VIEW_EXTRA_COLUMNS, "dt"]


def test_each_view_family_lists_its_own_table() -> None:
    assert {name: table.name for name, table in VIEW_TABLES.items()} == {
        "messages_all": MESSAGES.name,
        "messages_unique": MESSAGES.name,
        "messages_current": MESSAGES.name,
        "posts": MESSAGES.name,
        "member_events_unique": MEMBER_EVENTS.name,
        "member_changes": MEMBER_EVENTS.name,
        "reactions_unique": REACTIONS.name,
        "reactions_current": REACTIONS.name,
    }
    assert view_columns("chat_migrations") == MIGRATION_COLUMNS == ("old_chat_id", "new_chat_id")


def _sources(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="trino")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table)} - ctes


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_view_reads_a_delivered_table_or_the_views_before_it(name: str) -> None:
    sources = _sources(view_sql(name))
    assert sources
    tables = {MESSAGES.name, MEMBER_EVENTS.name, REACTIONS.name}
    assert sources <= {*tables, *VIEW_NAMES[: VIEW_NAMES.index(name)]}


def test_the_views_build_on_each_other() -> None:
    # One migration lookup, chat_migrations, that every family joins once; the
    # deduplicating views read it. messages_current does not read messages_unique: two
    # updates that share an update_id (Telegram picks ids at random after a week without
    # updates) are still two messages there.
    assert {name: _sources(view_sql(name)) for name in VIEW_NAMES} == {
        "chat_migrations": {"messages"},
        "messages_all": {"messages", "chat_migrations"},
        "messages_unique": {"messages_all"},
        "messages_current": {"messages_all"},
        "posts": {"messages_current"},
        "member_events_unique": {"member_events", "chat_migrations"},
        "member_changes": {"member_events_unique"},
        "reactions_unique": {"reactions", "chat_migrations"},
        "reactions_current": {"reactions_unique"},
    }


def test_view_columns_are_rendered_one_a_line_at_the_placeholders_indent() -> None:
    select = view_sql("messages_all")
    assert "{{" not in select
    assert select.startswith("SELECT\n    update_id,\n    update_type,\n")
    assert "\n    canonical_chat_id,\n    dt\nFROM (" in select
    assert (*MESSAGES.column_names, *VIEW_EXTRA_COLUMNS, "dt") == VIEW_COLUMNS


def test_a_view_with_another_placeholder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "messages_unique.sql").write_text("SELECT {{days}} AS days FROM messages")
    (tmp_path / "chat_migrations.sql").write_text("SELECT\n    {{view_columns}}\nFROM messages")
    monkeypatch.setattr(views_module, "VIEWS_DIR", tmp_path)
    view_sql.cache_clear()
    try:
        with pytest.raises(QueryParameterError, match="days"):
            view_sql("messages_unique")
        # A lookup of its own columns has no table whose columns the line could list.
        with pytest.raises(QueryParameterError, match="no table"):
            view_sql("chat_migrations")
    finally:
        view_sql.cache_clear()


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_view_transpiles_to_duckdb_that_parses_back(name: str) -> None:
    duck_sql = transpile(view_sql(name))
    tree = sqlglot.parse_one(duck_sql, read="duckdb")
    assert isinstance(tree, exp.Query)
    assert tree.named_selects == list(view_columns(name))


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_create_view_statement_is_trino_ddl_for_that_view(name: str) -> None:
    tree = sqlglot.parse_one(create_view_statement(name), read="trino")
    assert isinstance(tree, exp.Create)
    assert tree.args["kind"] == "VIEW"
    assert tree.this.name == name


def test_view_sql_has_no_header_comment_lines() -> None:
    for select in views().values():
        assert select.startswith(("SELECT", "WITH"))


def test_views_come_in_creation_order() -> None:
    assert tuple(views()) == VIEW_NAMES


def test_unknown_view_lists_the_views() -> None:
    with pytest.raises(UnknownQueryError, match="messages_unique"):
        view_sql("nope")


def test_query_names_are_the_sql_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "b_daily.sql").write_text("SELECT 2")
    (tmp_path / "a_top.sql").write_text("-- top\nSELECT 1\n")
    (tmp_path / "Not-A-Name.sql").write_text("SELECT 3")
    monkeypatch.setattr(views_module, "QUERIES_DIR", tmp_path)
    assert query_names() == ("a_top", "b_daily")
    assert query_sql("a_top") == "SELECT 1"


@pytest.mark.parametrize("name", ["../views/messages_unique", "nope", ""])
def test_unknown_or_outside_query_name_is_refused_with_the_names(name: str) -> None:
    with pytest.raises(UnknownQueryError, match="available"):
        query_sql(name)


def test_missing_queries_folder_means_no_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_module, "QUERIES_DIR", tmp_path / "absent")
    assert query_names() == ()


# --- parameters ---------------------------------------------------------------------------


def test_render_replaces_placeholders_with_literals() -> None:
    sql = (
        "SELECT x AT TIME ZONE {{tz}} FROM t WHERE dt >= date_add('day', -{{ days }}, current_date)"
    )
    rendered = render(sql, QueryParameters(days=14, tz="America/Sao_Paulo"))
    assert rendered == (
        "SELECT x AT TIME ZONE 'America/Sao_Paulo' FROM t"
        " WHERE dt >= date_add('day', -14, current_date)"
    )
    assert isinstance(sqlglot.parse_one(rendered, read="trino"), exp.Select)


def test_render_without_placeholders_returns_the_text_unchanged() -> None:
    assert render("SELECT 1", None) == "SELECT 1"


def test_render_refuses_missing_parameters() -> None:
    with pytest.raises(QueryParameterError, match="tz"):
        render("SELECT {{tz}}")


def test_render_refuses_unknown_placeholders() -> None:
    with pytest.raises(QueryParameterError, match="limit"):
        render("SELECT 1 LIMIT {{limit}}", QueryParameters())


def test_placeholders_are_found_with_or_without_spaces() -> None:
    assert placeholders("{{days}} {{ tz }} {days}") == {"days", "tz"}


@pytest.mark.parametrize(
    "tz", ["UTC", "America/Sao_Paulo", "Europe/Lisbon", "Asia/Kolkata", "Etc/GMT+3"]
)
def test_iana_zones_are_accepted(tz: str) -> None:
    assert QueryParameters(tz=tz).literals()["tz"] == f"'{tz}'"


@pytest.mark.parametrize(
    "tz", ["", "Mars/Olympus_Mons", "UTC'; DROP TABLE messages; --", "utc", "+03:00", 3]
)
def test_other_zones_are_refused(tz: object) -> None:
    with pytest.raises(QueryParameterError, match="tz"):
        QueryParameters(tz=tz)  # type: ignore[arg-type]


@pytest.mark.parametrize("days", [0, -1, 3661, True, 1.5, "7", "7; DROP TABLE messages"])
def test_days_other_than_a_whole_number_in_range_are_refused(days: object) -> None:
    with pytest.raises(QueryParameterError, match="days"):
        QueryParameters(days=days)  # type: ignore[arg-type]


# --- transpiling ----------------------------------------------------------------------------


def test_at_time_zone_becomes_the_polyfill_that_reads_the_timestamp_as_utc() -> None:
    duck_sql = transpile("SELECT hour(sent_at AT TIME ZONE 'America/Sao_Paulo') FROM messages")
    assert "AT TIME ZONE" not in duck_sql.upper()
    assert "AT_TIMEZONE(sent_at, 'America/Sao_Paulo')" in duck_sql


def test_date_arithmetic_on_a_date_stays_a_date() -> None:
    duck_sql = transpile("SELECT date_add('day', -7, current_date)")
    assert duck_sql.startswith("SELECT CAST(")
    assert "AS DATE)" in duck_sql


def test_timestamp_arithmetic_is_left_alone() -> None:
    duck_sql = transpile("SELECT date_add('hour', 3, sent_at) FROM messages")
    assert "AS DATE" not in duck_sql


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELEC 1", "SQL syntax"),
        ("SELECT 1; SELECT 2", "one SQL statement"),
        ("DROP TABLE messages", "only queries"),
        ("INSERT INTO messages SELECT * FROM messages", "only queries"),
    ],
)
def test_transpile_refuses_what_is_not_one_query(sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        transpile(sql)


#: How often each windowed view scans each table: the main scan, and the migration
#: lookup's two scans of messages for every time chat_migrations is read.
WINDOWED_SCANS = {
    "chat_migrations": {"messages": 2},
    "messages_all": {"messages": 3},
    "messages_unique": {"messages": 3},
    "messages_current": {"messages": 3},
    "posts": {"messages": 3},
    "member_events_unique": {"member_events": 1, "messages": 2},
    # The changes themselves, and the bot's own my_chat_member rows.
    "member_changes": {"member_events": 2, "messages": 4},
    "reactions_unique": {"reactions": 1, "messages": 2},
    "reactions_current": {"reactions": 1, "messages": 2},
}


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_a_windowed_view_reads_every_scan_of_a_table_through_the_window(name: str) -> None:
    rendered = views_module.windowed_view_sql(name)
    # Each scan read once, none nested; a view built on another reads that view's
    # windowed form.
    for table, scans in WINDOWED_SCANS[name].items():
        assert rendered.count(f"FROM {table} WHERE dt BETWEEN") == scans, table
        assert len(re.findall(rf"\b(?:FROM|JOIN) {table}\b", rendered)) == scans, table
    assert _sources(rendered.strip()[1:-1]) == set(WINDOWED_SCANS[name])


def test_a_windowed_view_keeps_the_aliases_its_view_gives() -> None:
    rendered = views_module.windowed_view_sql("posts")
    assert ") AS messages_current\n" in rendered  # posts names no alias: the view's name
    assert rendered.count(") AS m\n") == 2  # messages_all in messages_current, messages in it
    assert rendered.count(") AS messages\n") == 2  # the migration lookups


def test_sent_in_window_renders_the_window_on_sent_at() -> None:
    rendered = render("SELECT 1 FROM t WHERE {{sent_in_window}}", QueryParameters(days=7, tz="UTC"))
    assert rendered == (
        "SELECT 1 FROM t WHERE date(sent_at AT TIME ZONE 'UTC')"
        " >= date_add('day', 1 - 7, date(current_timestamp AT TIME ZONE 'UTC'))"
    )
