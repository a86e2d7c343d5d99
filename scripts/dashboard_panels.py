"""What the section modules share to describe and draw their panels.

A panel is a `Chart`: its section, title and units, a caption saying what it counts,
why it may have no data, and the function that draws it from a `QueryResult` and the
`PageContext`. Each section's charts and panels are in a module of their own
(`dashboard_messages`, `dashboard_members`, `dashboard_engagement`,
`dashboard_reactions`, `dashboard_coverage`); `dashboard_charts` puts them in page
order. Here too: how a person is named, and the daily bars and ranked bars that
several sections draw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scripts.dashboard_results import PageContext, QueryResult, Rows, as_number
from scripts.svg_bars import hbar_chart
from scripts.svg_charts import short_date
from scripts.svg_series import Series, bar_chart

#: Draws a query's chart from its result, for the page's window and time zone.
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


def panel_title(name: str, charts: Mapping[str, Chart]) -> str:
    """A query's panel title: its entry's in `charts`, else its name in words."""
    entry = charts.get(name)
    return entry.title if entry else name.replace("_", " ").capitalize()


def sender_name(user_id: Any, first_name: Any, username: Any) -> str:
    """How a sender is shown: first name and @username, else whichever there is, else the id."""
    if first_name and username:
        return f"{first_name} (@{username})"
    if username:
        return f"@{username}"
    return str(first_name) if first_name else f"user {user_id}"


def daily_bars(
    context: PageContext,
    per_day: Sequence[tuple[str, Mapping[dt.date, float]]],
    *,
    y_label: str,
    unit: str,
    label: str,
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
        label=label,
        unit=unit,
    )


def ranked(
    result: QueryResult, label_column: str, value_column: str, x_label: str, label: str
) -> str:
    """Ranked bars of `label_column` by `value_column`, in the result's order."""
    data = Rows(result, label_column, value_column)
    labels = [str(data.get(row, label_column)) for row in data]
    values = [as_number(data.get(row, value_column)) for row in data]
    return hbar_chart(labels=labels, values=values, x_label=x_label, label=label)
