"""The local query engine and `tgpipe query` over a real lake: Parquet and gzip NDJSON on disk, DuckDB."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from functions.rows import shape_row
from glue_schema import MESSAGES, arrow_schema
from glue_schema import views as views_module
from glue_schema.views import VIEW_EXTRA_COLUMNS, QueryParameters
from local.query import LocalQueryEngine, QueryError
from scripts.cli import main
from tests.helpers import CHANNEL_ID, GROUP_ID, compact_bytes, event, event_names

# 2026-01-01 08:03:00 UTC (message_text.json's date) plus a few seconds.
RECEIVED_MS = 1767254583000
DAY_1, DAY_2 = "2026-01-01", "2026-01-02"
TEXT_UPDATE_ID = 700000001  # message_text.json: message 1001 of the group
EDIT_UPDATE_ID = 700000030  # edited_message.json edits message 1001
REDELIVERED = ("message_text", "message_photo_caption")

TIMESTAMP_COLUMNS = tuple(c.name for c in MESSAGES.columns if c.type == "timestamp")


def _arrow_ready(row: dict[str, Any]) -> dict[str, Any]:
    # The shaper writes timestamps as text for the OpenX SerDe; Parquet holds them typed.
    return {
        name: datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
        if name in TIMESTAMP_COLUMNS and value is not None
        else value
        for name, value in row.items()
    }


def write_messages(lake: Path, dt: str, file_name: str, rows: list[dict[str, Any]]) -> None:
    """One Parquet object of `messages` rows under the hive layout."""
    folder = lake / "data" / "messages" / f"dt={dt}"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([_arrow_ready(row) for row in rows], schema=arrow_schema())
    pq.write_table(table, folder / file_name, compression="snappy")


def write_raw(lake: Path, dt: str, file_name: str, lines: list[bytes]) -> None:
    """One gzip NDJSON object of raw updates under the hive layout."""
    folder = lake / "raw" / "updates" / f"dt={dt}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file_name).write_bytes(gzip.compress(b"".join(line + b"\n" for line in lines)))


def message_like_names() -> list[str]:
    """Fixture updates that make a `messages` row."""
    return [name for name in event_names() if shape_row(event(name), RECEIVED_MS) is not None]


def build_lake(lake: Path) -> None:
    """Day 1: every message-like update once (the edit included). Day 2: Telegram redelivers two."""
    day_1 = [
        shape_row(event(name), RECEIVED_MS + position)
        for position, name in enumerate(event_names())
    ]
    write_messages(lake, DAY_1, "stream-1-2026-01-01-08-03-03-a.parquet", [r for r in day_1 if r])
    redelivered = [shape_row(event(name), RECEIVED_MS + 86_400_000) for name in REDELIVERED]
    write_messages(
        lake, DAY_2, "stream-1-2026-01-02-08-03-03-b.parquet", [r for r in redelivered if r]
    )
    write_raw(lake, DAY_1, "batch-a.ndjson.gz", [compact_bytes(name) for name in event_names()])
    write_raw(
        lake, DAY_2, "batch-b.ndjson.gz", [compact_bytes("message_text"), b"{not json at all"]
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    build_lake(root)
    return root


@pytest.fixture(scope="module")
def engine(lake: Path) -> Iterator[LocalQueryEngine]:
    with LocalQueryEngine(lake) as query_engine:
        yield query_engine


def scalar(engine: LocalQueryEngine, sql: str, parameters: QueryParameters | None = None) -> Any:
    _, rows = engine.query(sql, parameters)
    assert len(rows) == 1
    return rows[0][0]


# --- tables ---------------------------------------------------------------------------


def test_messages_holds_every_delivered_copy(engine: LocalQueryEngine) -> None:
    expected = len(message_like_names()) + len(REDELIVERED)
    assert scalar(engine, "SELECT count(*) FROM messages") == expected


def test_messages_has_the_glue_columns_then_dt(engine: LocalQueryEngine) -> None:
    columns, _ = engine.query("SELECT * FROM messages LIMIT 0")
    assert columns == [*MESSAGES.column_names, "dt"]


def test_messages_values_keep_their_types(engine: LocalQueryEngine) -> None:
    _, rows = engine.query(
        "SELECT sent_at, hashtags, dt, chat_id FROM messages WHERE update_id = 700000002"
    )
    sent_at, hashtags, dt, chat_id = rows[0]
    assert isinstance(sent_at, datetime)
    assert hashtags == ["#oferta", "#promoção"]
    assert dt == DAY_1
    assert chat_id == GROUP_ID


def test_parquet_written_before_a_column_existed_reads_it_as_null(tmp_path: Path) -> None:
    # GIVEN an object holding only some of today's columns (written by an older shaper)
    folder = tmp_path / "data" / "messages" / f"dt={DAY_1}"
    folder.mkdir(parents=True)
    old_schema = pa.schema([arrow_schema().field("update_id"), arrow_schema().field("text")])
    pq.write_table(
        pa.Table.from_pylist([{"update_id": 1, "text": "oi"}], schema=old_schema),
        folder / "old.parquet",
    )
    with LocalQueryEngine(tmp_path) as old_lake:
        # WHEN every column is read THEN the missing ones are typed NULLs
        columns, rows = old_lake.query("SELECT * FROM messages_unique")
        assert columns == [*MESSAGES.column_names, *VIEW_EXTRA_COLUMNS, "dt"]
        row = dict(zip(columns, rows[0], strict=True))
        assert (row["update_id"], row["text"], row["hashtags"], row["dt"]) == (1, "oi", None, DAY_1)


def test_raw_updates_reads_update_id_and_json_text(engine: LocalQueryEngine) -> None:
    _, rows = engine.query(
        "SELECT json_extract_scalar(message, '$.text'), dt FROM raw_updates"
        " WHERE update_id = 700000001 ORDER BY dt"
    )
    text = event("message_text")["message"]["text"]
    assert rows == [(text, DAY_1), (text, DAY_2)]


def test_raw_updates_reads_nested_json_of_other_kinds(engine: LocalQueryEngine) -> None:
    chat_id = scalar(
        engine,
        "SELECT CAST(json_extract_scalar(chat_member, '$.chat.id') AS bigint) FROM raw_updates"
        " WHERE chat_member IS NOT NULL",
    )
    assert chat_id == GROUP_ID


def test_raw_updates_malformed_line_is_a_row_of_nulls_not_an_error(
    engine: LocalQueryEngine,
) -> None:
    # As the OpenX SerDe with ignore.malformed.json: the line reads as NULLs.
    _, rows = engine.query("SELECT count(*), count(update_id) FROM raw_updates")
    assert rows == [(len(event_names()) + 2, len(event_names()) + 1)]


# --- views ----------------------------------------------------------------------------


def test_messages_unique_has_one_row_per_update_id(engine: LocalQueryEngine) -> None:
    _, rows = engine.query("SELECT count(*), count(DISTINCT update_id) FROM messages_unique")
    assert rows == [(len(message_like_names()), len(message_like_names()))]


def test_messages_unique_keeps_the_first_received_copy(engine: LocalQueryEngine) -> None:
    _, rows = engine.query(
        "SELECT dt FROM messages_unique WHERE update_id IN (700000001, 700000004) ORDER BY dt"
    )
    assert rows == [(DAY_1,), (DAY_1,)]


def test_messages_current_applies_the_edit(engine: LocalQueryEngine) -> None:
    # The original is redelivered on day 2, after the edit arrived: the edit still wins.
    _, rows = engine.query(
        "SELECT update_id, update_type, text FROM messages_current"
        " WHERE chat_id = -1001234567890 AND message_id = 1001"
    )
    assert rows == [
        (EDIT_UPDATE_ID, "edited_message", event("edited_message")["edited_message"]["text"])
    ]


def test_messages_current_applies_channel_post_edits(engine: LocalQueryEngine) -> None:
    _, rows = engine.query(
        "SELECT chat_id, update_type FROM messages_current"
        " WHERE chat_id = -1001111111111 AND message_id = 2001"
    )
    assert rows == [(CHANNEL_ID, "edited_channel_post")]


def test_messages_current_has_one_row_per_chat_message(engine: LocalQueryEngine) -> None:
    pairs = scalar(
        engine, "SELECT count(*) FROM (SELECT DISTINCT chat_id, message_id FROM messages)"
    )
    _, rows = engine.query(
        "SELECT chat_id, message_id, count(*) FROM messages_current"
        " GROUP BY chat_id, message_id HAVING count(*) > 1"
    )
    assert rows == []
    assert scalar(engine, "SELECT count(*) FROM messages_current") == pairs


# --- Athena semantics: the rewrites and polyfills (expected values as Athena returns them) --

ATHENA_RESULTS = [
    ("SELECT 7 / 2", 3),
    ("SELECT hour(TIMESTAMP '2026-01-01 10:00:00' AT TIME ZONE 'America/Sao_Paulo')", 7),
    (
        "SELECT date_format(TIMESTAMP '2026-01-01 10:00:00' AT TIME ZONE 'America/Sao_Paulo', '%Y-%m-%d %H:%i')",
        "2026-01-01 07:00",
    ),
    (
        "SELECT hour(at_timezone(with_timezone(TIMESTAMP '2026-01-01 10:00:00', 'UTC'), 'Asia/Tokyo'))",
        19,
    ),
    ("SELECT CAST(date_add('day', -1, DATE '2026-01-02') AS varchar)", "2026-01-01"),
    ("SELECT CAST(DATE '2026-01-02' - INTERVAL '1' DAY AS varchar)", "2026-01-01"),
    ("SELECT date_format(from_unixtime(1767254580), '%Y-%m-%d %H:%i:%s')", "2026-01-01 08:03:00"),
    ("SELECT CAST(from_unixtime(0) AS timestamp) = TIMESTAMP '1970-01-01 00:00:00'", True),
    ("SELECT url_extract_host('https://loja.example.com.br/produto?id=1')", "loja.example.com.br"),
    ("SELECT url_extract_host('loja.example.com.br/produto')", None),
    ("SELECT approx_distinct(x) FROM (VALUES 1, 2, 2) AS t(x)", 2),
    ("SELECT cardinality(ARRAY['#a', '#b'])", 2),
    ("SELECT json_extract_scalar('{\"from\": {\"id\": 5}}', '$.from.id')", "5"),
    ("SELECT day_of_week(DATE '2026-01-04')", 7),
    (
        "SELECT date_trunc('week', TIMESTAMP '2026-01-01 10:00:00') = TIMESTAMP '2025-12-29 00:00:00'",
        True,
    ),
    ("SELECT CAST(TIMESTAMP '2026-01-01 10:00:00.123' AS varchar)", "2026-01-01 10:00:00.123"),
]


@pytest.mark.parametrize(("sql", "athena_result"), ATHENA_RESULTS)
def test_query_returns_what_athena_returns(
    engine: LocalQueryEngine, sql: str, athena_result: Any
) -> None:
    assert scalar(engine, sql) == athena_result


def test_unnamed_columns_are_named_as_athena_names_them(engine: LocalQueryEngine) -> None:
    columns, _ = engine.query(
        "SELECT update_id, count(*), max(dt) AS last_dt FROM messages GROUP BY 1"
    )
    assert columns == ["update_id", "_col1", "last_dt"]


def test_parameters_render_a_window_and_a_zone(engine: LocalQueryEngine) -> None:
    sql = (
        "SELECT date_diff('day', date_add('day', -{{days}}, current_date), current_date),"
        " hour(TIMESTAMP '2026-07-01 12:00:00' AT TIME ZONE {{tz}})"
    )
    _, rows = engine.query(sql, QueryParameters(days=30, tz="America/Sao_Paulo"))
    assert rows == [(30, 9)]


def test_query_with_placeholders_and_no_parameters_is_refused(engine: LocalQueryEngine) -> None:
    with pytest.raises(QueryError, match="days"):
        engine.query("SELECT {{days}}")


@pytest.mark.parametrize(
    "sql",
    ["SELEC 1", "SELECT * FROM no_such_table", "SELECT 1; SELECT 2", "DROP VIEW messages"],
)
def test_bad_query_raises_one_line_query_error(engine: LocalQueryEngine, sql: str) -> None:
    with pytest.raises(QueryError) as raised:
        engine.query(sql)
    assert "\n" not in str(raised.value)


# --- empty and growing lakes ------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "messages",
        "member_events",
        "reactions",
        "raw_updates",
        "messages_unique",
        "messages_current",
        "member_events_unique",
        "member_changes",
        "reactions_unique",
        "reactions_current",
    ],
)
def test_empty_lake_tables_exist_with_their_columns_and_no_rows(tmp_path: Path, name: str) -> None:
    with LocalQueryEngine(tmp_path) as empty:
        columns, rows = empty.query(f"SELECT * FROM {name}")  # noqa: S608 - a fixed table name
        assert rows == []
        assert "update_id" in columns
        assert columns[-1] == "dt"
        assert scalar(empty, f"SELECT count(DISTINCT update_id) FROM {name}") == 0  # noqa: S608


def test_empty_lake_columns_are_typed(tmp_path: Path) -> None:
    with LocalQueryEngine(tmp_path) as empty:
        # Typed columns: array and timestamp functions bind with no rows to infer from.
        _, rows = empty.query(
            "SELECT h, date_trunc('hour', sent_at) FROM messages_current"
            " CROSS JOIN UNNEST(hashtags) AS t(h)"
        )
        assert rows == []


def test_objects_written_after_the_engine_started_are_queried(tmp_path: Path) -> None:
    with LocalQueryEngine(tmp_path) as growing:
        assert scalar(growing, "SELECT count(*) FROM messages_unique") == 0
        build_lake(tmp_path)
        assert scalar(growing, "SELECT count(*) FROM messages_unique") == len(message_like_names())
        assert scalar(growing, "SELECT count(update_id) FROM raw_updates") == len(event_names()) + 1


# --- tgpipe query ----------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["query", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_is_a_list_of_row_objects(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "--lake", str(lake), "--format", "json",
        "--sql", "SELECT update_id, sent_at, hashtags FROM messages_unique WHERE update_id = 700000002",
    )  # fmt: skip
    assert code == 0
    sent_at = datetime.fromtimestamp(event("message_text_entities")["message"]["date"], UTC)
    assert json.loads(out) == [
        {
            "update_id": TEXT_UPDATE_ID + 1,
            "sent_at": sent_at.replace(tzinfo=None).isoformat(),
            "hashtags": ["#oferta", "#promoção"],
        }
    ]


def test_cli_csv_has_a_header_and_one_line_per_row(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "--lake", str(lake), "--format", "csv",
        "--sql", "SELECT update_id, hashtags FROM messages_unique ORDER BY update_id LIMIT 3",
    )  # fmt: skip
    assert code == 0
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0] == ["update_id", "hashtags"]
    assert len(lines) == 4
    assert lines[1][0] == str(TEXT_UPDATE_ID)


def test_cli_table_shows_columns_and_row_count(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys, "--lake", str(lake), "--sql", "SELECT count(*) AS updates FROM messages_unique"
    )
    assert code == 0
    assert "updates" in out
    assert str(len(message_like_names())) in out
    assert "1 row" in out


def test_cli_named_query_runs_the_file_with_parameters(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "window.sql").write_text(
        "-- a test query\nSELECT {{days}} AS days, {{tz}} AS tz, count(*) AS n FROM messages_current\n"
    )
    monkeypatch.setattr(views_module, "QUERIES_DIR", queries)
    code, out, _ = run_cli(
        capsys, "--lake", str(lake), "--named", "window", "--days", "3", "--tz", "Europe/Lisbon",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    [row] = json.loads(out)
    assert (row["days"], row["tz"]) == (3, "Europe/Lisbon")
    assert row["n"] > 0


def test_cli_unknown_named_query_lists_the_available_names(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "top_hashtags.sql").write_text("SELECT 1\n")
    monkeypatch.setattr(views_module, "QUERIES_DIR", tmp_path)
    code, out, err = run_cli(capsys, "--lake", str(lake), "--named", "nope")
    assert code == 2
    assert out == ""
    assert "top_hashtags" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ("--sql", "SELEC broken FROM"),
        ("--sql", "SELECT * FROM no_such_table"),
        ("--sql", "SELECT {{tz}}", "--tz", "Mars/Olympus_Mons"),
        ("--sql", "SELECT {{days}}", "--days", "0"),
    ],
)
def test_cli_bad_query_is_one_line_and_exit_2(
    lake: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, out, err = run_cli(capsys, "--lake", str(lake), *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("tgpipe query: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_missing_lake_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "--lake", str(tmp_path / "absent"), "--sql", "SELECT 1")
    assert code == 2
    assert "no lake at" in err
