"""`tgpipe query`: Athena SQL on the local lake, printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glue_schema.views import (
    DEFAULT_DAYS,
    DEFAULT_TZ,
    QueryParameterError,
    QueryParameters,
    UnknownQueryError,
    query_sql,
)
from scripts.cli import CliError
from scripts.common import checked_lake

FORMATS = ("table", "csv", "json")


def register(subparsers: Any) -> None:
    """Add `tgpipe query` to the command line."""
    parser = subparsers.add_parser(
        "query",
        help="run Athena SQL on the local lake",
        description=(
            "Run one Athena (Trino) SQL query on the local lake (tables messages, member_events, "
            "reactions, raw_updates; views messages_unique, messages_current, posts, "
            "member_changes, reactions_current, ...: --tables lists them). {{days}} and {{tz}} "
            "placeholders are filled from --days and --tz."
        ),
    )
    parser.add_argument("--lake", type=Path, help="the local lake directory (not for --tables)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sql", help="the query text")
    source.add_argument("--named", metavar="NAME", help="run glue_schema/queries/NAME.sql")
    source.add_argument(
        "--tables", action="store_true", help="list the tables and views with their columns"
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output (default table)")
    parser.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"{{{{days}}}} window (default {DEFAULT_DAYS})",
    )
    parser.add_argument(
        "--tz", default=DEFAULT_TZ, help=f"{{{{tz}}}} IANA zone (default {DEFAULT_TZ})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the query and print its rows."""
    # Imported here: duckdb and sqlglot load only when this command runs.
    from local.query import LocalQueryEngine, QueryError

    if args.tables:
        printer = {"table": print_table, "csv": print_csv, "json": print_json}[args.format]
        printer(["table", "column", "type"], table_listing())
        return 0
    if args.sql is None and args.named is None:
        raise CliError("what to run? --sql '...', --named NAME, or --tables to list the columns")
    if args.lake is None:
        raise CliError("which lake? pass --lake DIR (the demo's is demo-lake)")
    lake = checked_lake(args.lake)
    try:
        sql = query_sql(args.named) if args.named else args.sql
        parameters = QueryParameters(days=args.days, tz=args.tz)
    except (UnknownQueryError, QueryParameterError) as error:
        raise CliError(str(error)) from None
    try:
        with LocalQueryEngine(lake) as engine:
            columns, rows = engine.query(sql, parameters)
    except QueryError as error:
        raise CliError(str(error)) from None
    {"table": print_table, "csv": print_csv, "json": print_json}[args.format](columns, rows)
    return 0


def table_listing() -> list[tuple[str, str, str]]:
    """(table or view, column, type) of everything a query can read, as Athena names them."""
    from glue_schema import DELIVERED_TABLES, RAW_UPDATES
    from glue_schema.views import VIEW_NAMES, VIEW_TABLES, view_columns
    from local.query import table_columns

    rows = [
        (table.name, name, kind)
        for table in (*DELIVERED_TABLES, RAW_UPDATES)
        for name, kind in table_columns(table)
    ]
    for view in VIEW_NAMES:
        table = VIEW_TABLES.get(view)
        types = dict(table_columns(table)) if table is not None else {}
        # The columns a view adds (canonical_chat_id, chat_migrations' ids) are chat ids.
        rows += [(view, name, types.get(name, "BIGINT")) for name in view_columns(view)]
    return rows


def json_value(value: Any) -> Any:
    """A query result value as plain JSON data (timestamps as ISO 8601 text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def text_value(value: Any) -> str:
    """A query result value as one cell of text (NULL as empty, arrays as JSON)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(json_value(value), ensure_ascii=False)
    converted = json_value(value)
    return converted if isinstance(converted, str) else str(converted)


def print_json(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """A JSON list of row objects."""
    objects = [
        {column: json_value(value) for column, value in zip(columns, row, strict=True)}
        for row in rows
    ]
    json.dump(objects, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_csv(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """CSV with a header line."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([text_value(value) for value in row] for row in rows)


def print_table(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """A table for the terminal, with the row count below it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, show_lines=False)
    for row in rows:
        # Text, not str: cell text is data, never rich markup.
        table.add_row(*(Text(text_value(value) if value is not None else "NULL") for value in row))
    console = Console(file=sys.stdout, markup=False, highlight=False)
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
