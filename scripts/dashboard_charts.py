"""The page's panels: every known query's `Chart` in page order, the sections they go
in, and `generic_chart` for a query the page does not know.

Each section's charts are in a module of their own (`dashboard_messages`,
`dashboard_members`, `dashboard_engagement`, `dashboard_reactions`,
`dashboard_coverage`), with its panels: section, title and units, a caption saying
what it counts, why it may have no data, and the chart. `CHARTS` puts them in page
order. What they all share (the query result, the page context, `Chart`) is in
`dashboard_results`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from scripts.dashboard_coverage import COVERAGE_CHARTS
from scripts.dashboard_engagement import ENGAGEMENT_CHARTS
from scripts.dashboard_members import MEMBERS_CHARTS
from scripts.dashboard_messages import MESSAGES_CHARTS
from scripts.dashboard_panels import Chart, panel_title
from scripts.dashboard_reactions import REACTIONS_CHARTS
from scripts.dashboard_results import PageContext, QueryResult, as_number
from scripts.svg_bars import hbar_chart

#: The page's sections, in order, each with what its panels have in common.
SECTIONS: Final = {
    "Messages": "What was posted: each message once, in its latest version.",
    "Members": (
        "Who joined and left, how, and who stayed: membership changes from member_events "
        "(one source per chat: chat_member updates where the bot is an admin, else the "
        "join and leave service messages)."
    ),
    "Engagement": "Who takes part, when, and how evenly.",
    "Reactions": (
        "Reactions to messages, from the reactions table: users' reactions and channels' "
        "anonymous totals."
    ),
    "Coverage": "When the bot could see what: the gaps in everything above.",
    "Other": "Queries without a chart of their own.",
}


#: Every known query's panel, in page order.
CHARTS: Final[dict[str, Chart]] = {
    **MESSAGES_CHARTS,
    **MEMBERS_CHARTS,
    **ENGAGEMENT_CHARTS,
    **REACTIONS_CHARTS,
    **COVERAGE_CHARTS,
}


def result_title(name: str) -> str:
    """A query's panel title: the page's own, else its name in words."""
    return panel_title(name, CHARTS)


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
