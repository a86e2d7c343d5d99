"""Charts of cells shaded by their value, light to dark: the weekday by hour heatmap,
and the grid of percentages (a row per name, a column per measure).

Each returns one SVG element, or the no-data chart when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from scripts.svg_charts import (
    MARGIN_RIGHT,
    WIDTH,
    coord,
    esc,
    format_number,
    no_data,
    svg_open,
    truncate,
)

#: A cell's colour at no value and at the chart's highest; shades in between.
HEAT_LOW: Final = (240, 244, 250)
HEAT_HIGH: Final = (8, 69, 148)
#: The heatmap's rows, ISO weekday 1 (Monday) first.
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
