"""Series over categories, on a value axis: vertical bars (grouped or stacked) and
lines with a dot per known value, in the same frame (axes, labels, legend).

Each returns one SVG element, or the no-data chart when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scripts.svg_charts import (
    BAR_HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PALETTE,
    WIDTH,
    coord,
    esc,
    format_number,
    legend,
    nice_ticks,
    no_data,
    svg_open,
    x_labels,
    y_axis,
)


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
    parts = [svg_open(BAR_HEIGHT, label, "bar"), legend([s.name for s in series])]
    parts.append(y_axis(ticks, plot_top, plot_bottom, y_label))
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
        x_labels(categories, lambda index: MARGIN_LEFT + slot * (index + 0.5), plot_bottom + 16)
    )
    parts.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{coord(plot_bottom)}" y2="{coord(plot_bottom)}"/>'
        f'<text class="axis-label" x="{coord(MARGIN_LEFT + plot_width / 2)}" '
        f'y="{BAR_HEIGHT - 12}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)


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

    parts = [svg_open(BAR_HEIGHT, label, "line"), legend([name for name, _ in series])]
    parts.append(y_axis(ticks, plot_top, plot_bottom, y_label))
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
    parts.append(x_labels(categories, x_of, plot_bottom + 16))
    parts.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{coord(plot_bottom)}" y2="{coord(plot_bottom)}"/>'
        f'<text class="axis-label" x="{coord((MARGIN_LEFT + WIDTH - MARGIN_RIGHT) / 2)}" '
        f'y="{BAR_HEIGHT - 12}" text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)
