"""The Coverage section's chart: when the bot was an admin, only a member, or not in
each chat (its own my_chat_member updates), the gaps in every other section.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final
from zoneinfo import ZoneInfo

from scripts.dashboard_panels import Chart, panel_title
from scripts.dashboard_results import PageContext, QueryResult, Rows, as_datetime
from scripts.svg_charts import PALETTE, short_date
from scripts.svg_timeline import Period, timeline_chart

#: The bot's coverage of a chat and its colour on the timeline.
COVERAGE_COLOURS: Final = {"admin": PALETTE[2], "member": PALETTE[1], "not a member": PALETTE[3]}


def chart_coverage(result: QueryResult, context: PageContext) -> str:
    """A timeline per chat of the bot's status across the window (wall times in the zone)."""
    data = Rows(
        result, "chat_id", "chat_title", "coverage", "telegram_status", "period_start", "period_end"
    )
    start = dt.datetime.combine(context.window_start, dt.time())
    end = context.generated_at.astimezone(ZoneInfo(context.tz)).replace(tzinfo=None)
    span = max((end - start).total_seconds(), 1.0)

    def share(moment: dt.datetime) -> float:
        return (moment - start).total_seconds() / span

    chats: dict[Any, tuple[str, list[Period]]] = {}
    for row in data:
        chat = data.get(row, "chat_id")
        name = str(data.get(row, "chat_title") or f"chat {chat}")
        began = data.get(row, "period_start")
        ended = data.get(row, "period_end")
        since = start if began is None else as_datetime(began)
        until = end if ended is None else as_datetime(ended)
        coverage = str(data.get(row, "coverage"))
        tooltip = (
            f"{name}: {coverage} ({data.get(row, 'telegram_status')}), "
            f"{'before the window' if began is None else f'{since:%Y-%m-%d %H:%M}'} to "
            f"{'now' if ended is None else f'{until:%Y-%m-%d %H:%M}'}"
        )
        chats.setdefault(chat, (name, []))[1].append(
            Period(share(since), share(until), coverage, tooltip)
        )
    days = context.window_days()
    every = max(1, len(days) // 5)
    ticks = [(share(dt.datetime.combine(day, dt.time())), short_date(day)) for day in days[::every]]
    return timeline_chart(
        rows=list(chats.values()),
        categories=COVERAGE_COLOURS,
        ticks=ticks,
        x_label=f"date ({context.tz})",
        label=panel_title(result.name, COVERAGE_CHARTS),
    )


#: The section's panel.
COVERAGE_CHARTS: Final[dict[str, Chart]] = {
    "coverage": Chart(
        "Coverage",
        "Bot coverage",
        "the bot's status over time",
        chart_coverage,
        "An admin sees messages, chat_member updates and reactions (when asked for in "
        "allowed_updates), a member messages and join and leave messages, a non-member "
        "nothing: what the other panels count depends on it.",
        "The bot's own status did not change in this window (no my_chat_member update): it "
        "kept the status it had before (tgpipe status shows it).",
    ),
}
