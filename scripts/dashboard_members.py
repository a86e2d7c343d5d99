"""The Members section's charts: who joined and left, how, who brought them in, and
who stayed, from the membership changes of member_events (one source per chat:
chat_member updates where the bot is an admin, else the join and leave service
messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from scripts.dashboard_panels import Chart, daily_bars, panel_title, sender_name
from scripts.dashboard_results import PageContext, QueryResult, Rows, as_date, as_number, day_sums
from scripts.svg_bars import hbar_chart
from scripts.svg_cells import grid_chart
from scripts.svg_charts import format_number, short_date


def _title(result: QueryResult) -> str:
    """A chart's label: its panel's title."""
    return panel_title(result.name, MEMBERS_CHARTS)


#: Where joins and leaves come from, said by every empty panel of the section.
MEMBERS_SOURCES: Final = (
    "Joins and leaves come from chat_member updates (the bot an admin, chat_member in "
    "allowed_updates) or from the join and leave service messages of groups the bot is "
    "in, through the member_events delivery stream."
)
MEMBERS_EMPTY: Final = "No membership changes in this window. " + MEMBERS_SOURCES

#: How each join_source reads on the page.
JOIN_SOURCE_NAMES: Final = {
    "invite_link": "invite link",
    "join_request": "join request, approved",
    "chat_folder": "chat folder link",
    "added": "added by a member",
    "direct": "by themselves",
}


def chart_member_growth(result: QueryResult, context: PageContext) -> str:
    """Daily joins and leaves side by side, and the net change over the window."""
    data = Rows(result, "day", "joins", "leaves", "net")
    chart = daily_bars(
        context,
        [("joined", day_sums(data, "joins")), ("left", day_sums(data, "leaves"))],
        y_label="members per day",
        unit=" members",
        label=_title(result),
    )
    if not list(data):
        return chart
    net = sum(as_number(data.get(row, "net")) for row in data)
    return (
        chart + f'<p class="chart-note">Net change over the window: {net:+,.0f} members '
        "(joins − leaves).</p>"
    )


def chart_join_sources(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of how members joined."""
    data = Rows(result, "join_source", "joins")
    labels = [
        JOIN_SOURCE_NAMES.get(str(data.get(row, "join_source")), str(data.get(row, "join_source")))
        for row in data
    ]
    values = [as_number(data.get(row, "joins")) for row in data]
    return hbar_chart(labels=labels, values=values, x_label="joins", label=_title(result))


def inviter_name(name: str, how: Any, link_name: Any) -> str:
    """An inviter and how they brought people in: added them, or which invite link."""
    if how == "added":
        return f"{name} · added them"
    return f"{name} · link “{link_name}”" if link_name else f"{name} · invite link"


def chart_top_inviters(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the members who brought the most people in."""
    data = Rows(result, "user_id", "first_name", "username", "how", "invite_link_name", "joins")
    labels = [
        inviter_name(
            # The first name alone: the bar's label has room for how, too.
            sender_name(data.get(r, "user_id"), data.get(r, "first_name"), None)
            if data.get(r, "first_name")
            else sender_name(data.get(r, "user_id"), None, data.get(r, "username")),
            data.get(r, "how"),
            data.get(r, "invite_link_name"),
        )
        for r in data
    ]
    values = [as_number(data.get(row, "joins")) for row in data]
    return hbar_chart(
        labels=labels, values=values, x_label="joins brought in", label=_title(result)
    )


def chart_retention(result: QueryResult, context: PageContext) -> str:
    """A grid: a row per join week, the shares still members and posting at each mark."""
    data = Rows(
        result, "cohort_week", "weeks", "joined", "reached", "still_member_pct", "posted_pct"
    )
    cohorts: dict[dt.date, dict[int, Sequence[Any]]] = {}
    for row in data:
        cohorts.setdefault(as_date(data.get(row, "cohort_week")), {})[
            int(as_number(data.get(row, "weeks")))
        ] = row
    marks = sorted({weeks for marks in cohorts.values() for weeks in marks})
    columns = [f"member {w}w" for w in marks] + [f"posted w{w}" for w in marks]
    labels, values = [], []
    for week, by_mark in sorted(cohorts.items()):
        joined = max(as_number(data.get(row, "joined")) for row in by_mark.values())
        labels.append(f"{short_date(week)} · {format_number(joined)} joined")
        cells: list[float | None] = []
        for column in ("still_member_pct", "posted_pct"):
            for weeks in marks:
                row = by_mark.get(weeks)
                value = None if row is None else data.get(row, column)
                cells.append(None if value is None else as_number(value))
        values.append(cells)
    return grid_chart(
        rows=labels,
        columns=columns,
        values=values,
        x_label=f"% of each week's joiners (weeks from Monday, {context.tz})",
        label=_title(result),
    )


#: The section's panels, in page order.
MEMBERS_CHARTS: Final[dict[str, Chart]] = {
    "member_growth": Chart(
        "Members",
        "Member growth",
        "members per day",
        chart_member_growth,
        "A join is a change into membership, a leave one out of it (left, removed or "
        "banned); the bot's own count too. The member count itself is not shown: it needs "
        "getChatMemberCount (tgpipe status shows today's).",
        MEMBERS_EMPTY,
    ),
    "join_sources": Chart(
        "Members",
        "How new members join",
        "joins",
        chart_join_sources,
        "Where only service messages arrive, a join by link looks like a join by themselves.",
        MEMBERS_EMPTY,
    ),
    "top_inviters": Chart(
        "Members",
        "Top inviters",
        "joins brought in",
        chart_top_inviters,
        "Joins a member added, and joins through an invite link, counted for the link's "
        "creator (invite links are seen in chat_member updates only).",
        "No join in this window was added by a member or came through an invite link the "
        "bot saw: invite links arrive in chat_member updates only (the bot an admin, "
        "chat_member in allowed_updates). " + MEMBERS_SOURCES,
    ),
    "retention": Chart(
        "Members",
        "Retention",
        "% of each week's joiners",
        chart_retention,
        "People (not bots) who joined in a week, by the Monday of that week: the share still "
        "a member, and the share who posted in the week before the mark, 1, 4 and 12 weeks "
        "after their join. A mark still in the future is not counted yet.",
        "No one other than a bot joined in this window. " + MEMBERS_SOURCES,
    ),
}
