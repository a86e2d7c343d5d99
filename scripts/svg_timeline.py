"""A timeline chart: a row of coloured periods per name along one time axis.

Returns one SVG element, or the no-data chart when there is no row to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scripts.svg_charts import MARGIN_RIGHT, WIDTH, coord, esc, legend, no_data, svg_open, truncate


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
        legend(list(categories), list(categories.values()), left),
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
