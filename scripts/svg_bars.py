"""Horizontal bars: ranked bars with their values, and one 100% bar split into a part
and the rest.

Each returns one SVG element, or the no-data chart when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence

from scripts.svg_charts import (
    MARGIN_RIGHT,
    PALETTE,
    WIDTH,
    coord,
    esc,
    format_number,
    nice_ticks,
    no_data,
    svg_open,
    truncate,
)


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
