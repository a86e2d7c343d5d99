"""What every inline SVG chart of the page is made of: its size and colours, the
numbers and dates of its labels, its opening tag, the no-data chart, axes and legend.

The chart kinds are built from these: vertical bars and lines in `svg_series`,
ranked bars and the share bar in `svg_bars`, the heatmap and the grid of percentages
in `svg_cells`, the timeline of periods in `svg_timeline`. Pure: numbers and labels in,
SVG text out. A chart refers to nothing outside its element (no namespace address,
fonts, scripts or images), and every text in it is HTML-escaped. The page's
stylesheet styles the classes used here (tick, axis, bar...).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
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


def legend(
    names: Sequence[str], colours: Sequence[str] = PALETTE, left: float = MARGIN_LEFT
) -> str:
    """A colour swatch and name per series (or category) in a row at the top; none for one."""
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


def y_axis(ticks: Sequence[float], plot_top: float, plot_bottom: float, label: str) -> str:
    """The value axis at the left: a grid line and a label per tick, and the axis title."""
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


def x_labels(categories: Sequence[str], x_of: Callable[[int], float], y: float) -> str:
    """Category labels under a plot, thinned so they never overlap (at most ~12 across)."""
    every = max(1, math.ceil(len(categories) / 12))
    return "".join(
        f'<text class="tick" x="{coord(x_of(index))}" y="{coord(y)}" text-anchor="middle">'
        f"{esc(truncate(category, 10))}<title>{esc(category)}</title></text>"
        for index, category in enumerate(categories)
        if not index % every
    )
