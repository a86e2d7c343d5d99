"""`tgpipe dashboard`: run every dashboard query (local lake or Athena) and write one HTML page."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import zoneinfo
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from glue_schema import views
from glue_schema.views import (
    DEFAULT_TZ,
    QueryParameterError,
    QueryParameters,
    query_names,
    query_sql,
    render,
)
from scripts.cli import CliError
from scripts.common import checked_lake
from scripts.dashboard_page import PageContext, QueryResult, format_scanned, render_page

DEFAULT_DASHBOARD_DAYS: Final = 30
#: Athena runs queries concurrently; a few at a time stays well inside the account's quota.
ATHENA_WORKERS: Final = 4

#: Rendered SQL in, (columns, rows, bytes scanned or None) out.
Execute = Callable[[str], tuple[Sequence[str], Sequence[Sequence[Any]], int | None]]


def query_question(name: str) -> str:
    """The question a query answers: the first line of its file, without the `--`."""
    path = views.QUERIES_DIR / f"{name}.sql"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip().removeprefix("--").strip()
    return ""


def run_queries(
    execute: Execute,
    parameters: QueryParameters,
    names: Sequence[str] | None = None,
    *,
    errors: tuple[type[Exception], ...],
    workers: int = 1,
) -> list[QueryResult]:
    """Every dashboard query through `execute`; a query that fails becomes an error result."""

    def one(name: str) -> QueryResult:
        question = query_question(name)
        try:
            columns, rows, scanned = execute(render(query_sql(name), parameters))
        except errors as error:
            return QueryResult(name, question, error=str(error) or type(error).__name__)
        return QueryResult(name, question, list(columns), list(rows), None, scanned)

    selected = list(names if names is not None else query_names())
    if workers <= 1:
        return [one(name) for name in selected]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, selected))


def chats_in(results: Sequence[QueryResult]) -> list[tuple[int, str | None]] | None:
    """The chats seen in the window, busiest first (from messages_per_day); None if unknown."""
    per_day = next((r for r in results if r.name == "messages_per_day"), None)
    if per_day is None or per_day.error is not None:
        return None
    columns = list(per_day.columns)
    if not {"chat_id", "chat_title", "messages"} <= set(columns):
        return None
    chat, title, count = (columns.index(c) for c in ("chat_id", "chat_title", "messages"))
    totals: dict[int, int] = {}
    titles: dict[int, str | None] = {}
    for row in per_day.rows:
        chat_id = int(row[chat])
        totals[chat_id] = totals.get(chat_id, 0) + int(row[count] or 0)
        titles[chat_id] = titles.get(chat_id) or row[title]
    return [(c, titles[c]) for c in sorted(totals, key=lambda c: (-totals[c], c))]


def page_context(
    results: Sequence[QueryResult],
    parameters: QueryParameters,
    source: str,
    now: dt.datetime | None = None,
) -> PageContext:
    """The header's facts; the window is the last `days` calendar days in the zone."""
    generated = now or dt.datetime.now(dt.UTC)
    today = generated.astimezone(zoneinfo.ZoneInfo(parameters.tz)).date()
    return PageContext(
        chats=chats_in(results),
        days=parameters.days,
        tz=parameters.tz,
        window_start=today - dt.timedelta(days=parameters.days - 1),
        window_end=today,
        generated_at=generated,
        source=source,
    )


def write_page(output: Path, html: str) -> Path:
    """Write the page atomically (a reader never sees half a file); its absolute path."""
    output = output.resolve()
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".dashboard-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as sink:
            sink.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output


def local_dashboard(
    lake: Path, output: Path, parameters: QueryParameters
) -> tuple[Path, list[QueryResult]]:
    """Run the queries on a local lake and write the page; (its path, the results)."""
    from local.query import LocalQueryEngine, QueryError

    with LocalQueryEngine(lake) as engine:

        def execute(sql: str) -> tuple[Sequence[str], Sequence[Sequence[Any]], int | None]:
            columns, rows = engine.query(sql)
            return columns, rows, None

        results = run_queries(execute, parameters, errors=(QueryError,))
    context = page_context(results, parameters, f"local lake {lake.resolve()}")
    return write_page(output, render_page(results, context)), results


def athena_dashboard(
    runner: Any, output: Path, parameters: QueryParameters, source: str
) -> tuple[Path, list[QueryResult]]:
    """Run the queries on Athena through `runner` (an AthenaRunner) and write the page."""
    from scripts.athena import AthenaQueryError

    def execute(sql: str) -> tuple[Sequence[str], Sequence[Sequence[Any]], int | None]:
        result = runner.run(sql)
        return result.columns, result.rows, result.data_scanned_bytes

    results = run_queries(execute, parameters, errors=(AthenaQueryError,), workers=ATHENA_WORKERS)
    context = page_context(results, parameters, source)
    return write_page(output, render_page(results, context)), results


def _athena_runner(args: argparse.Namespace) -> Any:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    from scripts.athena import AthenaRunner

    try:
        client = boto3.client(
            "athena",
            region_name=args.region,
            config=Config(retries={"mode": "standard", "max_attempts": 8}),
        )
    except BotoCoreError as error:
        raise CliError(f"cannot create the Athena client: {error}") from None
    return AthenaRunner(client, workgroup=args.workgroup, database=args.database)


def run(args: argparse.Namespace) -> int:
    """Run the queries, write the page, print one line per query and the page's path."""
    try:
        parameters = QueryParameters(days=args.days, tz=args.tz)
    except QueryParameterError as error:
        raise CliError(str(error)) from None
    output: Path = args.output
    if not output.parent.resolve().is_dir():
        raise CliError(f"no directory {output.parent} for the page")
    if output.is_dir():
        raise CliError(f"{output} is a directory; pass the page's file name, e.g. dashboard.html")
    if args.athena:
        missing = [flag for flag in ("workgroup", "database") if not getattr(args, flag)]
        if missing:
            raise CliError("--athena needs " + " and ".join(f"--{flag}" for flag in missing))
        source = f"Athena workgroup {args.workgroup}, database {args.database}"
        if args.region:
            source += f", region {args.region}"
        path, results = athena_dashboard(_athena_runner(args), output, parameters, source)
    else:
        if args.workgroup or args.database or args.region:
            raise CliError("--workgroup, --database and --region go with --athena, not --lake")
        lake: Path = checked_lake(args.lake)
        from local.query import QueryError

        try:
            path, results = local_dashboard(lake, output, parameters)
        except QueryError as error:
            raise CliError(str(error)) from None
    print_summary(results)
    print(f"dashboard     {path}")
    return 1 if any(r.error is not None for r in results) else 0


def print_summary(results: Sequence[QueryResult]) -> None:
    """One line per query: rows and data scanned, or the error."""
    width = max((len(r.name) for r in results), default=0)
    for result in results:
        if result.error is not None:
            print(f"{result.name:{width}}  FAILED: {result.error.splitlines()[0]}")
            continue
        scanned = (
            f", {format_scanned(result.data_scanned_bytes)} scanned"
            if result.data_scanned_bytes is not None
            else ""
        )
        print(f"{result.name:{width}}  {len(result.rows)} rows{scanned}")


def register(subparsers: Any) -> None:
    """Add `dashboard`."""
    parser = subparsers.add_parser(
        "dashboard",
        help="run the dashboard queries (local lake or Athena) into one HTML page",
        description=(
            "Run every glue_schema/queries/*.sql on the local lake or on Athena and write the "
            "charts as one self-contained HTML page (opens offline)."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--lake", type=Path, metavar="DIR", help="the local lake directory")
    source.add_argument(
        "--athena", action="store_true", help="run on Athena (needs --workgroup and --database)"
    )
    parser.add_argument("--workgroup", metavar="W", help="the stack's Athena workgroup")
    parser.add_argument("--database", metavar="D", help="the stack's Glue database")
    parser.add_argument("--region", metavar="R", help="AWS region (default: the environment's)")
    parser.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DASHBOARD_DAYS,
        help=f"the last N calendar days, today included (default {DEFAULT_DASHBOARD_DAYS})",
    )
    parser.add_argument(
        "--tz", default=DEFAULT_TZ, help=f"IANA time zone of days and hours (default {DEFAULT_TZ})"
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.html", help="the page to write"
    )
    parser.set_defaults(func=run)
