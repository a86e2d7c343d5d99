"""The Engagement section's charts: who takes part, when, and how evenly (people
posting per day, week and month, the most active fifth's share, the hour by weekday
heatmap, the posters' languages, and whether the people who react also post).
"""

from __future__ import annotations

from typing import Final

from scripts.dashboard_panels import Chart, panel_title, ranked
from scripts.dashboard_reactions import REACTIONS_EMPTY
from scripts.dashboard_results import PageContext, QueryResult, Rows, as_date, as_number, single_row
from scripts.svg_bars import hbar_chart, share_chart
from scripts.svg_cells import heatmap_chart
from scripts.svg_charts import format_number, no_data, short_date
from scripts.svg_series import line_chart


def _title(result: QueryResult) -> str:
    """A chart's label: its panel's title."""
    return panel_title(result.name, ENGAGEMENT_CHARTS)


def chart_active_posters(result: QueryResult, context: PageContext) -> str:
    """Lines over the window's days: people posting that day, in 7 days, in 30 days."""
    data = Rows(result, "day", "daily", "weekly", "monthly")
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
        label=_title(result),
        unit=" people",
    )


def chart_community_health(result: QueryResult, context: PageContext) -> str:
    """The most active fifth's share of the posts."""
    row = single_row(
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
        label=_title(result),
        axis_label="share of posts (%)",
    )


def chart_activity_heatmap(result: QueryResult, context: PageContext) -> str:
    """Weekday by hour heatmap in the page's time zone."""
    data = Rows(result, "weekday", "hour", "messages")
    counts: dict[tuple[int, int], float] = {}
    for row in data:
        key = (int(as_number(data.get(row, "weekday"))), int(as_number(data.get(row, "hour"))))
        counts[key] = counts.get(key, 0.0) + as_number(data.get(row, "messages"))
    return heatmap_chart(
        counts=counts,
        x_label=f"hour of day ({context.tz})",
        y_label="weekday",
        label=_title(result),
        name=result.name,
    )


def chart_languages(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the posters' app languages."""
    return ranked(result, "language", "senders", "people posting", _title(result))


#: The activity groups of reactors_vs_posters, in the chart's order.
ACTIVITIES: Final = ("posted only", "posted and reacted", "reacted only")


def chart_reactors_vs_posters(result: QueryResult, context: PageContext) -> str:
    """Bars of people who only post, post and react, only react; none without reactions."""
    data = Rows(result, "activity", "people")
    counts = {str(data.get(row, "activity")): as_number(data.get(row, "people")) for row in data}
    label = _title(result)
    if not counts.get("reacted only") and not counts.get("posted and reacted"):
        return no_data(120, label, "hbar")  # without reactions, everyone only posts
    order = [a for a in ACTIVITIES if a in counts] + sorted(set(counts) - set(ACTIVITIES))
    return hbar_chart(
        labels=order, values=[counts[a] for a in order], x_label="people", label=label
    )


#: The section's panels, in page order.
ENGAGEMENT_CHARTS: Final[dict[str, Chart]] = {
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
}
