"""The member, engagement, reaction and coverage dashboards, run on a lake of real Parquet
against numbers computed in Python from the story that went in.

The lake is tests/engagement_scenario.py's four months of four chats: sent as the
updates Telegram sends (both sources of a membership change where a chat has both,
redelivered copies), shaped by the pipeline's shapers and written as the delivery
stream writes. The oracle below never runs SQL and never reads the rows: it works
from the story's facts (who joined how, who posted, who reacted), with zoneinfo for
days and weeks.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glue_schema.views import QueryParameters, query_sql
from local.query import LocalQueryEngine
from tests.engagement_scenario import (
    CHANNEL,
    DAY,
    FAMILY,
    PRIVATE,
    PUBLIC,
    RETENTION_WEEKS,
    WEEK,
    Chat,
    Reaction,
    Scenario,
    build_scenario,
    scenario_updates,
    write_scenario_lake,
)

ZONES = ("UTC", "America/Sao_Paulo")
#: The whole story, and the dashboards' default.
WINDOWS = (120, 30)
PLACEHOLDER_ACCOUNTS = frozenset({1087968824, 136817688, 777000})


@dataclass(frozen=True)
class Lake:
    path: Path
    scenario: Scenario


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    path = tmp_path_factory.mktemp("engagement-lake")
    scenario = build_scenario(int(time.time()))
    written = write_scenario_lake(path, scenario_updates(scenario))
    assert all(written.values()), written
    return Lake(path, scenario)


@pytest.fixture(scope="module")
def engine(lake: Lake) -> Iterator[LocalQueryEngine]:
    with LocalQueryEngine(lake.path) as query_engine:
        yield query_engine


def run(engine: LocalQueryEngine, name: str, days: int, tz: str) -> list[tuple[Any, ...]]:
    columns, rows = engine.query(query_sql(name), QueryParameters(days=days, tz=tz))
    assert columns, name
    return [tuple(row) for row in rows]


# -- the oracle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A membership change as member_changes has it: once, with what its source tells."""

    chat: Chat
    user_id: int
    is_bot: bool
    at: int
    joining: bool
    source: str | None
    added_by: int | None
    link_creator: int | None
    link_name: str | None


class Oracle:
    """What each query must answer for a window of `days` in `tz`, from the story."""

    def __init__(self, scenario: Scenario, days: int, tz: str) -> None:
        self.s = scenario
        self.zone = zoneinfo.ZoneInfo(tz)
        self.today = dt.datetime.now(self.zone).date()
        self.first_day = self.today - dt.timedelta(days=days - 1)
        self.days = days

    def local(self, epoch: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(epoch, self.zone)

    def day(self, epoch: int) -> dt.date:
        return self.local(epoch).date()

    def inside(self, epoch: int) -> bool:
        return self.day(epoch) >= self.first_day

    # membership

    def changes(self) -> list[Change]:
        """Every join and leave in the window, once, as its source describes it."""
        s = self.s
        changes = []
        for join in s.joins:
            full = s.sends_chat_member(join.chat, join.at)
            changes.append(
                Change(
                    join.chat,
                    join.person.id,
                    join.person.is_bot,
                    join.at,
                    True,
                    join.source if full else ("added" if join.source == "added" else "direct"),
                    join.by.id if join.source == "added" and join.by else None,
                    join.link.creator.id if full and join.link else None,
                    join.link.name if full and join.link else None,
                )
            )
        for leave in s.leaves:
            changes.append(Change(leave.chat, leave.person.id, False, leave.at, False, *[None] * 4))
        for status in s.bot_statuses:
            was = status.old in ("member", "administrator")
            now = status.new in ("member", "administrator")
            if was != now:
                source = "added" if now else None
                added_by = status.by.id if now else None
                changes.append(
                    Change(
                        status.chat, s.bot.id, True, status.at, now, source, added_by, None, None
                    )
                )
        return sorted((c for c in changes if self.inside(c.at)), key=lambda c: c.at)

    def member_growth(self) -> list[tuple[Any, ...]]:
        joins: Counter[dt.date] = Counter()
        leaves: Counter[dt.date] = Counter()
        for change in self.changes():
            (joins if change.joining else leaves)[self.day(change.at)] += 1
        return [
            (day, joins[day], leaves[day], joins[day] - leaves[day])
            for day in sorted(set(joins) | set(leaves))
        ]

    def join_sources(self) -> list[tuple[Any, ...]]:
        counts = Counter(c.source for c in self.changes() if c.joining)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def names(self) -> dict[int, tuple[str | None, str | None]]:
        """Everyone who posted or whose membership changed in the window: their names."""
        seen = {p.person for p in self.s.posts if p.person and self.inside(p.at)}
        seen |= {j.person for j in self.s.joins if self.inside(j.at)}
        seen |= {x.person for x in self.s.leaves if self.inside(x.at)}
        if any(self.inside(x.at) for x in self.s.bot_statuses):
            seen.add(self.s.bot)
        return {p.id: (p.first_name, p.username) for p in seen}

    def top_inviters(self) -> list[tuple[Any, ...]]:
        invitations: Counter[tuple[int, str, str | None]] = Counter()
        for change in self.changes():
            if change.added_by is not None:
                invitations[(change.added_by, "added", None)] += 1
            elif change.link_creator is not None:
                invitations[(change.link_creator, "invite link", change.link_name)] += 1
        names = self.names()
        rows = [
            (user, *names.get(user, (None, None)), how, link, joins)
            for (user, how, link), joins in invitations.items()
        ]
        rows.sort(key=lambda r: (-r[5], r[0], r[3], r[4] is None, r[4] or ""))
        return rows[:15]

    def retention(self) -> list[tuple[Any, ...]]:
        s, now = self.s, time.time()
        changes = self.changes()
        first: dict[tuple[int, int], int] = {}
        for change in changes:
            if change.joining and not change.is_bot:
                key = (change.chat.id, change.user_id)
                first[key] = min(first.get(key, change.at), change.at)
        posts: dict[tuple[int, int], list[int]] = defaultdict(list)
        for post in s.posts:
            if post.person is not None and self.inside(post.at):
                posts[(post.chat.id, post.person.id)].append(post.at)
        cohorts: dict[tuple[dt.date, int], list[tuple[bool, bool, bool]]] = defaultdict(list)
        for (chat, user), joined_at in first.items():
            local = self.local(joined_at).date()
            week = local - dt.timedelta(days=local.weekday())
            for weeks in RETENTION_WEEKS:
                mark = joined_at + weeks * WEEK
                mine = [c for c in changes if (c.chat.id, c.user_id) == (chat, user)]
                state = [c.joining for c in mine if joined_at <= c.at <= mark][-1]
                posted = any(mark - WEEK <= at < mark for at in posts[(chat, user)])
                cohorts[(week, weeks)].append((mark <= now, state, posted))
        rows = []
        for (week, weeks), people in sorted(cohorts.items()):
            reached = [p for p in people if p[0]]
            member = 100 * sum(p[1] for p in reached) / len(reached) if reached else None
            posted = 100 * sum(p[2] for p in reached) / len(reached) if reached else None
            rows.append((week, weeks, len(people), len(reached), member, posted))
        return rows

    # posting

    def poster_days(self) -> set[tuple[int, dt.date]]:
        return {
            (p.person.id, self.day(p.at))
            for p in self.s.posts
            if p.person is not None
            and p.person.id not in PLACEHOLDER_ACCOUNTS
            and self.inside(p.at)
        }

    def active_posters(self) -> list[tuple[Any, ...]]:
        active = self.poster_days()
        first = min(day for _, day in active)
        rows = []
        for back in range(self.days):
            day = self.today - dt.timedelta(days=back)
            if day < first:
                continue

            def between(span: int, day: dt.date = day) -> int:
                return len({u for u, d in active if day - dt.timedelta(days=span) < d <= day})

            weekly = between(7) if back <= self.days - 7 else None
            monthly = between(30) if back <= self.days - 30 else None
            rows.append((day, between(1), weekly, monthly))
        return sorted(rows)

    def community_health(self) -> list[tuple[Any, ...]]:
        counts = Counter(
            p.person.id for p in self.s.posts if p.person is not None and self.inside(p.at)
        )
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        top = ranked[: (len(ranked) + 4) // 5]
        total, top_posts = sum(counts.values()), sum(n for _, n in top)
        return [(len(ranked), len(top), total, top_posts, round(100 * top_posts / total, 2))]

    # reactions

    def reaction_rows(
        self,
    ) -> list[tuple[Chat, int, tuple[int | None, int | None], Reaction, str, int, int]]:
        """(chat, message, reactor, reaction, added/removed, at, order) of the window's changes."""
        rows = []
        for order, change in enumerate(self.s.reactions):
            if not self.inside(change.at):
                continue
            reactor = (
                change.person.id if change.person else None,
                change.actor_chat.id if change.actor_chat else None,
            )
            for key in change.new:
                if key not in change.old:
                    rows.append(
                        (change.chat, change.message_id, reactor, key, "added", change.at, order)
                    )
            for key in change.old:
                if key not in change.new:
                    rows.append(
                        (change.chat, change.message_id, reactor, key, "removed", change.at, order)
                    )
        return rows

    def reactions_per_day(self) -> list[tuple[Any, ...]]:
        added: Counter[dt.date] = Counter()
        removed: Counter[dt.date] = Counter()
        for *_, change, at, _ in self.reaction_rows():
            (added if change == "added" else removed)[self.day(at)] += 1
        return [(day, added[day], removed[day]) for day in sorted(set(added) | set(removed))]

    def standing(self) -> dict[tuple[Chat, int], Counter[Reaction]]:
        """The reactions each message holds, from the window's changes and snapshots."""
        latest: dict[tuple[Chat, int, Any, Reaction], tuple[int, int, str]] = {}
        for chat, message, reactor, key, change, at, order in self.reaction_rows():
            index = (chat, message, reactor, key)
            if index not in latest or (at, order) > latest[index][:2]:
                latest[index] = (at, order, change)
        held: dict[tuple[Chat, int], Counter[Reaction]] = defaultdict(Counter)
        for (chat, message, _, key), (_, _, change) in latest.items():
            if change == "added":
                held[(chat, message)][key] += 1
        snapshots = {}
        for snapshot in self.s.snapshots:
            if self.inside(snapshot.at):
                snapshots[(snapshot.chat, snapshot.message_id)] = snapshot
        for (chat, message), snapshot in snapshots.items():
            for key, count in snapshot.counts:
                held[(chat, message)][key] += count
        return {key: counts for key, counts in held.items() if sum(counts.values())}

    def top_emoji(self) -> list[tuple[Any, ...]]:
        totals: Counter[Reaction] = Counter()
        for counts in self.standing().values():
            totals.update(counts)
        rows = [(kind, emoji, n) for (kind, emoji), n in totals.items()]
        rows.sort(key=lambda r: (-r[2], r[0], r[1] is None, r[1] or ""))
        return rows[:15]

    def most_reacted(self) -> list[tuple[Any, ...]]:
        texts = {(p.chat.id, p.message_id): p.text[:80] for p in self.s.posts if self.inside(p.at)}
        rows = []
        for (chat, message), counts in self.standing().items():
            if chat.username:
                link = f"https://t.me/{chat.username}/{message}"
            elif chat.type in ("supergroup", "channel"):
                link = f"https://t.me/c/{str(chat.id)[4:]}/{message}"
            else:
                link = None
            total = sum(counts.values())
            rows.append((chat.id, chat.title, message, texts.get((chat.id, message)), total, link))
        rows.sort(key=lambda r: (-r[4], r[0], r[2]))
        return rows[:10]

    def reactors_vs_posters(self) -> list[tuple[Any, ...]]:
        posters = {p.person.id for p in self.s.posts if p.person and self.inside(p.at)}
        reactors = {reactor[0] for _, _, reactor, _, change, _, _ in self.reaction_rows()
                    if change == "added" and reactor[0] is not None}  # fmt: skip
        counts = {
            "posted and reacted": len(posters & reactors),
            "posted only": len(posters - reactors),
            "reacted only": len(reactors - posters),
        }
        rows = [(activity, n) for activity, n in counts.items() if n]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    def coverage(self) -> list[tuple[Any, ...]]:
        def coverage(status: str) -> str:
            if status in ("creator", "administrator"):
                return "admin"
            return "member" if status == "member" else "not a member"

        def wall(epoch: int | None) -> dt.datetime | None:
            return None if epoch is None else self.local(epoch).replace(tzinfo=None)

        rows = []
        by_chat: dict[Chat, list[Any]] = defaultdict(list)
        for status in self.s.bot_statuses:
            if self.inside(status.at):
                by_chat[status.chat].append(status)
        for chat in sorted(by_chat, key=lambda c: c.id):
            changes = by_chat[chat]
            first = changes[0]
            rows.append((chat.id, chat.title, coverage(first.old), first.old, None, wall(first.at)))
            for change, following in zip(changes, [*changes[1:], None], strict=True):
                end = wall(following.at) if following else None
                rows.append(
                    (chat.id, chat.title, coverage(change.new), change.new, wall(change.at), end)
                )
        return rows


# -- the story is what the tests need ------------------------------------------------------------


def test_the_story_exercises_every_rule(lake: Lake) -> None:
    s = lake.scenario
    # Both sources: joins with a chat_member update (and its service message), joins seen
    # only as a service message, in a chat promoted later and in a basic group.
    full = [j for j in s.joins if s.sends_chat_member(j.chat, j.at)]
    service_only = [j for j in s.joins if not s.sends_chat_member(j.chat, j.at)]
    assert full
    assert service_only
    assert {j.chat for j in service_only} >= {FAMILY, PRIVATE}
    assert {j.source for j in full} == {
        "invite_link",
        "join_request",
        "chat_folder",
        "added",
        "direct",
    }
    # No service-only change after a chat's first chat_member change: member_changes keeps
    # each change once (the view's rule, docs/engagement.md).
    for chat in (PUBLIC, PRIVATE, FAMILY):
        times = [(j.at, s.sends_chat_member(chat, j.at)) for j in s.joins if j.chat == chat]
        times += [(x.at, s.sends_chat_member(chat, x.at)) for x in s.leaves if x.chat == chat]
        first_full = min((at for at, full in times if full), default=None)
        assert first_full is None or all(full or at < first_full for at, full in times)
    assert {x.how for x in s.leaves} == {"left", "removed", "banned"}
    assert any(not change.new for change in s.reactions)  # taken back
    assert any(change.actor_chat for change in s.reactions)  # anonymous
    assert any(("paid", None) in change.new for change in s.reactions)
    assert any(not snapshot.counts for snapshot in s.snapshots)
    assert {status.chat for status in s.bot_statuses} == {PUBLIC, PRIVATE, FAMILY, CHANNEL}


# -- members -------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("tz", ZONES)
def test_member_growth(engine: LocalQueryEngine, lake: Lake, days: int, tz: str) -> None:
    expected = Oracle(lake.scenario, days, tz).member_growth()
    assert expected
    assert run(engine, "member_growth", days, tz) == expected


@pytest.mark.parametrize("days", WINDOWS)
def test_join_sources(engine: LocalQueryEngine, lake: Lake, days: int) -> None:
    expected = Oracle(lake.scenario, days, "America/Sao_Paulo").join_sources()
    assert expected
    assert run(engine, "join_sources", days, "America/Sao_Paulo") == expected


def test_join_sources_tell_a_link_join_only_where_chat_member_arrives(
    engine: LocalQueryEngine,
) -> None:
    sources = dict(run(engine, "join_sources", 120, "UTC"))
    assert set(sources) == {"invite_link", "join_request", "chat_folder", "added", "direct"}


@pytest.mark.parametrize("days", WINDOWS)
def test_top_inviters(engine: LocalQueryEngine, lake: Lake, days: int) -> None:
    expected = Oracle(lake.scenario, days, "UTC").top_inviters()
    assert expected
    assert run(engine, "top_inviters", days, "UTC") == expected


def test_top_inviters_name_link_creators_and_members_who_added(engine: LocalQueryEngine) -> None:
    rows = run(engine, "top_inviters", 120, "UTC")
    assert {how for *_, how, _, _ in rows} == {"added", "invite link"}
    assert "Instagram" in {name for *_, name, _ in rows}


@pytest.mark.parametrize("tz", ZONES)
def test_retention(engine: LocalQueryEngine, lake: Lake, tz: str) -> None:
    expected = Oracle(lake.scenario, 120, tz).retention()
    got = run(engine, "retention", 120, tz)
    assert [row[:4] for row in got] == [row[:4] for row in expected]
    for row, want in zip(got, expected, strict=True):
        for value, wanted in zip(row[4:], want[4:], strict=True):
            assert value == (None if wanted is None else pytest.approx(wanted, abs=0.051)), row
    # Every mark: reached for old cohorts, not yet for the newest.
    weeks = {row[1] for row in got}
    assert weeks == set(RETENTION_WEEKS)
    assert any(row[3] and row[4] is not None and row[4] < 100 for row in got)
    assert any(row[3] == 0 and row[4] is None for row in got)


def test_retention_cohorts_are_mondays(engine: LocalQueryEngine) -> None:
    rows = run(engine, "retention", 120, "America/Sao_Paulo")
    assert rows
    assert {row[0].weekday() for row in rows} == {0}


# -- engagement ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("tz", ZONES)
def test_active_posters_daily_weekly_monthly(
    engine: LocalQueryEngine, lake: Lake, days: int, tz: str
) -> None:
    oracle = Oracle(lake.scenario, days, tz)
    got = run(engine, "active_posters", days, tz)
    assert got == oracle.active_posters()
    # Weekly and monthly only where their days all lie in the window.
    for day, daily, weekly, monthly in got:
        assert (weekly is None) == (day < oracle.first_day + dt.timedelta(days=6))
        assert (monthly is None) == (day < oracle.first_day + dt.timedelta(days=29))
        assert daily <= (weekly or daily) <= (monthly or weekly or daily)


@pytest.mark.parametrize("days", WINDOWS)
def test_community_health_is_the_top_fifths_share_of_posts(
    engine: LocalQueryEngine, lake: Lake, days: int
) -> None:
    expected = Oracle(lake.scenario, days, "UTC").community_health()
    ((posters, top, posts, top_posts, pct),) = run(engine, "community_health", days, "UTC")
    assert (posters, top, posts, top_posts) == expected[0][:4]
    assert pct == pytest.approx(expected[0][4], abs=0.006)
    assert 20 < pct < 100


# -- reactions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("tz", ZONES)
def test_reactions_per_day(engine: LocalQueryEngine, lake: Lake, days: int, tz: str) -> None:
    expected = Oracle(lake.scenario, days, tz).reactions_per_day()
    assert expected
    assert run(engine, "reactions_per_day", days, tz) == expected


@pytest.mark.parametrize("days", WINDOWS)
def test_top_emoji_counts_the_reactions_standing(
    engine: LocalQueryEngine, lake: Lake, days: int
) -> None:
    expected = Oracle(lake.scenario, days, "UTC").top_emoji()
    assert run(engine, "top_emoji", days, "UTC") == expected


def test_top_emoji_names_custom_and_paid_reactions(engine: LocalQueryEngine) -> None:
    kinds = {kind for kind, _, _ in run(engine, "top_emoji", 120, "UTC")}
    assert kinds == {"emoji", "custom_emoji", "paid"}


@pytest.mark.parametrize("days", WINDOWS)
def test_most_reacted_messages_with_their_links(
    engine: LocalQueryEngine, lake: Lake, days: int
) -> None:
    expected = Oracle(lake.scenario, days, "UTC").most_reacted()
    assert run(engine, "most_reacted", days, "UTC") == expected


def test_most_reacted_links_for_each_kind_of_chat(engine: LocalQueryEngine) -> None:
    links = {row[0]: row[5] for row in run(engine, "most_reacted", 120, "UTC")}
    for chat, link in links.items():
        if chat == PUBLIC.id:
            assert link.startswith("https://t.me/vendasbrasil/")
        elif chat == PRIVATE.id:
            assert link.startswith("https://t.me/c/9876543210/")
        else:
            assert link.startswith("https://t.me/canalofertas/")


@pytest.mark.parametrize("days", WINDOWS)
def test_reactors_versus_posters(engine: LocalQueryEngine, lake: Lake, days: int) -> None:
    expected = Oracle(lake.scenario, days, "UTC").reactors_vs_posters()
    assert len(expected) == 3
    assert run(engine, "reactors_vs_posters", days, "UTC") == expected


# -- coverage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("tz", ZONES)
def test_coverage_periods_from_my_chat_member(
    engine: LocalQueryEngine, lake: Lake, days: int, tz: str
) -> None:
    expected = Oracle(lake.scenario, days, tz).coverage()
    assert expected
    assert run(engine, "coverage", days, tz) == expected


def test_coverage_shows_the_private_groups_gap(engine: LocalQueryEngine) -> None:
    private = [row for row in run(engine, "coverage", 30, "UTC") if row[0] == PRIVATE.id]
    assert [row[2] for row in private] == ["admin", "not a member", "admin"]
    assert private[0][4] is None
    assert private[-1][5] is None
    gap = private[1][5] - private[1][4]
    assert 2 * DAY < gap.total_seconds() < 4 * DAY
