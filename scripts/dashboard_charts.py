"""One chart per dashboard query: a query's rows in, the SVG of its panel out.

`CHARTS` describes each known query's panel, in page order: its section, title and
units, a caption saying what it counts, why it may have no data, and its chart; a
query it does not know gets `generic_chart`. A result without the columns a chart
needs raises `ChartDataError`, which the page shows in the panel with the rows as a
table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from scripts.svg_charts import (
    PALETTE,
    WIDTH,
    Period,
    Series,
    bar_chart,
    coord,
    esc,
    format_duration,
    format_number,
    grid_chart,
    hbar_chart,
    heatmap_chart,
    line_chart,
    no_data,
    share_chart,
    short_date,
    svg_open,
    timeline_chart,
    truncate,
)

#: The text-length buckets of text_lengths.sql, in order, so empty buckets still show.
TEXT_LENGTH_RANGES: Final = ("1-20", "21-50", "51-100", "101-200", "201-500", "501-1000", "1001+")


@dataclass(frozen=True)
class QueryResult:
    """One dashboard query's outcome: its rows, or the error that replaced them."""

    name: str
    question: str
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    error: str | None = None
    data_scanned_bytes: int | None = None


@dataclass(frozen=True)
class PageContext:
    """What the header says: the chats, the window, the time zone, the source, when."""

    #: (chat_id, title), busiest first; None when the query that lists them failed.
    chats: Sequence[tuple[int, str | None]] | None
    days: int
    tz: str
    window_start: dt.date
    window_end: dt.date
    generated_at: dt.datetime
    source: str

    def window_days(self) -> list[dt.date]:
        """Every calendar day of the window, oldest first."""
        count = (self.window_end - self.window_start).days + 1
        return [self.window_start + dt.timedelta(days=n) for n in range(max(count, 0))]


class ChartDataError(ValueError):
    """A query's rows do not have the columns its chart needs."""


# -- result values -----------------------------------------------------------------------


def as_number(value: Any) -> float:
    """A result value as a float (None counts as 0)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    return float(str(value))


def as_date(value: Any) -> dt.date:
    """A result value (a date, a datetime or ISO text) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class _Rows:
    """Access to a result's values by column name, with a clear error for a missing one."""

    def __init__(self, result: QueryResult, *needed: str) -> None:
        missing = [name for name in needed if name not in result.columns]
        if missing:
            raise ChartDataError(
                f"the result has no column {', '.join(missing)} "
                f"(columns: {', '.join(result.columns) or 'none'})"
            )
        self.index = {name: position for position, name in enumerate(result.columns)}
        self.rows = result.rows

    def __iter__(self) -> Any:
        return iter(self.rows)

    def get(self, row: Sequence[Any], name: str) -> Any:
        return row[self.index[name]]


def _per_day(
    data: _Rows, value_column: str, key: Callable[[Sequence[Any]], Any]
) -> dict[Any, dict[dt.date, float]]:
    """Sums of `value_column` by series key, then by day."""
    totals: dict[Any, dict[dt.date, float]] = {}
    for row in data:
        day = as_date(data.get(row, "day"))
        series = totals.setdefault(key(row), {})
        series[day] = series.get(day, 0.0) + as_number(data.get(row, value_column))
    return totals


def _day_sums(data: _Rows, value_column: str) -> dict[dt.date, float]:
    """Sums of `value_column` by day, as one series."""
    return _per_day(data, value_column, lambda row: None).get(None, {})


def _daily_bars(
    result: QueryResult,
    context: PageContext,
    per_day: Sequence[tuple[str, Mapping[dt.date, float]]],
    *,
    y_label: str,
    unit: str,
    stacked: bool = False,
) -> str:
    """Bars over every day of the window, one series per (name, sums by day)."""
    days = context.window_days()
    return bar_chart(
        categories=[short_date(day) for day in days],
        series=[Series(name, [sums.get(day, 0.0) for day in days]) for name, sums in per_day],
        stacked=stacked,
        x_label=f"day ({context.tz})",
        y_label=y_label,
        label=result_title(result.name),
        unit=unit,
    )


# -- one chart per dashboard query -----------------------------------------------------------


def chart_messages_per_day(result: QueryResult, context: PageContext) -> str:
    """Stacked daily bars, one colour per chat."""
    data = _Rows(result, "day", "chat_id", "chat_title", "messages")
    names: dict[Any, str] = {}
    for row in data:
        chat = data.get(row, "chat_id")
        names[chat] = str(data.get(row, "chat_title") or f"chat {chat}")
    per_chat = _per_day(data, "messages", lambda row: data.get(row, "chat_id"))
    busiest_first = sorted(per_chat.items(), key=lambda item: -sum(item[1].values()))
    return _daily_bars(
        result,
        context,
        [(names[chat], counts) for chat, counts in busiest_first],
        y_label="messages per day",
        unit=" messages",
        stacked=True,
    )


def chart_activity_heatmap(result: QueryResult, context: PageContext) -> str:
    """Weekday by hour heatmap in the page's time zone."""
    data = _Rows(result, "weekday", "hour", "messages")
    counts: dict[tuple[int, int], float] = {}
    for row in data:
        key = (int(as_number(data.get(row, "weekday"))), int(as_number(data.get(row, "hour"))))
        counts[key] = counts.get(key, 0.0) + as_number(data.get(row, "messages"))
    return heatmap_chart(
        counts=counts,
        x_label=f"hour of day ({context.tz})",
        y_label="weekday",
        label=result_title(result.name),
        name=result.name,
    )


def _ranked(result: QueryResult, label_column: str, value_column: str, x_label: str) -> str:
    data = _Rows(result, label_column, value_column)
    labels = [str(data.get(row, label_column)) for row in data]
    values = [as_number(data.get(row, value_column)) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label=x_label, label=result_title(result.name)
    )


def sender_name(user_id: Any, first_name: Any, username: Any) -> str:
    """How a sender is shown: first name and @username, else whichever there is, else the id."""
    if first_name and username:
        return f"{first_name} (@{username})"
    if username:
        return f"@{username}"
    return str(first_name) if first_name else f"user {user_id}"


def chart_top_senders(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the busiest senders."""
    data = _Rows(result, "user_id", "first_name", "username", "messages")
    labels = [
        sender_name(data.get(r, "user_id"), data.get(r, "first_name"), data.get(r, "username"))
        for r in data
    ]
    values = [as_number(data.get(row, "messages")) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label="messages", label=result_title(result.name)
    )


def chart_message_types(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of message kinds."""
    return _ranked(result, "message_type", "messages", "messages")


def chart_top_hashtags(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of hashtags."""
    return _ranked(result, "hashtag", "uses", "uses in messages")


def chart_top_mentions(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of @mentions."""
    return _ranked(result, "mention", "uses", "mentions in messages")


def chart_top_domains(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of linked web sites."""
    return _ranked(result, "domain", "links", "links shared")


def _single_row(result: QueryResult, *columns: str) -> dict[str, Any]:
    data = _Rows(result, *columns)
    rows = list(data)
    if not rows:
        return dict.fromkeys(columns)
    return {name: data.get(rows[0], name) for name in columns}


def _share_with_median(
    result: QueryResult,
    part_column: str,
    median_column: str,
    part_name: str,
    rest_name: str,
    median_label: str,
) -> str:
    """A share chart of `part_column` among all messages, noting a median duration."""
    row = _single_row(result, "messages", part_column, median_column)
    median = row[median_column]
    return share_chart(
        part=as_number(row[part_column]),
        whole=as_number(row["messages"]),
        part_name=part_name,
        rest_name=rest_name,
        note=f"{median_label}: {format_duration(None if median is None else as_number(median))}",
        label=result_title(result.name),
    )


def chart_edits(result: QueryResult, context: PageContext) -> str:
    """Share of messages edited, with the median time to the first edit."""
    return _share_with_median(
        result,
        "edited_messages",
        "median_seconds_to_edit",
        "edited",
        "never edited",
        "median time from sending to the first edit",
    )


def chart_replies(result: QueryResult, context: PageContext) -> str:
    """Share of messages that reply to another, with the median reply delay."""
    return _share_with_median(
        result,
        "replies",
        "median_seconds_to_reply",
        "are replies",
        "not replies",
        "median delay between a message and a reply to it",
    )


def chart_text_lengths(result: QueryResult, context: PageContext) -> str:
    """A histogram of text lengths over fixed buckets."""
    data = _Rows(result, "length_range", "messages")
    counts = {
        str(data.get(row, "length_range")): as_number(data.get(row, "messages")) for row in data
    }
    ranges = list(TEXT_LENGTH_RANGES) + [r for r in counts if r not in TEXT_LENGTH_RANGES]
    return bar_chart(
        categories=ranges,
        series=[Series("messages", [counts.get(r, 0.0) for r in ranges])],
        x_label="text or caption length (characters)",
        y_label="messages",
        label=result_title(result.name),
        unit=" messages",
    )


def chart_languages(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the posters' app languages."""
    return _ranked(result, "language", "senders", "people posting")


TOTALS: Final = (
    ("messages", "messages"),
    ("active_senders", "people posting"),
    ("joins", "joined"),
    ("leaves", "left"),
)


def chart_totals(result: QueryResult, context: PageContext) -> str:
    """The window's headline numbers side by side, as Telegram's statistics page opens."""
    label = result_title(result.name)
    if not list(_Rows(result, *(column for column, _ in TOTALS))):
        return no_data(70, label, "totals")
    row = _single_row(result, *(column for column, _ in TOTALS))
    slot = WIDTH / len(TOTALS)
    cells = []
    for index, (column, label) in enumerate(TOTALS):
        value = row[column]
        shown = "—" if value is None else f"{as_number(value):,.0f}"
        x = coord(slot * (index + 0.5))
        cells.append(
            f'<text class="headline" x="{x}" y="34" text-anchor="middle" '
            f'style="font-size:26px">{esc(shown)}</text>'
            f'<text class="axis-label" x="{x}" y="58" text-anchor="middle">{esc(label)}</text>'
        )
    return svg_open(70, label, "totals") + "".join(cells) + "</svg>"


# -- members -------------------------------------------------------------------------------

#: How each join_source reads on the page.
JOIN_SOURCE_NAMES: Final = {
    "invite_link": "invite link",
    "join_request": "join request, approved",
    "chat_folder": "chat folder link",
    "added": "added by a member",
    "direct": "by themselves",
}


def chart_member_growth(result: QueryResult, context: PageContext) -> str:
    """Daily joins and leaves side by side, and the net change over the window."""
    data = _Rows(result, "day", "joins", "leaves", "net")
    chart = _daily_bars(
        result,
        context,
        [("joined", _day_sums(data, "joins")), ("left", _day_sums(data, "leaves"))],
        y_label="members per day",
        unit=" members",
    )
    if not list(data):
        return chart
    net = sum(as_number(data.get(row, "net")) for row in data)
    return (
        chart + f'<p class="chart-note">Net change over the window: {net:+,.0f} members '
        "(joins − leaves).</p>"
    )


def chart_join_sources(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of how members joined."""
    data = _Rows(result, "join_source", "joins")
    labels = [
        JOIN_SOURCE_NAMES.get(str(data.get(row, "join_source")), str(data.get(row, "join_source")))
        for row in data
    ]
    values = [as_number(data.get(row, "joins")) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label="joins", label=result_title(result.name)
    )


def inviter_name(name: str, how: Any, link_name: Any) -> str:
    """An inviter and how they brought people in: added them, or which invite link."""
    if how == "added":
        return f"{name} · added them"
    return f"{name} · link “{link_name}”" if link_name else f"{name} · invite link"


def chart_top_inviters(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the members who brought the most people in."""
    data = _Rows(result, "user_id", "first_name", "username", "how", "invite_link_name", "joins")
    labels = [
        inviter_name(
            # The first name alone: the bar's label has room for how, too.
            sender_name(data.get(r, "user_id"), data.get(r, "first_name"), None)
            if data.get(r, "first_name")
            else sender_name(data.get(r, "user_id"), None, data.get(r, "username")),
            data.get(r, "how"),
            data.get(r, "invite_link_name"),
        )
        for r in data
    ]
    values = [as_number(data.get(row, "joins")) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label="joins brought in", label=result_title(result.name)
    )


def chart_retention(result: QueryResult, context: PageContext) -> str:
    """A grid: a row per join week, the shares still members and posting at each mark."""
    data = _Rows(
        result, "cohort_week", "weeks", "joined", "reached", "still_member_pct", "posted_pct"
    )
    cohorts: dict[dt.date, dict[int, Sequence[Any]]] = {}
    for row in data:
        cohorts.setdefault(as_date(data.get(row, "cohort_week")), {})[
            int(as_number(data.get(row, "weeks")))
        ] = row
    marks = sorted({weeks for marks in cohorts.values() for weeks in marks})
    columns = [f"member {w}w" for w in marks] + [f"posted w{w}" for w in marks]
    labels, values = [], []
    for week, by_mark in sorted(cohorts.items()):
        joined = max(as_number(data.get(row, "joined")) for row in by_mark.values())
        labels.append(f"{short_date(week)} · {format_number(joined)} joined")
        cells: list[float | None] = []
        for column in ("still_member_pct", "posted_pct"):
            for weeks in marks:
                row = by_mark.get(weeks)
                value = None if row is None else data.get(row, column)
                cells.append(None if value is None else as_number(value))
        values.append(cells)
    return grid_chart(
        rows=labels,
        columns=columns,
        values=values,
        x_label=f"% of each week's joiners (weeks from Monday, {context.tz})",
        label=result_title(result.name),
    )


# -- engagement -------------------------------------------------------------------------------


def chart_active_posters(result: QueryResult, context: PageContext) -> str:
    """Lines over the window's days: people posting that day, in 7 days, in 30 days."""
    data = _Rows(result, "day", "daily", "weekly", "monthly")
    by_day = {as_date(data.get(row, "day")): row for row in data}
    days = context.window_days()
    series = []
    for column, name in (("daily", "that day"), ("weekly", "7 days"), ("monthly", "30 days")):
        values: list[float | None] = []
        for day in days:
            row = by_day.get(day)
            value = None if row is None else data.get(row, column)
            values.append(None if value is None else as_number(value))
        series.append((name, values))
    return line_chart(
        categories=[short_date(day) for day in days],
        series=series,
        x_label=f"day ({context.tz})",
        y_label="people who posted",
        label=result_title(result.name),
        unit=" people",
    )


def chart_community_health(result: QueryResult, context: PageContext) -> str:
    """The most active fifth's share of the posts."""
    row = _single_row(
        result, "posters", "top_fifth_posters", "posts", "top_fifth_posts", "top_fifth_pct"
    )
    return share_chart(
        part=as_number(row["top_fifth_posts"]),
        whole=as_number(row["posts"]),
        part_name="by the most active fifth",
        rest_name="by everyone else",
        note=(
            f"the most active fifth: {format_number(as_number(row['top_fifth_posters']))} of "
            f"{format_number(as_number(row['posters']))} people posting"
        ),
        label=result_title(result.name),
        axis_label="share of posts (%)",
    )


#: The activity groups of reactors_vs_posters, in the chart's order.
ACTIVITIES: Final = ("posted only", "posted and reacted", "reacted only")


def chart_reactors_vs_posters(result: QueryResult, context: PageContext) -> str:
    """Bars of people who only post, post and react, only react; none without reactions."""
    data = _Rows(result, "activity", "people")
    counts = {str(data.get(row, "activity")): as_number(data.get(row, "people")) for row in data}
    label = result_title(result.name)
    if not counts.get("reacted only") and not counts.get("posted and reacted"):
        return no_data(120, label, "hbar")  # without reactions, everyone only posts
    order = [a for a in ACTIVITIES if a in counts] + sorted(set(counts) - set(ACTIVITIES))
    return hbar_chart(
        labels=order, values=[counts[a] for a in order], x_label="people", label=label
    )


# -- reactions --------------------------------------------------------------------------------


def chart_reactions_per_day(result: QueryResult, context: PageContext) -> str:
    """Daily reactions added and taken back, side by side."""
    data = _Rows(result, "day", "added", "removed")
    return _daily_bars(
        result,
        context,
        [("added", _day_sums(data, "added")), ("taken back", _day_sums(data, "removed"))],
        y_label="reactions per day",
        unit=" reactions",
    )


def reaction_name(reaction_type: Any, emoji: Any) -> str:
    """A reaction as the page shows it: the emoji, a custom emoji's id, or paid."""
    if reaction_type == "paid":
        return "⭐ paid (Telegram Stars)"
    if reaction_type == "custom_emoji":
        return f"custom emoji {emoji}"
    return str(emoji) if emoji else str(reaction_type)


def chart_top_emoji(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the reactions messages hold."""
    data = _Rows(result, "reaction_type", "emoji", "reactions")
    labels = [reaction_name(data.get(r, "reaction_type"), data.get(r, "emoji")) for r in data]
    values = [as_number(data.get(row, "reactions")) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label="reactions", label=result_title(result.name)
    )


#: A message link the page makes clickable: t.me/<username>/<id> or t.me/c/<id>/<id>.
MESSAGE_LINK: Final = re.compile(r"https://t\.me/(?:[A-Za-z][A-Za-z0-9_]{3,31}|c/[0-9]+)/[0-9]+")


def chart_most_reacted(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the most reacted messages, then their links."""
    data = _Rows(result, "chat_id", "chat_title", "message_id", "text_preview", "reactions", "link")
    labels = []
    links = []
    for row in data:
        chat = data.get(row, "chat_title") or f"chat {data.get(row, 'chat_id')}"
        message = f"{chat} #{data.get(row, 'message_id')}"
        preview = data.get(row, "text_preview")
        labels.append(f"{message}: {preview}" if preview else message)
        link = data.get(row, "link")
        reactions = format_number(as_number(data.get(row, "reactions")))
        if isinstance(link, str) and MESSAGE_LINK.fullmatch(link):
            links.append(
                f'<li><a href="{esc(link)}" rel="noopener noreferrer">{esc(link)}</a> '
                f"· {esc(truncate(message, 40))} · {reactions} reactions</li>"
            )
    chart = hbar_chart(
        labels=labels,
        values=[as_number(data.get(row, "reactions")) for row in data],
        x_label="reactions",
        label=result_title(result.name),
    )
    return chart + (f'<ol class="links">{"".join(links)}</ol>' if links else "")


# -- coverage ---------------------------------------------------------------------------------

#: The bot's coverage of a chat and its colour on the timeline.
COVERAGE_COLOURS: Final = {"admin": PALETTE[2], "member": PALETTE[1], "not a member": PALETTE[3]}


def as_datetime(value: Any) -> dt.datetime:
    """A result value (a datetime or ISO text) as a datetime without zone."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)


def chart_coverage(result: QueryResult, context: PageContext) -> str:
    """A timeline per chat of the bot's status across the window (wall times in the zone)."""
    data = _Rows(
        result, "chat_id", "chat_title", "coverage", "telegram_status", "period_start", "period_end"
    )
    start = dt.datetime.combine(context.window_start, dt.time())
    end = context.generated_at.astimezone(ZoneInfo(context.tz)).replace(tzinfo=None)
    span = max((end - start).total_seconds(), 1.0)

    def share(moment: dt.datetime) -> float:
        return (moment - start).total_seconds() / span

    chats: dict[Any, tuple[str, list[Period]]] = {}
    for row in data:
        chat = data.get(row, "chat_id")
        name = str(data.get(row, "chat_title") or f"chat {chat}")
        began = data.get(row, "period_start")
        ended = data.get(row, "period_end")
        since = start if began is None else as_datetime(began)
        until = end if ended is None else as_datetime(ended)
        coverage = str(data.get(row, "coverage"))
        tooltip = (
            f"{name}: {coverage} ({data.get(row, 'telegram_status')}), "
            f"{'before the window' if began is None else f'{since:%Y-%m-%d %H:%M}'} to "
            f"{'now' if ended is None else f'{until:%Y-%m-%d %H:%M}'}"
        )
        chats.setdefault(chat, (name, []))[1].append(
            Period(share(since), share(until), coverage, tooltip)
        )
    days = context.window_days()
    every = max(1, len(days) // 5)
    ticks = [(share(dt.datetime.combine(day, dt.time())), short_date(day)) for day in days[::every]]
    return timeline_chart(
        rows=list(chats.values()),
        categories=COVERAGE_COLOURS,
        ticks=ticks,
        x_label=f"date ({context.tz})",
        label=result_title(result.name),
    )


ChartBuilder = Callable[[QueryResult, PageContext], str]


@dataclass(frozen=True)
class Chart:
    """A query's panel: where it goes, what it is called and measured in, what it counts,
    why it may be empty, and how it is drawn."""

    section: str
    title: str
    #: The unit of the numbers; the panel adds the window and its time zone.
    units: str
    build: ChartBuilder
    #: What is counted and how, beyond the query's question (may be empty).
    caption: str = ""
    #: Why a window may have nothing to show: said when the chart has no data.
    empty: str = "No messages were posted in this window."


#: The page's sections, in order, each with what its panels have in common.
SECTIONS: Final = {
    "Messages": "What was posted: each message once, in its latest version.",
    "Members": (
        "Who joined and left, how, and who stayed: membership changes from member_events "
        "(one source per chat: chat_member updates where the bot is an admin, else the "
        "join and leave service messages)."
    ),
    "Engagement": "Who takes part, when, and how evenly.",
    "Reactions": (
        "Reactions to messages, from the reactions table: users' reactions and channels' "
        "anonymous totals."
    ),
    "Coverage": "When the bot could see what: the gaps in everything above.",
    "Other": "Queries without a chart of their own.",
}

MEMBERS_SOURCES: Final = (
    "Joins and leaves come from chat_member updates (the bot an admin, chat_member in "
    "allowed_updates) or from the join and leave service messages of groups the bot is "
    "in, through the member_events delivery stream."
)
MEMBERS_EMPTY: Final = "No membership changes in this window. " + MEMBERS_SOURCES
REACTIONS_EMPTY: Final = (
    "No reactions in this window: reactions need the bot to be an admin and "
    "message_reaction (for channels' anonymous totals, message_reaction_count) in "
    "allowed_updates, delivered through the reactions stream."
)

#: Every known query's panel, in page order.
CHARTS: Final[dict[str, Chart]] = {
    "totals": Chart(
        "Messages",
        "At a glance",
        "counts",
        chart_totals,
        "Posts and people posting; members joined and left as the join and leave "
        "service messages announce them.",
    ),
    "messages_per_day": Chart(
        "Messages", "Messages per day", "messages per day", chart_messages_per_day
    ),
    "top_senders": Chart("Messages", "Top senders", "messages", chart_top_senders),
    "message_types": Chart("Messages", "Message types", "messages", chart_message_types),
    "text_lengths": Chart(
        "Messages", "Text length", "messages per length range (characters)", chart_text_lengths
    ),
    "top_hashtags": Chart("Messages", "Top hashtags", "uses", chart_top_hashtags),
    "top_mentions": Chart("Messages", "Top mentions", "uses", chart_top_mentions),
    "top_domains": Chart("Messages", "Top linked sites", "links", chart_top_domains),
    "edits": Chart("Messages", "Edited messages", "% of messages", chart_edits),
    "replies": Chart("Messages", "Replies", "% of messages", chart_replies),
    "member_growth": Chart(
        "Members",
        "Member growth",
        "members per day",
        chart_member_growth,
        "A join is a change into membership, a leave one out of it (left, removed or "
        "banned); the bot's own count too. The member count itself is not shown: it needs "
        "getChatMemberCount (tgpipe status shows today's).",
        MEMBERS_EMPTY,
    ),
    "join_sources": Chart(
        "Members",
        "How new members join",
        "joins",
        chart_join_sources,
        "Where only service messages arrive, a join by link looks like a join by themselves.",
        MEMBERS_EMPTY,
    ),
    "top_inviters": Chart(
        "Members",
        "Top inviters",
        "joins brought in",
        chart_top_inviters,
        "Joins a member added, and joins through an invite link, counted for the link's "
        "creator (invite links are seen in chat_member updates only).",
        "No join in this window was added by a member or came through an invite link the "
        "bot saw: invite links arrive in chat_member updates only (the bot an admin, "
        "chat_member in allowed_updates). " + MEMBERS_SOURCES,
    ),
    "retention": Chart(
        "Members",
        "Retention",
        "% of each week's joiners",
        chart_retention,
        "People (not bots) who joined in a week, by the Monday of that week: the share still "
        "a member, and the share who posted in the week before the mark, 1, 4 and 12 weeks "
        "after their join. A mark still in the future is not counted yet.",
        "No one other than a bot joined in this window. " + MEMBERS_SOURCES,
    ),
    "active_posters": Chart(
        "Engagement",
        "Active posters",
        "people",
        chart_active_posters,
        "Different people posting each day, in the 7 and in the 30 days ending that day "
        "(DAU, WAU, MAU); weekly and monthly only where those days lie in the window.",
    ),
    "community_health": Chart(
        "Engagement",
        "Community health",
        "% of posts",
        chart_community_health,
        "The share of posts written by the most active fifth of the people posting: near "
        "20% everyone takes part alike, near 100% a few carry the group.",
    ),
    "activity_heatmap": Chart(
        "Engagement", "When people post: hour × weekday", "messages", chart_activity_heatmap
    ),
    "languages": Chart(
        "Engagement",
        "Languages of the people posting",
        "people posting",
        chart_languages,
        "The language of each person's Telegram app (language_code), as Telegram sends it.",
    ),
    "reactors_vs_posters": Chart(
        "Engagement",
        "Who reacts, who posts",
        "people",
        chart_reactors_vs_posters,
        "People who posted, who added a reaction, or both (anonymous reactions name no one).",
        REACTIONS_EMPTY,
    ),
    "reactions_per_day": Chart(
        "Reactions",
        "Reactions per day",
        "reactions per day",
        chart_reactions_per_day,
        "Reactions users (or chats, anonymously) added and took back; channels' anonymous "
        "totals count under top reactions and most reacted only.",
        REACTIONS_EMPTY,
    ),
    "top_emoji": Chart(
        "Reactions",
        "Top reactions",
        "reactions",
        chart_top_emoji,
        "Reactions given in the window and not taken back, with channels' latest anonymous totals.",
        REACTIONS_EMPTY,
    ),
    "most_reacted": Chart(
        "Reactions",
        "Most reacted messages",
        "reactions",
        chart_most_reacted,
        "Links open the message in Telegram: public chats by username, other supergroups "
        "and channels for their members (t.me/c/...); basic groups have none.",
        REACTIONS_EMPTY,
    ),
    "coverage": Chart(
        "Coverage",
        "Bot coverage",
        "the bot's status over time",
        chart_coverage,
        "An admin sees messages, chat_member updates and reactions (when asked for in "
        "allowed_updates), a member messages and join and leave messages, a non-member "
        "nothing: what the other panels count depends on it.",
        "The bot's own status did not change in this window (no my_chat_member update): it "
        "kept the status it had before (tgpipe status shows it).",
    ),
}


def result_title(name: str) -> str:
    """A query's panel title: the page's own, else its name in words."""
    entry = CHARTS.get(name)
    return entry.title if entry else name.replace("_", " ").capitalize()


def page_order(names: Iterable[str]) -> list[str]:
    """Known queries in the page's order, then any others by name."""
    present = set(names)
    return [n for n in CHARTS if n in present] + sorted(present - set(CHARTS))


def generic_chart(result: QueryResult, context: PageContext) -> str:
    """A query the page does not know: ranked bars of its first column by its last, if numeric."""
    if len(result.columns) >= 2 and result.rows:
        try:
            values = [as_number(row[-1]) for row in result.rows]
        except (TypeError, ValueError):
            values = []
        if values:
            return hbar_chart(
                labels=[str(row[0]) for row in result.rows[:30]],
                values=values[:30],
                x_label=result.columns[-1],
                label=result_title(result.name),
            )
    return ""
