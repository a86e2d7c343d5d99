"""One chart per dashboard query: a query's rows in, the SVG of its panel out.

`CHARTS` names each known query's panel title and chart, in page order; a query it
does not know gets `generic_chart`. A result without the columns a chart needs
raises `ChartDataError`, which the page shows in the panel with the rows as a table.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from scripts.svg_charts import (
    WIDTH,
    Series,
    bar_chart,
    coord,
    esc,
    format_duration,
    hbar_chart,
    heatmap_chart,
    no_data,
    share_chart,
    short_date,
    svg_open,
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


def chart_daily_active_senders(result: QueryResult, context: PageContext) -> str:
    """Daily bars of distinct senders."""
    data = _Rows(result, "day", "active_senders")
    senders = _day_sums(data, "active_senders")
    return _daily_bars(
        result, context, [("active senders", senders)], y_label="people who posted", unit=" people"
    )


def chart_joins_leaves(result: QueryResult, context: PageContext) -> str:
    """Daily joins and leaves side by side."""
    data = _Rows(result, "day", "joins", "leaves")
    return _daily_bars(
        result,
        context,
        [("joined", _day_sums(data, "joins")), ("left", _day_sums(data, "leaves"))],
        y_label="members per day",
        unit=" members",
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


ChartBuilder = Callable[[QueryResult, PageContext], str]

#: Title and chart of each dashboard query, in page order.
CHARTS: Final[dict[str, tuple[str, ChartBuilder]]] = {
    "totals": ("At a glance", chart_totals),
    "messages_per_day": ("Messages per day", chart_messages_per_day),
    "daily_active_senders": ("Daily active senders", chart_daily_active_senders),
    "activity_heatmap": ("When people post: hour × weekday", chart_activity_heatmap),
    "top_senders": ("Top senders", chart_top_senders),
    "languages": ("Languages of the people posting", chart_languages),
    "message_types": ("Message types", chart_message_types),
    "text_lengths": ("Text length", chart_text_lengths),
    "top_hashtags": ("Top hashtags", chart_top_hashtags),
    "top_mentions": ("Top mentions", chart_top_mentions),
    "top_domains": ("Top linked sites", chart_top_domains),
    "joins_leaves": ("Joins and leaves", chart_joins_leaves),
    "edits": ("Edited messages", chart_edits),
    "replies": ("Replies", chart_replies),
}


def result_title(name: str) -> str:
    """A query's panel title: the page's own, else its name in words."""
    entry = CHARTS.get(name)
    return entry[0] if entry else name.replace("_", " ").capitalize()


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
