"""The Messages section's charts: what was posted, each message once, in its latest
version (the headline numbers, messages per day, senders, kinds, lengths, hashtags,
mentions, links, edits and replies).
"""

from __future__ import annotations

from typing import Any, Final

from scripts.dashboard_panels import Chart, daily_bars, panel_title, ranked, sender_name
from scripts.dashboard_results import (
    PageContext,
    QueryResult,
    Rows,
    as_number,
    single_row,
    sums_per_day,
)
from scripts.svg_bars import hbar_chart, share_chart
from scripts.svg_charts import WIDTH, coord, esc, format_duration, no_data, svg_open
from scripts.svg_series import Series, bar_chart


def _title(result: QueryResult) -> str:
    """A chart's label: its panel's title."""
    return panel_title(result.name, MESSAGES_CHARTS)


#: The text-length buckets of text_lengths.sql, in order, so empty buckets still show.
TEXT_LENGTH_RANGES: Final = ("1-20", "21-50", "51-100", "101-200", "201-500", "501-1000", "1001+")


#: The headline numbers: (column of totals.sql, what it counts).
TOTALS: Final = (
    ("messages", "messages"),
    ("active_senders", "people posting"),
    ("joins", "joined"),
    ("leaves", "left"),
)


def chart_totals(result: QueryResult, context: PageContext) -> str:
    """The window's headline numbers side by side, as Telegram's statistics page opens."""
    label = _title(result)
    if not list(Rows(result, *(column for column, _ in TOTALS))):
        return no_data(70, label, "totals")
    row = single_row(result, *(column for column, _ in TOTALS))
    slot = WIDTH / len(TOTALS)
    cells = []
    for index, (column, caption) in enumerate(TOTALS):
        value = row[column]
        shown = "—" if value is None else f"{as_number(value):,.0f}"
        x = coord(slot * (index + 0.5))
        cells.append(
            f'<text class="headline" x="{x}" y="34" text-anchor="middle" '
            f'style="font-size:26px">{esc(shown)}</text>'
            f'<text class="axis-label" x="{x}" y="58" text-anchor="middle">{esc(caption)}</text>'
        )
    return svg_open(70, label, "totals") + "".join(cells) + "</svg>"


def chart_messages_per_day(result: QueryResult, context: PageContext) -> str:
    """Stacked daily bars, one colour per chat."""
    data = Rows(result, "day", "chat_id", "chat_title", "messages")
    names: dict[Any, str] = {}
    for row in data:
        chat = data.get(row, "chat_id")
        names[chat] = str(data.get(row, "chat_title") or f"chat {chat}")
    per_chat = sums_per_day(data, "messages", lambda row: data.get(row, "chat_id"))
    busiest_first = sorted(per_chat.items(), key=lambda item: -sum(item[1].values()))
    return daily_bars(
        context,
        [(names[chat], counts) for chat, counts in busiest_first],
        y_label="messages per day",
        unit=" messages",
        label=_title(result),
        stacked=True,
    )


def chart_top_senders(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of the busiest senders."""
    data = Rows(result, "user_id", "first_name", "username", "messages")
    labels = [
        sender_name(data.get(r, "user_id"), data.get(r, "first_name"), data.get(r, "username"))
        for r in data
    ]
    values = [as_number(data.get(row, "messages")) for row in data]
    return hbar_chart(labels=labels, values=values, x_label="messages", label=_title(result))


def chart_message_types(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of message kinds."""
    return ranked(result, "message_type", "messages", "messages", _title(result))


def chart_text_lengths(result: QueryResult, context: PageContext) -> str:
    """A histogram of text lengths over fixed buckets."""
    data = Rows(result, "length_range", "messages")
    counts = {
        str(data.get(row, "length_range")): as_number(data.get(row, "messages")) for row in data
    }
    ranges = list(TEXT_LENGTH_RANGES) + [r for r in counts if r not in TEXT_LENGTH_RANGES]
    return bar_chart(
        categories=ranges,
        series=[Series("messages", [counts.get(r, 0.0) for r in ranges])],
        x_label="text or caption length (characters)",
        y_label="messages",
        label=_title(result),
        unit=" messages",
    )


def chart_top_hashtags(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of hashtags."""
    return ranked(result, "hashtag", "uses", "uses in messages", _title(result))


def chart_top_mentions(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of @mentions."""
    return ranked(result, "mention", "uses", "mentions in messages", _title(result))


def chart_top_domains(result: QueryResult, context: PageContext) -> str:
    """Ranked bars of linked web sites."""
    return ranked(result, "domain", "links", "links shared", _title(result))


def _share_with_median(
    result: QueryResult,
    part_column: str,
    median_column: str,
    part_name: str,
    rest_name: str,
    median_label: str,
) -> str:
    """A share chart of `part_column` among all messages, noting a median duration."""
    row = single_row(result, "messages", part_column, median_column)
    median = row[median_column]
    return share_chart(
        part=as_number(row[part_column]),
        whole=as_number(row["messages"]),
        part_name=part_name,
        rest_name=rest_name,
        note=f"{median_label}: {format_duration(None if median is None else as_number(median))}",
        label=_title(result),
    )


def chart_edits(result: QueryResult, context: PageContext) -> str:
    """Share of messages edited, with the median time to the first edit."""
    return _share_with_median(
        result,
        "edited_messages",
        "median_seconds_to_edit",
        "edited",
        "never edited",
        "median time from sending to the first edit",
    )


def chart_replies(result: QueryResult, context: PageContext) -> str:
    """Share of messages that reply to another, with the median reply delay."""
    return _share_with_median(
        result,
        "replies",
        "median_seconds_to_reply",
        "are replies",
        "not replies",
        "median delay between a message and a reply to it",
    )


#: The section's panels, in page order.
MESSAGES_CHARTS: Final[dict[str, Chart]] = {
    "totals": Chart(
        "Messages",
        "At a glance",
        "counts",
        chart_totals,
        "Posts and people posting; members joined and left as the join and leave "
        "service messages announce them.",
    ),
    "messages_per_day": Chart(
        "Messages", "Messages per day", "messages per day", chart_messages_per_day
    ),
    "top_senders": Chart("Messages", "Top senders", "messages", chart_top_senders),
    "message_types": Chart("Messages", "Message types", "messages", chart_message_types),
    "text_lengths": Chart(
        "Messages", "Text length", "messages per length range (characters)", chart_text_lengths
    ),
    "top_hashtags": Chart("Messages", "Top hashtags", "uses", chart_top_hashtags),
    "top_mentions": Chart("Messages", "Top mentions", "uses", chart_top_mentions),
    "top_domains": Chart("Messages", "Top linked sites", "links", chart_top_domains),
    "edits": Chart("Messages", "Edited messages", "% of messages", chart_edits),
    "replies": Chart("Messages", "Replies", "% of messages", chart_replies),
}
