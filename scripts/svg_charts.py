"""Inline SVG charts for a self-contained HTML page: bars, lines, ranked bars, a heatmap, a
share bar, a grid of percentages and a timeline of periods.

Pure: numbers and labels in, SVG text out. A chart refers to nothing outside its
element (no namespace address, fonts, scripts or images), and every text in it is
HTML-escaped. The page's stylesheet styles the classes used here (tick, axis, bar...).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

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


# -- values and formatting ---------------------------------------------------------------


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


def esc(value: Any) -> str:
    """A value as HTML text, safe in an element or a quoted attribute."""
    return escape(str(value), quote=True)


def coord(value: float) -> str:
    """A coordinate or length in SVG units: at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- SVG primitives ------------------------------------------------------------------------


def svg_open(height: int, label: str, kind: str) -> str:
    """The opening tag and title of a chart `WIDTH` wide, classed `chart chart-<kind>`."""
    # No xmlns: inline SVG in HTML needs none, and the page names no outside address.
    return (
        f'<svg class="chart chart-{kind}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{esc(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{esc(label)}</title>"
    )


#: What a chart without data says; `is_empty()` finds it.
NO_DATA_TEXT: Final = "no data in this window"


def no_data(height: int, label: str, kind: str) -> str:
    """A whole chart that says there is no data in the window."""
    return (
        svg_open(height, label, kind)
        + f'<text class="empty" x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle">'
        f"{NO_DATA_TEXT}</text></svg>"
    )


def is_empty(chart: str) -> bool:
    """Whether a chart (or a panel's figure) is the no-data chart."""
    return '<text class="empty"' in chart and NO_DATA_TEXT in chart


def _legend(
    names: Sequence[str], colours: Sequence[str] = PALETTE, left: float = MARGIN_LEFT
) -> str:
    if len(names) < 2:
        return ""
    parts = []
    x = float(left)
    for index, name in enumerate(names):
        shown = truncate(name, 32)
        parts.append(
            f'<rect x="{coord(x)}" y="6" width="10" height="10" fill="{colours[index % len(colours)]}"/>'
            f'<text class="legend" x="{coord(x + 14)}" y="15">{esc(shown)}'
            f"<title>{esc(name)}</title></text>"
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
            f'y1="{coord(y)}" y2="{coord(y)}"/>'
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{coord(y + 4)}" text-anchor="end">'
            f"{esc(format_number(tick))}</text>"
        )
    middle = (plot_top + plot_bottom) / 2
    parts.append(
        f'<text class="axis-label" x="14" y="{coord(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {coord(middle)})">{esc(label)}</text>'
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
        return no_data(BAR_HEIGHT, label, "bar")
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
    parts = [svg_open(BAR_HEIGHT, label, "bar"), _legend([s.name for s in series])]
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
                f'<rect class="bar" x="{coord(x)}" y="{coord(y)}" width="{coord(max(bar_width - 1, 1))}" '
                f'height="{coord(height)}" fill="{colour}"><title>{esc(tooltip)}</title></rect>'
            )
            if stacked:
                base -= height
    parts.append(
        _x_labels(categories, lambda index: MARGIN_LEFT + slot * (index + 0.5), plot_bottom + 16)
    )
    parts.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{coord(plot_bottom)}" y2="{coord(plot_bottom)}"/>'
        f'<text class="axis-label" x="{coord(MARGIN_LEFT + plot_width / 2)}" '
        f'y="{BAR_HEIGHT - 12}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)


def hbar_chart(*, labels: Sequence[str], values: Sequence[float], x_label: str, label: str) -> str:
    """Ranked horizontal bars with their values; an SVG element."""
    row, top, bottom, left = 22, 10, 46, 190
    height = top + row * max(len(labels), 1) + bottom
    if not labels or all(v == 0 for v in values):
        return no_data(max(height, 120), label, "hbar")
    ticks = nice_ticks(max(values))
    plot_right = WIDTH - MARGIN_RIGHT - 40  # room for the value labels
    scale = (plot_right - left) / ticks[-1]
    plot_bottom = top + row * len(labels)
    parts = [svg_open(height, label, "hbar")]
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            f'<line class="grid" x1="{coord(x)}" x2="{coord(x)}" y1="{top}" y2="{plot_bottom}"/>'
            f'<text class="tick" x="{coord(x)}" y="{plot_bottom + 14}" text-anchor="middle">'
            f"{esc(format_number(tick))}</text>"
        )
    for index, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = top + row * index
        width = value * scale
        parts.append(
            f'<text class="category" x="{left - 6}" y="{y + 15}" text-anchor="end">'
            f"{esc(truncate(name, 26))}<title>{esc(name)}</title></text>"
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{coord(max(width, 1))}" '
            f'height="{row - 6}" fill="{PALETTE[0]}"><title>{esc(name)}: '
            f"{esc(format_number(value))}</title></rect>"
            f'<text class="value" x="{coord(left + width + 4)}" y="{y + 15}">'
            f"{esc(format_number(value))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{plot_bottom}"/>'
        f'<text class="axis-label" x="{coord((left + plot_right) / 2)}" y="{height - 10}" '
        f'text-anchor="middle">{esc(x_label)}</text></svg>'
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
        return no_data(height, label, "heatmap")
    maximum = max(counts.values())
    gradient = f"heat-{''.join(c if c.isalnum() else '-' for c in name)}"
    parts = [
        svg_open(height, label, "heatmap"),
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
                f'<rect class="cell" x="{coord(x)}" y="{y}" width="{coord(cell_w - 1)}" '
                f'height="{cell_h - 1}" fill="{_heat_colour(value / maximum)}">'
                f"<title>{WEEKDAYS[weekday - 1]} {hour:02d}:00-{hour:02d}:59: "
                f"{esc(format_number(value))} messages</title></rect>"
            )
    for hour in range(0, 24, 2):
        x = left + (hour + 0.5) * cell_w
        parts.append(
            f'<text class="tick" x="{coord(x)}" y="{grid_bottom + 14}" text-anchor="middle">'
            f"{hour}</text>"
        )
    middle = (top + grid_bottom) / 2
    legend_y = grid_bottom + 48
    parts.append(
        f'<text class="axis-label" x="16" y="{coord(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 16 {coord(middle)})">{esc(y_label)}</text>'
        f'<text class="axis-label" x="{coord(left + 12 * cell_w)}" y="{grid_bottom + 32}" '
        f'text-anchor="middle">{esc(x_label)}</text>'
        f'<text class="tick" x="{left - 6}" y="{legend_y + 11}" text-anchor="end">0</text>'
        f'<rect x="{left}" y="{legend_y}" width="160" height="14" fill="url(#{gradient})"/>'
        f'<text class="tick" x="{left + 166}" y="{legend_y + 11}">'
        f"{esc(format_number(maximum))} messages an hour</text></svg>"
    )
    return "".join(parts)


def share_chart(
    *,
    part: float,
    whole: float,
    part_name: str,
    rest_name: str,
    note: str,
    label: str,
    axis_label: str = "share of messages (%)",
) -> str:
    """One 100% bar split into `part` and the rest, axis in percent, and a note; an SVG element."""
    height = 150
    if whole <= 0:
        return no_data(height, label, "share")
    left, right, top, bar = 24, WIDTH - 24, 34, 34
    share = min(max(part / whole, 0.0), 1.0)
    split = left + (right - left) * share
    parts = [
        svg_open(height, label, "share"),
        f'<text class="headline" x="{left}" y="20">{esc(format_number(round(share * 100, 1)))}% '
        f"{esc(part_name)} ({esc(format_number(part))} of {esc(format_number(whole))})</text>",
        f'<rect class="bar" x="{left}" y="{top}" width="{coord(split - left)}" height="{bar}" '
        f'fill="{PALETTE[0]}"><title>{esc(part_name)}: {esc(format_number(part))}</title></rect>',
        f'<rect class="bar" x="{coord(split)}" y="{top}" width="{coord(right - split)}" '
        f'height="{bar}" fill="#d9dee7"><title>{esc(rest_name)}: '
        f"{esc(format_number(whole - part))}</title></rect>",
    ]
    for percent in range(0, 101, 25):
        x = left + (right - left) * percent / 100
        parts.append(
            f'<line class="axis" x1="{coord(x)}" x2="{coord(x)}" y1="{top + bar}" y2="{top + bar + 4}"/>'
            f'<text class="tick" x="{coord(x)}" y="{top + bar + 16}" text-anchor="middle">'
            f"{percent}%</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{WIDTH / 2}" y="{top + bar + 32}" text-anchor="middle">'
        f"{esc(axis_label)}</text>"
        f'<text class="note" x="{left}" y="{height - 12}">{esc(note)}</text></svg>'
    )
    return "".join(parts)


def _x_labels(categories: Sequence[str], x_of: Callable[[int], float], y: float) -> str:
    """Category labels under a plot, thinned so they never overlap (at most ~12 across)."""
    every = max(1, math.ceil(len(categories) / 12))
    return "".join(
        f'<text class="tick" x="{coord(x_of(index))}" y="{coord(y)}" text-anchor="middle">'
        f"{esc(truncate(category, 10))}<title>{esc(category)}</title></text>"
        for index, category in enumerate(categories)
        if not index % every
    )


def line_chart(
    *,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    x_label: str,
    y_label: str,
    label: str,
    unit: str = "",
) -> str:
    """One line per series over the categories, a dot per known value (None: a gap); an SVG element."""
    known = [v for _, values in series for v in values if v is not None]
    if not categories or not known or max(known) <= 0:
        return no_data(BAR_HEIGHT, label, "line")
    ticks = nice_ticks(max(known))
    plot_top, plot_bottom = float(MARGIN_TOP), float(BAR_HEIGHT - MARGIN_BOTTOM)
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / len(categories)
    scale = (plot_bottom - plot_top) / ticks[-1]

    def x_of(index: int) -> float:
        return MARGIN_LEFT + slot * (index + 0.5)

    parts = [svg_open(BAR_HEIGHT, label, "line"), _legend([name for name, _ in series])]
    parts.append(_y_axis(ticks, plot_top, plot_bottom, y_label))
    for number, (name, values) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            y = plot_bottom - value * scale
            runs[-1].append(f"{coord(x_of(index))},{coord(y)}")
            parts.append(
                f'<circle class="point" cx="{coord(x_of(index))}" cy="{coord(y)}" r="2.5" '
                f'fill="{colour}"><title>{esc(name)}, {esc(categories[index])}: '
                f"{esc(format_number(value))}{esc(unit)}</title></circle>"
            )
        parts.extend(
            f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{colour}" '
            'stroke-width="2"/>'
            for run in runs
            if len(run) > 1
        )
    parts.append(_x_labels(categories, x_of, plot_bottom + 16))
    parts.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{coord(plot_bottom)}" y2="{coord(plot_bottom)}"/>'
        f'<text class="axis-label" x="{coord((MARGIN_LEFT + WIDTH - MARGIN_RIGHT) / 2)}" '
        f'y="{BAR_HEIGHT - 12}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)


def grid_chart(
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    x_label: str,
    label: str,
    unit: str = "%",
    missing: str = "not yet",
) -> str:
    """A table of percentages, each cell shaded by its value (None: `missing`); an SVG element."""
    left, top, cell_h, header = 150, 8, 24, 30
    height = top + header + cell_h * max(len(rows), 1) + 40
    if not rows:
        return no_data(max(height, 120), label, "grid")
    cell_w = (WIDTH - left - MARGIN_RIGHT) / max(len(columns), 1)
    parts = [svg_open(height, label, "grid")]
    for index, column in enumerate(columns):
        x = left + cell_w * (index + 0.5)
        parts.append(
            f'<text class="tick" x="{coord(x)}" y="{top + 18}" text-anchor="middle">'
            f"{esc(truncate(column, 16))}<title>{esc(column)}</title></text>"
        )
    for number, (name, row) in enumerate(zip(rows, values, strict=True)):
        y = top + header + cell_h * number
        parts.append(
            f'<text class="category" x="{left - 6}" y="{y + 16}" text-anchor="end">'
            f"{esc(truncate(name, 24))}<title>{esc(name)}</title></text>"
        )
        for index, value in enumerate(row):
            x = left + cell_w * index
            shown = missing if value is None else f"{format_number(value)}{unit}"
            fill = "#f3f4f6" if value is None else _heat_colour(min(max(value, 0.0), 100.0) / 100)
            ink = "#ffffff" if value is not None and value > 55 else "#39414e"
            parts.append(
                f'<rect class="cell" x="{coord(x)}" y="{y}" width="{coord(cell_w - 2)}" '
                f'height="{cell_h - 2}" fill="{fill}"><title>{esc(name)}, {esc(columns[index])}: '
                f"{esc(shown)}</title></rect>"
                f'<text class="value" x="{coord(x + cell_w / 2)}" y="{y + 16}" '
                f'text-anchor="middle" style="fill:{ink}">{esc(shown)}</text>'
            )
    parts.append(
        f'<text class="axis-label" x="{coord((left + WIDTH - MARGIN_RIGHT) / 2)}" '
        f'y="{height - 12}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)


@dataclass(frozen=True)
class Period:
    """One stretch of a timeline: from `start` to `end`, shares of the axis (0 to 1)."""

    start: float
    end: float
    category: str
    tooltip: str


def timeline_chart(
    *,
    rows: Sequence[tuple[str, Sequence[Period]]],
    categories: Mapping[str, str],
    ticks: Sequence[tuple[float, str]],
    x_label: str,
    label: str,
) -> str:
    """A row of coloured periods per name along one time axis; `categories` maps each
    category to its colour (legend order); `ticks` are (share of the axis, label)."""
    left, top, row_h = 150, 26, 28
    height = top + row_h * max(len(rows), 1) + 50
    if not rows:
        return no_data(max(height, 120), label, "timeline")
    plot_right = WIDTH - MARGIN_RIGHT
    plot_bottom = top + row_h * len(rows)
    span = plot_right - left
    parts = [
        svg_open(height, label, "timeline"),
        _legend(list(categories), list(categories.values()), left),
    ]
    for share, text in ticks:
        tick_x = left + span * min(max(share, 0.0), 1.0)
        parts.append(
            f'<line class="grid" x1="{coord(tick_x)}" x2="{coord(tick_x)}" y1="{top}" '
            f'y2="{plot_bottom}"/><text class="tick" x="{coord(tick_x)}" y="{plot_bottom + 14}" '
            f'text-anchor="middle">{esc(text)}</text>'
        )
    for number, (name, periods) in enumerate(rows):
        y = top + row_h * number
        parts.append(
            f'<text class="category" x="{left - 6}" y="{y + 18}" text-anchor="end">'
            f"{esc(truncate(name, 24))}<title>{esc(name)}</title></text>"
        )
        for period in periods:
            start = left + span * min(max(period.start, 0.0), 1.0)
            end = left + span * min(max(period.end, 0.0), 1.0)
            parts.append(
                f'<rect class="period" x="{coord(start)}" y="{y + 4}" '
                f'width="{coord(max(end - start, 1.5))}" height="{row_h - 8}" '
                f'fill="{categories.get(period.category, "#8a93a1")}">'
                f"<title>{esc(period.tooltip)}</title></rect>"
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{plot_right}" y1="{plot_bottom}" y2="{plot_bottom}"/>'
        f'<text class="axis-label" x="{coord((left + plot_right) / 2)}" y="{height - 10}" '
        f'text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)
