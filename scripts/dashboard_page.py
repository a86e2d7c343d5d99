"""The dashboards as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Pure: query results in, HTML text out. Nothing on the page refers to anything
outside it (no fonts, scripts, styles or images to fetch), so the file opens
offline, from a mail attachment or a USB stick. Every text that comes from the
data (chat titles, names, hashtags, domains, error messages) is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final
from zoneinfo import ZoneInfo

#: Chart size in SVG user units; the SVG scales to the panel's width.
WIDTH: Final = 640
BAR_HEIGHT: Final = 280
MARGIN_LEFT: Final = 60
MARGIN_RIGHT: Final = 16
MARGIN_TOP: Final = 28
MARGIN_BOTTOM: Final = 58

#: Series colours: Okabe-Ito, distinguishable with the common colour-vision deficiencies.
PALETTE: Final = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")
HEAT_LOW: Final = (240, 244, 250)
HEAT_HIGH: Final = (8, 69, 148)
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
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


# -- values and formatting ---------------------------------------------------------------


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


def format_number(value: float) -> str:
    """A count or measure for a label: thousands separated, at most one decimal."""
    if math.isnan(value):
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def format_duration(seconds: float | None) -> str:
    """Seconds as a short duration: 45 s, 12.5 min, 3.2 h, 1.5 days."""
    if seconds is None or math.isnan(seconds):
        return "n/a"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def short_date(day: dt.date) -> str:
    """`19 Nov`: a day on an axis, independent of the machine's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `maximum` (steps of 1, 2 or 5 times a power of 10)."""
    if maximum <= 0 or math.isnan(maximum):
        return [0.0, 1.0]
    raw_step = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    if maximum >= 1:
        step = max(step, 1.0)  # counts: no tick at 0.5
    top = math.ceil(maximum / step - 1e-9) * step
    return [round(n * step, 10) for n in range(round(top / step) + 1)]


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- SVG primitives ------------------------------------------------------------------------


def _svg_open(height: int, label: str, kind: str) -> str:
    # No xmlns: inline SVG in HTML needs none, and the page names no outside address.
    return (
        f'<svg class="chart chart-{kind}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_e(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{_e(label)}</title>"
    )


def _no_data(height: int, label: str, kind: str) -> str:
    return (
        _svg_open(height, label, kind)
        + f'<text class="empty" x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle">'
        "no data in this window</text></svg>"
    )


def _legend(names: Sequence[str]) -> str:
    if len(names) < 2:
        return ""
    parts = []
    x = float(MARGIN_LEFT)
    for index, name in enumerate(names):
        shown = truncate(name, 32)
        parts.append(
            f'<rect x="{_fmt(x)}" y="6" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text class="legend" x="{_fmt(x + 14)}" y="15">{_e(shown)}'
            f"<title>{_e(name)}</title></text>"
        )
        x += 14 + 7 * len(shown) + 18
    return "".join(parts)


def _y_axis(ticks: Sequence[float], plot_top: float, plot_bottom: float, label: str) -> str:
    top = ticks[-1]
    parts = []
    for tick in ticks:
        y = plot_bottom - (plot_bottom - plot_top) * (tick / top)
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">'
            f"{_e(format_number(tick))}</text>"
        )
    middle = (plot_top + plot_bottom) / 2
    parts.append(
        f'<text class="axis-label" x="14" y="{_fmt(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_fmt(middle)})">{_e(label)}</text>'
    )
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per category."""

    name: str
    values: Sequence[float]


def bar_chart(
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    label: str,
    stacked: bool = False,
    unit: str = "",
) -> str:
    """Vertical bars, one group (or stack) per category; an SVG element."""
    if not categories or not series or all(v == 0 for s in series for v in s.values):
        return _no_data(BAR_HEIGHT, label, "bar")
    if stacked:
        maximum = max(sum(s.values[i] for s in series) for i in range(len(categories)))
    else:
        maximum = max(v for s in series for v in s.values)
    ticks = nice_ticks(maximum)
    plot_top, plot_bottom = float(MARGIN_TOP), float(BAR_HEIGHT - MARGIN_BOTTOM)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    slot = plot_width / len(categories)
    bar_area = slot * 0.8
    bar_width = bar_area if stacked else bar_area / len(series)
    scale = (plot_bottom - plot_top) / ticks[-1]
    parts = [_svg_open(BAR_HEIGHT, label, "bar"), _legend([s.name for s in series])]
    parts.append(_y_axis(ticks, plot_top, plot_bottom, y_label))
    for index, category in enumerate(categories):
        left = MARGIN_LEFT + slot * index + (slot - bar_area) / 2
        base = plot_bottom
        for number, one in enumerate(series):
            value = one.values[index]
            height = value * scale
            x = left if stacked else left + bar_width * number
            y = base - height if stacked else plot_bottom - height
            colour = PALETTE[number % len(PALETTE)]
            tooltip = f"{category}: {format_number(value)}{unit}"
            if len(series) > 1:
                tooltip = f"{one.name}, {tooltip}"
            parts.append(
                f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(max(bar_width - 1, 1))}" '
                f'height="{_fmt(height)}" fill="{colour}"><title>{_e(tooltip)}</title></rect>'
            )
            if stacked:
                base -= height
    # Thin the category labels so they never overlap (at most ~12 across).
    every = max(1, math.ceil(len(categories) / 12))
    for index, category in enumerate(categories):
        if index % every:
            continue
        x = MARGIN_LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="tick" x="{_fmt(x)}" y="{_fmt(plot_bottom + 16)}" text-anchor="middle">'
            f"{_e(truncate(category, 10))}<title>{_e(category)}</title></text>"
        )
    parts.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{_fmt(plot_bottom)}" y2="{_fmt(plot_bottom)}"/>'
        f'<text class="axis-label" x="{_fmt(MARGIN_LEFT + plot_width / 2)}" '
        f'y="{BAR_HEIGHT - 12}" text-anchor="middle">{_e(x_label)}</text></svg>'
    )
    return "".join(parts)


def hbar_chart(*, labels: Sequence[str], values: Sequence[float], x_label: str, label: str) -> str:
    """Ranked horizontal bars with their values; an SVG element."""
    row, top, bottom, left = 22, 10, 46, 190
    height = top + row * max(len(labels), 1) + bottom
    if not labels or all(v == 0 for v in values):
        return _no_data(max(height, 120), label, "hbar")
    ticks = nice_ticks(max(values))
    plot_right = WIDTH - MARGIN_RIGHT - 40  # room for the value labels
    scale = (plot_right - left) / ticks[-1]
    plot_bottom = top + row * len(labels)
    parts = [_svg_open(height, label, "hbar")]
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            f'<line class="grid" x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{top}" y2="{plot_bottom}"/>'
            f'<text class="tick" x="{_fmt(x)}" y="{plot_bottom + 14}" text-anchor="middle">'
            f"{_e(format_number(tick))}</text>"
        )
    for index, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = top + row * index
        width = value * scale
        parts.append(
            f'<text class="category" x="{left - 6}" y="{y + 15}" text-anchor="end">'
            f"{_e(truncate(name, 26))}<title>{_e(name)}</title></text>"
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{_fmt(max(width, 1))}" '
            f'height="{row - 6}" fill="{PALETTE[0]}"><title>{_e(name)}: '
            f"{_e(format_number(value))}</title></rect>"
            f'<text class="value" x="{_fmt(left + width + 4)}" y="{y + 15}">'
            f"{_e(format_number(value))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{plot_bottom}"/>'
        f'<text class="axis-label" x="{_fmt((left + plot_right) / 2)}" y="{height - 10}" '
        f'text-anchor="middle">{_e(x_label)}</text></svg>'
    )
    return "".join(parts)


def _heat_colour(share: float) -> str:
    channels = (
        round(low + (high - low) * share) for low, high in zip(HEAT_LOW, HEAT_HIGH, strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in channels)


def heatmap_chart(
    *, counts: Mapping[tuple[int, int], float], x_label: str, y_label: str, label: str, name: str
) -> str:
    """Weekday (rows, Monday first) by hour (columns 0-23) cells shaded by count; an SVG element."""
    left, top, cell_h = 64, 8, 24
    cell_w = (WIDTH - left - MARGIN_RIGHT) / 24
    grid_bottom = top + 7 * cell_h
    height = grid_bottom + 86
    if not counts or max(counts.values()) <= 0:
        return _no_data(height, label, "heatmap")
    maximum = max(counts.values())
    gradient = f"heat-{''.join(c if c.isalnum() else '-' for c in name)}"
    parts = [
        _svg_open(height, label, "heatmap"),
        f'<defs><linearGradient id="{gradient}"><stop offset="0" stop-color="{_heat_colour(0)}"/>'
        f'<stop offset="1" stop-color="{_heat_colour(1)}"/></linearGradient></defs>',
    ]
    for weekday in range(1, 8):
        y = top + (weekday - 1) * cell_h
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 16}" text-anchor="end">'
            f"{WEEKDAYS[weekday - 1]}</text>"
        )
        for hour in range(24):
            value = counts.get((weekday, hour), 0.0)
            x = left + hour * cell_w
            parts.append(
                f'<rect class="cell" x="{_fmt(x)}" y="{y}" width="{_fmt(cell_w - 1)}" '
                f'height="{cell_h - 1}" fill="{_heat_colour(value / maximum)}">'
                f"<title>{WEEKDAYS[weekday - 1]} {hour:02d}:00-{hour:02d}:59: "
                f"{_e(format_number(value))} messages</title></rect>"
            )
    for hour in range(0, 24, 2):
        x = left + (hour + 0.5) * cell_w
        parts.append(
            f'<text class="tick" x="{_fmt(x)}" y="{grid_bottom + 14}" text-anchor="middle">'
            f"{hour}</text>"
        )
    middle = (top + grid_bottom) / 2
    legend_y = grid_bottom + 48
    parts.append(
        f'<text class="axis-label" x="16" y="{_fmt(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_fmt(middle)})">{_e(y_label)}</text>'
        f'<text class="axis-label" x="{_fmt(left + 12 * cell_w)}" y="{grid_bottom + 32}" '
        f'text-anchor="middle">{_e(x_label)}</text>'
        f'<text class="tick" x="{left - 6}" y="{legend_y + 11}" text-anchor="end">0</text>'
        f'<rect x="{left}" y="{legend_y}" width="160" height="14" fill="url(#{gradient})"/>'
        f'<text class="tick" x="{left + 166}" y="{legend_y + 11}">'
        f"{_e(format_number(maximum))} messages an hour</text></svg>"
    )
    return "".join(parts)


def share_chart(
    *, part: float, whole: float, part_name: str, rest_name: str, note: str, label: str
) -> str:
    """One 100% bar split into `part` and the rest, axis in percent, and a note; an SVG element."""
    height = 150
    if whole <= 0:
        return _no_data(height, label, "share")
    left, right, top, bar = 24, WIDTH - 24, 34, 34
    share = min(max(part / whole, 0.0), 1.0)
    split = left + (right - left) * share
    parts = [
        _svg_open(height, label, "share"),
        f'<text class="headline" x="{left}" y="20">{_e(format_number(round(share * 100, 1)))}% '
        f"{_e(part_name)} ({_e(format_number(part))} of {_e(format_number(whole))})</text>",
        f'<rect class="bar" x="{left}" y="{top}" width="{_fmt(split - left)}" height="{bar}" '
        f'fill="{PALETTE[0]}"><title>{_e(part_name)}: {_e(format_number(part))}</title></rect>',
        f'<rect class="bar" x="{_fmt(split)}" y="{top}" width="{_fmt(right - split)}" '
        f'height="{bar}" fill="#d9dee7"><title>{_e(rest_name)}: '
        f"{_e(format_number(whole - part))}</title></rect>",
    ]
    for percent in range(0, 101, 25):
        x = left + (right - left) * percent / 100
        parts.append(
            f'<line class="axis" x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{top + bar}" y2="{top + bar + 4}"/>'
            f'<text class="tick" x="{_fmt(x)}" y="{top + bar + 16}" text-anchor="middle">'
            f"{percent}%</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{WIDTH / 2}" y="{top + bar + 32}" text-anchor="middle">'
        "share of messages (%)</text>"
        f'<text class="note" x="{left}" y="{height - 12}">{_e(note)}</text></svg>'
    )
    return "".join(parts)


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 50) -> str:
    """The rows as an HTML table (for a query the page has no chart for)."""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e('' if v is None else v)}</td>" for v in row) + "</tr>"
        for row in rows[:limit]
    )
    more = f"<p class=note>{len(rows) - limit} more rows</p>" if len(rows) > limit else ""
    return f'<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'


# -- one chart per dashboard query -----------------------------------------------------------


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


def _day_axis(context: PageContext) -> tuple[list[dt.date], list[str]]:
    days = context.window_days()
    return days, [short_date(day) for day in days]


def _day_label(context: PageContext) -> str:
    return f"day ({context.tz})"


def chart_messages_per_day(result: QueryResult, context: PageContext) -> str:
    """Stacked daily bars, one colour per chat."""
    data = _Rows(result, "day", "chat_id", "chat_title", "messages")
    names: dict[Any, str] = {}
    for row in data:
        chat = data.get(row, "chat_id")
        names[chat] = str(data.get(row, "chat_title") or f"chat {chat}")
    per_chat = _per_day(data, "messages", lambda row: data.get(row, "chat_id"))
    days, labels = _day_axis(context)
    series = [
        Series(names[chat], [counts.get(day, 0.0) for day in days])
        for chat, counts in sorted(per_chat.items(), key=lambda item: -sum(item[1].values()))
    ]
    return bar_chart(
        categories=labels,
        series=series,
        stacked=True,
        x_label=_day_label(context),
        y_label="messages per day",
        label=result_title(result.name),
        unit=" messages",
    )


def chart_daily_active_senders(result: QueryResult, context: PageContext) -> str:
    """Daily bars of distinct senders."""
    data = _Rows(result, "day", "active_senders")
    per_day = _per_day(data, "active_senders", lambda row: "senders").get("senders", {})
    days, labels = _day_axis(context)
    return bar_chart(
        categories=labels,
        series=[Series("active senders", [per_day.get(day, 0.0) for day in days])],
        x_label=_day_label(context),
        y_label="people who posted",
        label=result_title(result.name),
        unit=" people",
    )


def chart_joins_leaves(result: QueryResult, context: PageContext) -> str:
    """Daily joins and leaves side by side."""
    data = _Rows(result, "day", "joins", "leaves")
    joins = _per_day(data, "joins", lambda row: 0).get(0, {})
    leaves = _per_day(data, "leaves", lambda row: 0).get(0, {})
    days, labels = _day_axis(context)
    return bar_chart(
        categories=labels,
        series=[
            Series("joined", [joins.get(day, 0.0) for day in days]),
            Series("left", [leaves.get(day, 0.0) for day in days]),
        ],
        x_label=_day_label(context),
        y_label="members per day",
        label=result_title(result.name),
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
        return _no_data(70, label, "totals")
    row = _single_row(result, *(column for column, _ in TOTALS))
    slot = WIDTH / len(TOTALS)
    cells = []
    for index, (column, label) in enumerate(TOTALS):
        value = row[column]
        shown = "—" if value is None else f"{as_number(value):,.0f}"
        x = _fmt(slot * (index + 0.5))
        cells.append(
            f'<text class="headline" x="{x}" y="34" text-anchor="middle" '
            f'style="font-size:26px">{_e(shown)}</text>'
            f'<text class="axis-label" x="{x}" y="58" text-anchor="middle">{_e(label)}</text>'
        )
    return _svg_open(70, label, "totals") + "".join(cells) + "</svg>"


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


# -- the page -----------------------------------------------------------------------------------


def _panel(result: QueryResult, context: PageContext) -> str:
    title = result_title(result.name)
    footer = [f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"]
    if result.data_scanned_bytes is not None:
        footer.append(f"{format_scanned(result.data_scanned_bytes)} scanned")
    footer.append(f"glue_schema/queries/{result.name}.sql")
    head = (
        f'<section class="panel" id="q-{_e(result.name)}" data-query="{_e(result.name)}">'
        f"<h2>{_e(title)}</h2><p class=question>{_e(result.question)}</p>"
    )
    if result.error is not None:
        body = f'<div class="error" role="alert"><strong>This query failed.</strong><pre>{_e(result.error)}</pre></div>'
        return head + body + "</section>"
    builder = CHARTS.get(result.name, (title, generic_chart))[1]
    try:
        chart = builder(result, context)
    except (ChartDataError, TypeError, ValueError) as error:
        body = (
            f'<div class="error" role="alert"><strong>The chart could not be drawn.</strong>'
            f"<pre>{_e(error)}</pre></div>{table_html(result.columns, result.rows)}"
        )
        return head + body + "</section>"
    if not chart:
        chart = table_html(result.columns, result.rows)
    meta = " · ".join(_e(part) for part in footer)
    return head + f"<figure>{chart}</figure><p class=meta>{meta}</p></section>"


def format_scanned(count: int) -> str:
    """Bytes scanned as a short figure."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover - the loop returns


STYLE: Final = """
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d6dbe3; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { padding: 20px 28px 12px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 8px; font-size: 22px; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
header dt { color: var(--muted); }
header dd { margin: 0; }
header ul { margin: 0; padding: 0; list-style: none; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr));
       gap: 16px; padding: 16px 28px 28px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
         min-width: 0; overflow-x: auto; }
header dd { overflow-wrap: anywhere; }
section.panel[data-query="totals"] { grid-column: 1 / -1; }
section.panel[data-query="totals"] svg.chart { max-width: 720px; margin: 0 auto; }
@media (max-width: 600px) {
  header { padding: 14px 12px 10px; }
  main { gap: 10px; padding: 10px 8px 16px; }
  .panel { padding: 10px 10px; }
  footer { padding: 0 12px 16px; }
}
.panel h2 { margin: 0; font-size: 16px; }
.question { margin: 2px 0 8px; color: var(--muted); }
figure { margin: 0; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg .tick, svg .value, svg .category, svg .legend { fill: #39414e; }
svg .axis-label { fill: var(--muted); font-size: 12px; }
svg .headline { font-size: 15px; font-weight: 600; fill: var(--ink); }
svg .note { font-size: 13px; fill: var(--ink); }
svg .empty { fill: var(--muted); font-size: 14px; }
svg .grid { stroke: #e8ebf0; stroke-width: 1; }
svg .axis { stroke: #8a93a1; stroke-width: 1; }
svg rect.bar:hover, svg rect.cell:hover { opacity: 0.8; }
.meta { margin: 6px 0 0; color: var(--muted); font-size: 12px; }
.error { border-left: 4px solid #c62828; background: #fdecea; padding: 8px 12px; }
.error pre { white-space: pre-wrap; word-break: break-word; margin: 6px 0 0; }
table.rows { border-collapse: collapse; width: 100%; font-size: 12px; }
table.rows th, table.rows td { border-bottom: 1px solid var(--line); padding: 2px 6px; text-align: left; }
footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
"""


def render_page(results: Sequence[QueryResult], context: PageContext) -> str:
    """The whole page: header (chats, window, zone, time, source), then one panel per query."""
    by_name = {result.name: result for result in results}
    panels = "".join(_panel(by_name[name], context) for name in page_order(by_name))
    if context.chats is None:
        chats = "<li>unknown: the messages per day query failed</li>"
    elif context.chats:
        chats = "".join(
            f"<li>{_e(title or 'untitled chat')} <span class=muted>({chat_id})</span></li>"
            for chat_id, title in context.chats
        )
    else:
        chats = "<li>no messages in this window</li>"
    # The reader's zone, as every chart: the same instant, written where they are.
    generated = context.generated_at.astimezone(ZoneInfo(context.tz))
    scanned = [r.data_scanned_bytes for r in results if r.data_scanned_bytes is not None]
    scanned_row = (
        f"<dt>data scanned</dt><dd>{_e(format_scanned(sum(scanned)))} "
        f"in {len(scanned)} queries</dd>"
        if scanned
        else ""
    )
    failed = sum(1 for r in results if r.error is not None)
    failed_row = f"<dt>failed</dt><dd>{failed} of {len(results)} queries</dd>" if failed else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Telegram groups dashboard</title>"
        f"<style>{STYLE}</style></head><body>"
        "<header><h1>Telegram groups dashboard</h1><dl>"
        f"<dt>chats</dt><dd><ul class=chats>{chats}</ul></dd>"
        f"<dt>window</dt><dd>last {context.days} day{'s' if context.days != 1 else ''}: "
        f"{context.window_start.isoformat()} to {context.window_end.isoformat()}</dd>"
        f"<dt>time zone</dt><dd>{_e(context.tz)}</dd>"
        f'<dt>generated</dt><dd><time datetime="{generated.isoformat(timespec="seconds")}">'
        f"{generated:%Y-%m-%d %H:%M:%S} {_e(context.tz)}</time></dd>"
        f"<dt>source</dt><dd>{_e(context.source)}</dd>{scanned_row}{failed_row}"
        f"</dl></header><main>{panels}</main>"
        "<footer>Days, hours and weekdays are in the time zone above. Messages are counted "
        "once each, in their latest version; service messages (joins, leaves, pins) appear "
        "only under message types and joins and leaves.</footer>"
        "</body></html>\n"
    )
