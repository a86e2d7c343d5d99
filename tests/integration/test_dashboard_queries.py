"""Every dashboard query, run on a lake built by the real local stack, against numbers
computed independently in Python from the generated updates that went in.

The oracle below never runs SQL: it works from `GeneratedUpdate` fields and the
update payloads, with Python's zoneinfo for days and hours.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from functions.rows import SERVICE_MESSAGE_TYPES
from glue_schema.views import (
    QUERIES_DIR,
    VIEW_TABLES,
    WINDOW_CONDITIONS,
    WINDOW_PREFIX,
    QueryParameters,
    known_placeholders,
    placeholders,
    query_names,
    query_sql,
    render,
)
from local.generator import DEFAULT_CHAT_ID, DEFAULT_FOREIGN_CHAT_ID, GeneratedUpdate, iter_updates
from local.query import LocalQueryEngine
from local.stack import LocalStack, StackConfig
from scripts.cli import main

ALLOWED = frozenset({DEFAULT_CHAT_ID, DEFAULT_FOREIGN_CHAT_ID})
SERVICE = frozenset(SERVICE_MESSAGE_TYPES)
REQUIRED_QUERIES = {
    "totals",
    "messages_per_day",
    "activity_heatmap",
    "top_senders",
    "message_types",
    "top_hashtags",
    "top_mentions",
    "top_domains",
    "edits",
    "replies",
    "text_lengths",
    "languages",
    # Members, engagement, reactions, coverage (tests/integration/test_engagement_queries.py).
    "member_growth",
    "join_sources",
    "top_inviters",
    "retention",
    "active_posters",
    "community_health",
    "reactions_per_day",
    "top_emoji",
    "most_reacted",
    "reactors_vs_posters",
    "coverage",
}
#: The tables the views read, and the window placeholder each one's event time has.
WINDOW_OF_TABLE = {table: placeholder for table, (placeholder, _) in WINDOW_CONDITIONS.items()}
ZONES = ("UTC", "America/Sao_Paulo")
#: Telegram's placeholder senders (GroupAnonymousBot, Channel_Bot, Telegram): a post from
#: one of them is sent as a chat, with no user_id.
PLACEHOLDER_ACCOUNTS = frozenset({1087968824, 136817688, 777000})
#: Offsets for the copies planted outside the dt range (see the fixture).
SHIFT_UPDATE_ID = 1_000_000_000
SHIFT_MESSAGE_ID = 10_000_000


@dataclass(frozen=True)
class FixtureLake:
    """The lake and the updates that were sent into it."""

    path: Path
    updates: list[GeneratedUpdate]


def _plant_out_of_range_copies(lake: Path) -> None:
    # Rows whose sent_at is inside every window but whose dt is far outside the
    # range the queries allow: a query without its dt restriction counts them.
    source = sorted((lake / "data" / "messages").rglob("*.parquet"))[0]
    table = pq.read_table(source)
    for column, shift in (("update_id", SHIFT_UPDATE_ID), ("message_id", SHIFT_MESSAGE_ID)):
        position = table.schema.get_field_index(column)
        shifted = pc.add(table.column(column), pa.scalar(shift, pa.int64()))
        table = table.set_column(position, column, shifted)
    for dt_value in ("2001-01-01", "2099-12-31"):
        folder = lake / "data" / "messages" / f"dt={dt_value}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "planted.parquet")


@pytest.fixture(scope="module")
def fixture_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureLake]:
    """~4 days of two chats' updates up to a minute ago, through webhook + delivery stream."""
    lake = tmp_path_factory.mktemp("dashboard-lake")
    now = int(time.time())
    updates = [
        u
        for u in iter_updates(4500, seed=21, start_time=now - 4 * 86400)
        if u.date < now - 60 and (u.edit_date is None or u.edit_date < now - 60)
    ]
    saved = dict(os.environ)  # the stack configures the webhook through the environment
    try:
        with LocalStack(StackConfig(lake, ALLOWED)) as stack:
            statuses = Counter(stack.handle(u.body) for u in updates)
            stack.flush()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert statuses == {200: len(updates)}
    _plant_out_of_range_copies(lake)
    return FixtureLake(lake, updates)


@pytest.fixture(scope="module")
def engine(fixture_lake: FixtureLake) -> Iterator[LocalQueryEngine]:
    """One local engine over the fixture lake."""
    with LocalQueryEngine(fixture_lake.path) as query_engine:
        yield query_engine


def run(
    engine: LocalQueryEngine, name: str, days: int = 30, tz: str = "UTC"
) -> list[tuple[Any, ...]]:
    columns, rows = engine.query(query_sql(name), QueryParameters(days=days, tz=tz))
    assert columns, name
    return [tuple(row) for row in rows]


# -- the oracle ---------------------------------------------------------------------------------


class Oracle:
    """What each query must answer, derived in Python from the generated updates."""

    def __init__(self, updates: list[GeneratedUpdate], days: int, tz: str) -> None:
        self.zone = zoneinfo.ZoneInfo(tz)
        today = dt.datetime.now(self.zone).date()
        self.first_day = today - dt.timedelta(days=days - 1)
        unique: dict[int, GeneratedUpdate] = {}
        for update in updates:
            # Updates that carry a message: membership and reaction updates give no
            # messages row (they are tested in test_engagement_queries.py).
            if update.chat_id in ALLOWED and not update.is_duplicate and update.carries_message:
                unique.setdefault(update.update_id, update)
        self.unique = [u for u in unique.values() if self.local(u.date).date() >= self.first_day]
        latest: dict[tuple[int, int], GeneratedUpdate] = {}
        for update in unique.values():
            key = (update.chat_id, update.message_id)
            rank = (update.edit_date or update.date, update.update_id)
            held = latest.get(key)
            if held is None or rank > (held.edit_date or held.date, held.update_id):
                latest[key] = update
        self.all_current = latest
        self.current = [u for u in latest.values() if self.local(u.date).date() >= self.first_day]
        self.posted = [u for u in self.current if u.message_type not in SERVICE]
        # Posts by a user account: not sent as a chat (an automatic forward from the linked
        # channel comes from Telegram, 777000, and is stored without a user).
        self.by_users = [u for u in self.posted if u.user_id not in PLACEHOLDER_ACCOUNTS]

    def local(self, epoch: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(epoch, self.zone)

    def day(self, update: GeneratedUpdate) -> dt.date:
        return self.local(update.date).date()


def payload(update: GeneratedUpdate) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(update.body)[update.kind]
    return message


def ranked(counts: Counter[Any], limit: int) -> list[tuple[Any, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def exact_median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def domain(url: str) -> str | None:
    host = urlsplit(url if "://" in url else "http://" + url).hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


# -- the files ----------------------------------------------------------------------------------


def test_the_required_dashboard_queries_exist() -> None:
    assert set(query_names()) >= REQUIRED_QUERIES


@pytest.mark.parametrize("name", sorted(REQUIRED_QUERIES))
def test_query_file_starts_with_one_line_question(name: str) -> None:
    first, second = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("-- ")
    assert first.endswith("?")
    assert not second.lstrip().startswith("--")


@pytest.mark.parametrize("name", sorted(REQUIRED_QUERIES))
def test_query_parses_as_trino_and_reads_only_the_windowed_views(name: str) -> None:
    sql = query_sql(name)
    used = placeholders(sql)
    assert used <= set(known_placeholders())
    windowed = {p.removeprefix(WINDOW_PREFIX) for p in used if p.startswith(WINDOW_PREFIX)}
    assert windowed
    # Each view family's rows are restricted to the window on their own event time.
    tables = {VIEW_TABLES[view].name for view in windowed}
    assert {WINDOW_OF_TABLE[table] for table in tables} <= used
    tree = sqlglot.parse_one(render(sql, QueryParameters(days=30, tz="UTC")), read="trino")
    assert isinstance(tree, exp.Query)
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    # The delivered tables only (every view rendered as its windowed subquery); the
    # migration lookup reads messages for every family.
    assert {table.name for table in tree.find_all(exp.Table)} - ctes == {"messages", *tables}


@pytest.mark.parametrize("name", sorted(REQUIRED_QUERIES))
def test_every_scan_of_a_table_is_bounded_by_dt_before_deduplication(name: str) -> None:
    # Partition projection (and DuckDB's hive pruning) prune only on a dt predicate
    # next to the scan: below the views' row_number() windows, not above them.
    rendered = render(query_sql(name), QueryParameters(days=30, tz="UTC"))
    tree = sqlglot.parse_one(rendered, read="trino")
    scans = [t for t in tree.find_all(exp.Table) if t.name in WINDOW_OF_TABLE]
    assert scans
    for scan in scans:
        select = scan.find_ancestor(exp.Select)
        assert select is not None
        where = select.args.get("where")
        assert where is not None, f"{name}: a scan of {scan.name} without a WHERE"
        assert [b for b in where.find_all(exp.Between) if b.this.name == "dt"], name
        assert select.find(exp.Window) is None, f"{name}: dt filtered above a window"


# -- the numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES)
def test_messages_per_day_per_chat(
    engine: LocalQueryEngine, fixture_lake: FixtureLake, tz: str
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, tz)
    counts = Counter((oracle.day(u), u.chat_id) for u in oracle.posted)
    titles: dict[int, str] = {}
    for update in oracle.posted:
        titles[update.chat_id] = max(
            titles.get(update.chat_id, ""), payload(update)["chat"]["title"]
        )
    expected = [(day, chat, titles[chat], n) for (day, chat), n in sorted(counts.items())]
    assert len({chat for _, chat, _, _ in expected}) == 2
    assert run(engine, "messages_per_day", tz=tz) == expected


@pytest.mark.parametrize(("days", "tz"), [(1, "UTC"), (2, "America/Sao_Paulo"), (3, "UTC")])
def test_the_window_keeps_only_the_last_days_in_the_zone(
    engine: LocalQueryEngine, fixture_lake: FixtureLake, days: int, tz: str
) -> None:
    oracle = Oracle(fixture_lake.updates, days, tz)
    expected = Counter(oracle.day(u) for u in oracle.posted)
    rows = run(engine, "messages_per_day", days=days, tz=tz)
    got: Counter[dt.date] = Counter()
    for day, _, _, messages in rows:
        got[day] += messages
    assert got == expected
    assert got
    assert min(got) >= oracle.first_day


def test_active_posters_daily_are_the_people_who_posted_that_day(
    engine: LocalQueryEngine, fixture_lake: FixtureLake
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "America/Sao_Paulo")
    senders: dict[dt.date, set[int]] = defaultdict(set)
    for update in oracle.by_users:
        senders[oracle.day(update)].add(update.user_id)
    rows = run(engine, "active_posters", tz="America/Sao_Paulo")
    # Every day from the first with a post through today; weekly and monthly are
    # tested on a longer story (test_engagement_queries.py).
    assert [(day, daily) for day, daily, _, _ in rows if daily] == [
        (day, len(people)) for day, people in sorted(senders.items())
    ]
    assert rows[0][0] == min(senders)


@pytest.mark.parametrize("tz", ZONES)
def test_activity_heatmap_by_local_weekday_and_hour(
    engine: LocalQueryEngine, fixture_lake: FixtureLake, tz: str
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, tz)
    counts = Counter(
        (oracle.local(u.date).isoweekday(), oracle.local(u.date).hour) for u in oracle.posted
    )
    expected = [(weekday, hour, n) for (weekday, hour), n in sorted(counts.items())]
    assert run(engine, "activity_heatmap", tz=tz) == expected


def test_the_heatmap_differs_between_zones(engine: LocalQueryEngine) -> None:
    # São Paulo is UTC-3: the same messages fall three hours earlier.
    utc = {(w, h): n for w, h, n in run(engine, "activity_heatmap", tz="UTC")}
    sao_paulo = {(w, h): n for w, h, n in run(engine, "activity_heatmap", tz="America/Sao_Paulo")}
    assert utc != sao_paulo
    assert sum(utc.values()) == sum(sao_paulo.values())


def test_top_senders(engine: LocalQueryEngine, fixture_lake: FixtureLake) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    counts = Counter(u.user_id for u in oracle.by_users)
    first_names: dict[int, str] = {}
    usernames: dict[int, str] = {}
    for update in oracle.by_users:
        sender = payload(update)["from"]
        first_names[update.user_id] = max(first_names.get(update.user_id, ""), sender["first_name"])
        if "username" in sender:
            usernames[update.user_id] = max(usernames.get(update.user_id, ""), sender["username"])
    expected = [(user, first_names[user], usernames.get(user), n) for user, n in ranked(counts, 10)]
    assert run(engine, "top_senders") == expected


def test_languages_count_people_posting_per_app_language(
    engine: LocalQueryEngine, fixture_lake: FixtureLake
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    people: dict[str, set[int]] = {}
    for update in oracle.by_users:
        language = payload(update)["from"].get("language_code") or "unknown"
        people.setdefault(language, set()).add(update.user_id)
    expected = ranked(Counter({k: len(v) for k, v in people.items()}), 15)
    assert len(expected) >= 2
    assert run(engine, "languages") == expected


def test_totals_are_posts_people_joins_and_leaves(
    engine: LocalQueryEngine, fixture_lake: FixtureLake
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "America/Sao_Paulo")
    joins = sum(
        len(payload(u)["new_chat_members"])
        for u in oracle.current
        if u.message_type == "new_chat_members"
    )
    leaves = sum(1 for u in oracle.current if u.message_type == "left_chat_member")
    expected = [(len(oracle.posted), len({u.user_id for u in oracle.by_users}), joins, leaves)]
    assert run(engine, "totals", tz="America/Sao_Paulo") == expected


def test_message_types(engine: LocalQueryEngine, fixture_lake: FixtureLake) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    expected = ranked(Counter(u.message_type for u in oracle.current), 100)
    assert {"text", "photo", "new_chat_members"} <= {kind for kind, _ in expected}
    assert run(engine, "message_types") == expected


@pytest.mark.parametrize(
    ("name", "field"), [("top_hashtags", "hashtags"), ("top_mentions", "mentions")]
)
def test_top_hashtags_and_mentions(
    engine: LocalQueryEngine, fixture_lake: FixtureLake, name: str, field: str
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    counts = Counter(item.lower() for u in oracle.current for item in getattr(u, field))
    expected = ranked(counts, 15)
    assert len(expected) == 15
    assert run(engine, name) == expected


def test_top_domains(engine: LocalQueryEngine, fixture_lake: FixtureLake) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    counts = Counter(d for u in oracle.current for url in u.urls if (d := domain(url)))
    expected = ranked(counts, 15)
    assert "exemplo.com.br" in dict(expected)  # www. stripped
    assert run(engine, "top_domains") == expected


def test_share_edited_and_median_time_to_first_edit(
    engine: LocalQueryEngine, fixture_lake: FixtureLake
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    sent: dict[tuple[int, int], int] = {}
    first_edit: dict[tuple[int, int], int] = {}
    for update in oracle.unique:
        if update.message_type in SERVICE:
            continue
        key = (update.chat_id, update.message_id)
        sent[key] = update.date
        if update.edit_date is not None:
            first_edit[key] = min(first_edit.get(key, update.edit_date), update.edit_date)
    delays = [first_edit[key] - sent[key] for key in first_edit]
    assert len(delays) > 20
    ((messages, edited, edited_pct, median),) = run(engine, "edits")
    assert (messages, edited) == (len(sent), len(first_edit))
    assert edited_pct == pytest.approx(round(100 * len(first_edit) / len(sent), 2))
    assert median == exact_median(delays)


def test_reply_rate_and_median_reply_delay(
    engine: LocalQueryEngine, fixture_lake: FixtureLake
) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    replies = [u for u in oracle.posted if u.reply_to_message_id is not None]
    delays = [
        u.date - oracle.all_current[(u.chat_id, u.reply_to_message_id)].date
        for u in replies
        if (u.chat_id, u.reply_to_message_id) in oracle.all_current
    ]
    assert len(delays) > 20
    ((messages, reply_count, reply_pct, median),) = run(engine, "replies")
    assert (messages, reply_count) == (len(oracle.posted), len(replies))
    assert reply_pct == pytest.approx(round(100 * len(replies) / len(oracle.posted), 2))
    assert median == exact_median(delays)


def test_text_length_buckets(engine: LocalQueryEngine, fixture_lake: FixtureLake) -> None:
    oracle = Oracle(fixture_lake.updates, 30, "UTC")
    edges = [
        (20, "1-20"),
        (50, "21-50"),
        (100, "51-100"),
        (200, "101-200"),
        (500, "201-500"),
        (1000, "501-1000"),
    ]
    counts: Counter[tuple[int, str]] = Counter()
    for update in oracle.current:
        message = payload(update)
        text = message.get("text") or message.get("caption")
        if not text:
            continue
        length = len(text)  # code points, as Athena's length()
        bucket = next(
            ((n, label) for n, (edge, label) in enumerate(edges, 1) if length <= edge),
            (7, "1001+"),
        )
        counts[bucket] += 1
    expected = [(n, label, count) for (n, label), count in sorted(counts.items())]
    assert len(expected) >= 3
    assert run(engine, "text_lengths") == expected


def test_every_query_runs_in_both_zones_on_an_empty_lake(tmp_path: Path) -> None:
    with LocalQueryEngine(tmp_path) as empty:
        for name in query_names():
            for tz in ZONES:
                columns, rows = empty.query(query_sql(name), QueryParameters(days=30, tz=tz))
                assert columns
                if name in ("edits", "replies"):
                    assert rows == [(0, 0, None, None)]
                else:
                    assert rows == [], name


# -- the command ----------------------------------------------------------------------------------


def test_tgpipe_dashboard_lake_writes_one_chart_per_query(
    fixture_lake: FixtureLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "page.html"
    code = main(
        ["dashboard", "--lake", str(fixture_lake.path), "--tz", "America/Sao_Paulo", "--days", "7",
         "-o", str(output)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.splitlines()[-1] == f"dashboard     {output.resolve()}"
    page = output.read_text(encoding="utf-8")
    assert page.count('<svg class="chart') == len(query_names())
    assert "last 7 days" in page
    assert "America/Sao_Paulo" in page
    assert "Achados e Promoções" in page


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tz", "Mars/Olympus"], "tz must be an IANA time zone"),
        (["--days", "0"], "days must be between 1 and"),
        (["--region", "us-east-1"], "go with --athena, not --lake"),
    ],
)
def test_tgpipe_dashboard_bad_input_is_one_line(
    fixture_lake: FixtureLake,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    output = tmp_path / "page.html"
    code = main(["dashboard", "--lake", str(fixture_lake.path), *arguments, "-o", str(output)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not output.exists()


def test_tgpipe_dashboard_without_a_lake_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["dashboard", "--lake", str(tmp_path / "nope"), "-o", str(tmp_path / "p.html")])
    assert code == 2
    assert "no lake at" in capsys.readouterr().err
