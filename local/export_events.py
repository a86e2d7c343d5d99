"""An exported message's `member_events` and `reactions` rows, and the member ids its
`messages` row names (new_chat_member_ids, left_chat_member_id).

Rows are tuples in the order of MEMBER_FIELDS / REACTION_FIELDS (the columns of the
tables they fill; the others are NULL), timestamps in epoch milliseconds: the import
turns each column into Arrow at once (local/export_staging.py).
local/export_messages.py calls these for the message whose row it shapes.
"""

from __future__ import annotations

from typing import Any, Final

from functions.rows import string_or_none
from functions.telegram import as_int64
from local.export_format import SOURCE, user_id_of

#: The chat columns every row repeats: (chat_id, chat_type, chat_title).
ChatColumns = tuple[int, str | None, str | None]

MEMBER_FIELDS: Final = (
    "update_id",
    "update_type",
    "chat_id",
    "chat_type",
    "chat_title",
    "user_id",
    "user_first_name",
    "actor_user_id",
    "old_status",
    "new_status",
    "was_member",
    "is_member",
    "event",
    "join_source",
    "changed_at",
    "received_at",
    "source",
)
REACTION_FIELDS: Final = (
    "update_id",
    "update_type",
    "chat_id",
    "chat_type",
    "chat_title",
    "message_id",
    "change",
    "reaction_type",
    "emoji",
    "reaction_count",
    "reacted_at",
    "received_at",
    "source",
)
#: Reaction types as the reactions table names them (the export says the same).
REACTION_TYPES: Final = ("emoji", "custom_emoji", "paid")
#: Member actions the export describes well enough for a member_events row.
_JOIN_SOURCES: Final = {
    "join_group_by_link": "invite_link",
    "join_group_by_request": "join_request",
}


def _self_named(message: dict[str, Any]) -> bool:
    """Whether the action's members are the actor alone (a join, a leave)."""
    members = message.get("members")
    return (
        isinstance(members, list)
        and len(members) == 1
        and members[0] is not None
        and members[0] == message.get("actor")
    )


def joined_member_ids(message: dict[str, Any]) -> list[int]:
    """Ids of joining members the export names by id: the actor when they joined themselves."""
    actor = user_id_of(message.get("actor_id"))
    if actor is None:
        return []
    action = message.get("action")
    if action in ("join_group_by_link", "join_group_by_request") or _self_named(message):
        return [actor]
    return []


def left_member_id(message: dict[str, Any]) -> int | None:
    """The id of the member who left, when the export names them (the actor themselves)."""
    return user_id_of(message.get("actor_id")) if _self_named(message) else None


def member_rows(
    message: dict[str, Any],
    chat: ChatColumns,
    actor: int | None,
    actor_name: str | None,
    changed_at_ms: int | None,
) -> list[tuple[Any, ...]]:
    """member_events rows of a join or leave the export names by id (the actor themselves).

    The export names invited or removed members by display name only, so a member
    added or removed by someone else has no id here and no row; the messages row
    still says what happened (new_chat_members / left_chat_member).
    """
    action = message.get("action")
    if actor is None:
        return []
    if action in _JOIN_SOURCES or (action == "invite_members" and _self_named(message)):
        joined, source = True, _JOIN_SOURCES.get(str(action), "direct")
    elif action == "remove_members" and _self_named(message):
        joined, source = False, None
    else:
        return []
    chat_id, chat_type, chat_title = chat
    return [
        (
            None,  # update_id
            "message",
            chat_id,
            chat_type,
            chat_title,
            actor,
            actor_name,
            actor,  # actor_user_id
            None,  # old_status
            "member" if joined else "left",
            not joined,  # was_member
            joined,  # is_member
            "joined" if joined else "left",
            source,
            changed_at_ms,
            None,  # received_at: never received live
            SOURCE,
        )
    ]


def reaction_rows(
    message: dict[str, Any], chat: ChatColumns, message_id: int, reacted_at_ms: int | None
) -> list[tuple[Any, ...]]:
    """The message's reactions when exported: one `count` row per reaction, like a
    message_reaction_count update's (a snapshot at export time, dated by the message)."""
    reactions = message.get("reactions")
    if not isinstance(reactions, list) or not reactions:
        return []
    chat_id, chat_type, chat_title = chat
    rows = []
    for reaction in reactions:
        if not isinstance(reaction, dict):
            continue
        kind = reaction.get("type")
        count = as_int64(reaction.get("count"))
        if kind not in REACTION_TYPES or count is None or not 0 <= count < 2**31:
            continue
        emoji = reaction.get("emoji") if kind == "emoji" else reaction.get("document_id")
        rows.append(
            (
                None,  # update_id
                "message_reaction_count",
                chat_id,
                chat_type,
                chat_title,
                message_id,
                "count",
                kind,
                string_or_none(emoji),
                count,
                reacted_at_ms,
                None,  # received_at
                SOURCE,
            )
        )
    return rows
