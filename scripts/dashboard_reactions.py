"""The Reactions section's charts: reactions to messages, from the reactions table
(users' reactions and channels' anonymous totals): per day, the reactions messages
hold, and the most reacted messages with their t.me links.
"""

from __future__ import annotations

import re
from typing import Any, Final

from scripts.dashboard_panels import Chart, daily_bars, panel_title
from scripts.dashboard_results import PageContext, QueryResult, Rows, as_number, day_sums
from scripts.svg_bars import hbar_chart
from scripts.svg_charts import esc, format_number, truncate


def _title(result: QueryResult) -> str:
    """A chart's label: its panel's title."""
    return panel_title(result.name, REACTIONS_CHARTS)


#: Why a panel fed by the reactions table may be empty.
REACTIONS_EMPTY: Final = (
    "No reactions in this window: reactions need the bot to be an admin and "
    "message_reaction (for channels' anonymous totals, message_reaction_count) in "
    "allowed_updates, delivered through the reactions stream."
)


def chart_reactions_per_day(result: QueryResult, context: PageContext) -> str:
    """Daily reactions added and taken back, side by side."""
    data = Rows(result, "day", "added", "removed")
    return daily_bars(
        context,
        [("added", day_sums(data, "added")), ("taken back", day_sums(data, "removed"))],
        y_label="reactions per day",
        unit=" reactions",
        label=_title(result),
    )


def reaction_name(reaction_type: Any, emoji: Any) -> str:
    """A reaction as the page shows it: the emoji, a custom emoji's id, or paid."""
    if reaction_type == "paid":
        return "⭐ paid (Telegram Stars)"
    if reaction_type == "custom_emoji":
        return f"custom emoji {emoji}"
    return str(emoji) if emoji else str(reaction_type)


def chart_top_emoji(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the reactions messages hold."""
    data = Rows(result, "reaction_type", "emoji", "reactions")
    labels = [reaction_name(data.get(r, "reaction_type"), data.get(r, "emoji")) for r in data]
    values = [as_number(data.get(row, "reactions")) for row in data]
    return hbar_chart(labels=labels, values=values, x_label="reactions", label=_title(result))


#: A message link the page makes clickable: t.me/<username>/<id> or t.me/c/<id>/<id>.
MESSAGE_LINK: Final = re.compile(r"https://t\.me/(?:[A-Za-z][A-Za-z0-9_]{3,31}|c/[0-9]+)/[0-9]+")


def chart_most_reacted(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the most reacted messages, then their links."""
    data = Rows(result, "chat_id", "chat_title", "message_id", "text_preview", "reactions", "link")
    labels = []
    links = []
    for row in data:
        chat = data.get(row, "chat_title") or f"chat {data.get(row, 'chat_id')}"
        message = f"{chat} #{data.get(row, 'message_id')}"
        preview = data.get(row, "text_preview")
        labels.append(f"{message}: {preview}" if preview else message)
        link = data.get(row, "link")
        reactions = format_number(as_number(data.get(row, "reactions")))
        if isinstance(link, str) and MESSAGE_LINK.fullmatch(link):
            links.append(
                f'<li><a href="{esc(link)}" rel="noopener noreferrer">{esc(link)}</a> '
                f"· {esc(truncate(message, 40))} · {reactions} reactions</li>"
            )
    chart = hbar_chart(
        labels=labels,
        values=[as_number(data.get(row, "reactions")) for row in data],
        x_label="reactions",
        label=_title(result),
    )
    return chart + (f'<ol class="links">{"".join(links)}</ol>' if links else "")


#: The section's panels, in page order.
REACTIONS_CHARTS: Final[dict[str, Chart]] = {
    "reactions_per_day": Chart(
        "Reactions",
        "Reactions per day",
        "reactions per day",
        chart_reactions_per_day,
        "Reactions users (or chats, anonymously) added and took back; channels' anonymous "
        "totals count under top reactions and most reacted only.",
        REACTIONS_EMPTY,
    ),
    "top_emoji": Chart(
        "Reactions",
        "Top reactions",
        "reactions",
        chart_top_emoji,
        "Reactions given in the window and not taken back, with channels' latest anonymous totals.",
        REACTIONS_EMPTY,
    ),
    "most_reacted": Chart(
        "Reactions",
        "Most reacted messages",
        "reactions",
        chart_most_reacted,
        "Links open the message in Telegram: public chats by username, other supergroups "
        "and channels for their members (t.me/c/...); basic groups have none.",
        REACTIONS_EMPTY,
    ),
}
