"""The reactions shaper: one update → its `reactions` rows (plain dicts).

Pure and total: any decoded JSON gives a list of rows, never an exception.

- `message_reaction` (a user, or a chat anonymously, changed their reactions to a
  message): one row per reaction added and per reaction removed, the difference
  between `old_reaction` and `new_reaction`.
- `message_reaction_count` (anonymous reactions in channels and groups: Telegram
  sends totals, not who): one row per reaction with its `total_count`; a snapshot
  with no reactions left is one row with a count of 0 and no emoji.

Both need the bot to be an admin and the kinds listed in `allowed_updates`.
"""

from __future__ import annotations

from typing import Any, Final

from functions.rows import (
    boolean_or_none,
    chat_columns,
    format_timestamp_ms,
    string_or_none,
    timestamp_from_seconds,
)
from functions.telegram import as_int64, as_object, update_id

REACTION_UPDATE_KINDS: Final = ("message_reaction", "message_reaction_count")
CHANGES: Final = ("added", "removed", "count")
REACTION_TYPES: Final = ("emoji", "custom_emoji", "paid")


def reaction_key(reaction: Any) -> tuple[str | None, str | None]:
    """(type, emoji or custom emoji id) of a ReactionType; (None, None) when unreadable."""
    if not isinstance(reaction, dict):
        return None, None
    kind = string_or_none(reaction.get("type"))
    if kind == "emoji":
        return kind, string_or_none(reaction.get("emoji"))
    if kind == "custom_emoji":
        return kind, string_or_none(reaction.get("custom_emoji_id"))
    return kind, None


def _keys(reactions: Any) -> list[tuple[str | None, str | None]]:
    if not isinstance(reactions, list):
        return []
    keys = [reaction_key(r) for r in reactions]
    return list(dict.fromkeys(k for k in keys if k[0] is not None))


def _common(update: dict[str, Any], kind: str, received_at_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = update[kind]
    chat = as_object(body.get("chat"))
    return {
        "update_id": update_id(update),
        "update_type": kind,
        **chat_columns(chat),
        "chat_username": string_or_none(chat.get("username")),
        "message_id": as_int64(body.get("message_id")),
        "reacted_at": timestamp_from_seconds(body.get("date")),
        "received_at": format_timestamp_ms(received_at_ms),
    }


def _change_rows(update: dict[str, Any], received_at_ms: int) -> list[dict[str, Any]]:
    body: dict[str, Any] = update["message_reaction"]
    user = as_object(body.get("user"))
    common = {
        **_common(update, "message_reaction", received_at_ms),
        "user_id": as_int64(user.get("id")),
        "user_is_bot": boolean_or_none(user.get("is_bot")),
        "user_first_name": string_or_none(user.get("first_name")),
        "user_username": string_or_none(user.get("username")),
        "actor_chat_id": as_int64(as_object(body.get("actor_chat")).get("id")),
    }
    old, new = _keys(body.get("old_reaction")), _keys(body.get("new_reaction"))
    changes = [(key, "added") for key in new if key not in old]
    changes += [(key, "removed") for key in old if key not in new]
    return [
        {**common, "change": change, "reaction_type": kind, "emoji": emoji}
        for (kind, emoji), change in changes
    ]


def _count_rows(update: dict[str, Any], received_at_ms: int) -> list[dict[str, Any]]:
    body: dict[str, Any] = update["message_reaction_count"]
    common = _common(update, "message_reaction_count", received_at_ms)
    counts = body.get("reactions")
    rows = []
    for entry in counts if isinstance(counts, list) else []:
        kind, emoji = reaction_key(as_object(entry).get("type"))
        total = as_int64(as_object(entry).get("total_count"))
        if kind is None or total is None or not 0 <= total < 2**31:
            continue
        rows.append(
            {
                **common,
                "change": "count",
                "reaction_type": kind,
                "emoji": emoji,
                "reaction_count": total,
            }
        )
    # Every reaction gone is news too: the message now has none.
    return rows or [{**common, "change": "count", "reaction_count": 0}]


def reaction_rows(update: Any, received_at_ms: int) -> list[dict[str, Any]]:
    """The `reactions` rows of an update: none unless it is a reaction update."""
    if not isinstance(update, dict):
        return []
    if isinstance(update.get("message_reaction"), dict):
        return _change_rows(update, received_at_ms)
    if isinstance(update.get("message_reaction_count"), dict):
        return _count_rows(update, received_at_ms)
    return []
