"""Which tables an update feeds, and the shaper that makes each table's rows.

Each delivered table has its own Firehose stream (Firehose converts to one schema
per stream). The webhook puts an update into the stream of every table it feeds;
each stream's archiver archives what it gets and shapes rows for its own table.
Only service messages that add or remove members feed two tables (`messages` and
`member_events`); reactions and chat_member updates feed one table each and no
longer go through the messages stream once those streams exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from functions.members import MEMBER_UPDATE_KINDS, member_rows
from functions.reactions import REACTION_UPDATE_KINDS, reaction_rows
from functions.rows import carries_something, shape_row
from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS

Shaper = Callable[[Any, int], list[dict[str, Any]]]

#: Message fields that announce a membership change (legacy names included).
MEMBERSHIP_SERVICE_FIELDS: Final = (
    "new_chat_members",
    "new_chat_participant",
    "new_chat_member",
    "left_chat_member",
    "left_chat_participant",
)


def message_rows(update: Any, received_at_ms: int) -> list[dict[str, Any]]:
    """The `messages` row of a message-like update, as a list (empty for other updates)."""
    row = shape_row(update, received_at_ms)
    return [] if row is None else [row]


SHAPERS: Final[dict[str, Shaper]] = {
    MESSAGES.name: message_rows,
    MEMBER_EVENTS.name: member_rows,
    REACTIONS.name: reaction_rows,
}


def tables_for(update: dict[str, Any]) -> tuple[str, ...]:
    """The tables an update's rows belong to (`messages` for anything else: archived, dropped)."""
    if any(isinstance(update.get(kind), dict) for kind in REACTION_UPDATE_KINDS):
        return (REACTIONS.name,)
    if any(isinstance(update.get(kind), dict) for kind in MEMBER_UPDATE_KINDS):
        return (MEMBER_EVENTS.name,)
    message = update.get("message")
    if isinstance(message, dict) and any(
        carries_something(message.get(field)) for field in MEMBERSHIP_SERVICE_FIELDS
    ):
        return (MESSAGES.name, MEMBER_EVENTS.name)
    return (MESSAGES.name,)
