"""`tgpipe demo`: the whole pipeline on this machine, end to end, in under a minute."""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from functions import constants as c
from glue_schema.views import QueryParameters, query_sql
from local.generator import DEFAULT_CHAT_ID, GeneratedUpdate, iter_updates
from local.query import LocalQueryEngine, QueryError
from local.stack import LocalStack, StackConfig
from scripts.cli import CliError
from scripts.common import tgpipe_command
from scripts.dashboard import local_dashboard
from scripts.webhook_sender import send_updates

DEFAULT_LAKE = Path("demo-lake")
MARKER = ".tgpipe-demo"
DEFAULT_COUNT = 1500
#: The generated conversation ends this long before the demo runs.
RECENT_MARGIN_SECONDS = 3600
DASHBOARD_FILE = "dashboard.html"

#: The page's own queries the terminal report shows: same SQL, same window, same names.
REPORT_QUERIES = {
    "message_types": "messages by type",
    "top_hashtags": "top hashtags",
    "top_senders": "top senders",
}
REPORT_ROWS = 5


def window_days(updates: Sequence[GeneratedUpdate], now: float) -> int:
    """The dashboard window (calendar days in UTC, today included) that holds the conversation."""
    first = min((u.date for u in updates), default=int(now))
    return (int(now) // 86400) - (first // 86400) + 1


def _report_row(name: str, row: tuple[Any, ...]) -> str:
    if name == "top_senders":
        # (user_id, first_name, username, messages): the name the page shows.
        user_id, first_name, username, messages = row
        handle = f" (@{username})" if username else ""
        return f"{first_name or user_id}{handle}: {messages}"
    return f"{row[0]}: {row[1]}"


def prepare_lake(lake: Path) -> None:
    """Start from an empty lake; only a lake an earlier demo made is ever wiped."""
    if lake.exists() and any(lake.iterdir()):
        if not (lake / MARKER).exists():
            raise CliError(
                f"{lake} is not empty and was not made by `tgpipe demo`; "
                "pass --lake with a new directory"
            )
        shutil.rmtree(lake)
    lake.mkdir(parents=True, exist_ok=True)
    (lake / MARKER).write_text("made by tgpipe demo; safe to delete\n")


def _count(engine: LocalQueryEngine, sql: str) -> int:
    _, rows = engine.query(sql)
    return int(rows[0][0])


def recent_updates(count: int, seed: int) -> list[GeneratedUpdate]:
    """Generated updates whose conversation ends about now, so the dashboard shows it.

    The generator's pace follows São Paulo's daytime, so the span depends on the
    start: a few fixed-point steps find a start whose conversation ends just before now.
    """
    now = int(time.time())
    start = now - 3 * 86400
    best: list[GeneratedUpdate] | None = None
    best_gap = None
    for _ in range(8):
        updates = list(iter_updates(count, chat_id=DEFAULT_CHAT_ID, seed=seed, start_time=start))
        overshoot = max(u.date for u in updates) - (now - RECENT_MARGIN_SECONDS)
        if overshoot <= 0 and (best_gap is None or -overshoot < best_gap):
            best, best_gap = updates, -overshoot
        if best_gap is not None and best_gap <= 6 * 3600:
            break
        start -= overshoot if overshoot > 0 else overshoot // 2
    if best is None:  # never ended in the past: start a week earlier, that always does
        best = list(
            iter_updates(count, chat_id=DEFAULT_CHAT_ID, seed=seed, start_time=start - 7 * 86400)
        )
    return best


def run(args: argparse.Namespace) -> int:
    """Start the stack on a free port, send generated updates over HTTP, flush, report, draw."""
    lake: Path = args.lake
    prepare_lake(lake)
    started = time.monotonic()
    updates = recent_updates(args.count, args.seed)
    config = StackConfig(
        lake, frozenset({DEFAULT_CHAT_ID}), buffer_seconds=60.0, delivery_process=True
    )
    with LocalStack(config) as stack:
        http = stack.serve_http(0)
        print(f"local stack up: {http.url}  (lake {lake.resolve()})")
        report = send_updates(
            http.url,
            (u.body for u in updates),
            secret=config.secret,
            concurrency=8,
            total=len(updates),
            progress=True,
        )
        stack.flush()
        stats, rows_line = stack.stats_all(), stack.rows_line()
        accepted = stack.metrics.count(c.METRIC_ACCEPTED)
        ignored = stack.metrics.count(c.METRIC_IGNORED)
    distinct = {u.update_id for u in updates if u.chat_id == DEFAULT_CHAT_ID and u.carries_message}
    print()
    print(
        f"sent          {report.sent} updates over HTTP in {report.elapsed_seconds:.1f} s "
        f"({report.updates_per_second:.0f}/s, p50 {report.latency_p50_ms or 0:.1f} ms, "
        f"p99 {report.latency_p99_ms or 0:.1f} ms)"
    )
    print(
        f"answered      {dict(sorted(report.status_counts.items()))}, "
        f"{report.connection_errors} connection errors"
    )
    print(
        f"accepted      {accepted} (incl. Telegram-style redeliveries); "
        f"ignored {ignored} from other chats"
    )
    print(
        f"rows          {rows_line} in Parquet ({stats.parquet_objects} files), "
        f"{stats.records_dropped} updates archived only"
    )
    print(f"raw archive   {stats.raw_objects} gzip NDJSON objects")
    print(f"error records {stats.processing_failed + stats.conversion_failed}")
    days = window_days(updates, time.time())
    parameters = QueryParameters(days=days)
    with LocalQueryEngine(lake) as engine:
        try:
            unique = _count(engine, "SELECT count(*) FROM messages_unique")
            print(f"messages_unique {unique} rows ({len(distinct)} distinct messages sent)")
            print(
                f"as on the page (the last {days} days, each message once with its edits, "
                "posts only where the query says so):"
            )
            for name, title in REPORT_QUERIES.items():
                _, rows = engine.query(query_sql(name), parameters)
                shown = ", ".join(_report_row(name, row) for row in rows[:REPORT_ROWS])
                print(f"  {title:15} {shown}")
        except QueryError as error:
            raise CliError(f"query failed: {error}", exit_code=1) from None
    page, results = local_dashboard(lake, lake / DASHBOARD_FILE, parameters)
    failed = [r.name for r in results if r.error is not None]
    if failed:
        raise CliError(f"dashboard queries failed: {', '.join(failed)} (see {page})", exit_code=1)
    print()
    print(
        f"lake          {lake.resolve()}/  (data/messages, data/member_events, data/reactions, data/errors, raw/updates)"
    )
    print(f"dashboard     {page}")
    tgpipe = tgpipe_command()
    print(f"query it      {tgpipe} query --lake {lake} --named top_senders --days {days}")
    print(f"health        {tgpipe} status --lake {lake} --chat-ids {DEFAULT_CHAT_ID}")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0 if report.failed == 0 else 1


def register(subparsers: Any) -> None:
    """Add `demo`."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline locally on generated updates and report",
        description="Start the local stack, send realistic updates over HTTP, flush, report.",
    )
    parser.add_argument(
        "--lake",
        type=Path,
        default=DEFAULT_LAKE,
        metavar="DIR",
        help=f"where to build the demo lake (default ./{DEFAULT_LAKE}; wiped on each demo run)",
    )
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="updates to send")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.set_defaults(func=run)
