"""Pure knowledge of Telegram updates: their kinds and the chat each one is about.

Every function takes plain decoded JSON and never raises for unexpected shapes:
Telegram adds fields over time, and hostile bodies must not crash anything.
"""

from __future__ import annotations

from typing import Any, Final

#: Update kinds whose payload is a Message; these become `messages` rows.
MESSAGE_KINDS: Final = ("message", "edited_message", "channel_post", "edited_channel_post")

#: Kinds whose payload is a Message in a business chat (archived, not shaped).
BUSINESS_MESSAGE_KINDS: Final = ("business_message", "edited_business_message")

#: Kinds whose payload carries the chat directly as `chat`.
CHAT_KINDS: Final = (
    *MESSAGE_KINDS,
    *BUSINESS_MESSAGE_KINDS,
    "deleted_business_messages",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
)

#: Every update kind the webhook can keep: what `setWebhook`'s allowed_updates lists.
KEPT_UPDATE_KINDS: Final = (*CHAT_KINDS, "callback_query")

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


def as_int64(value: Any) -> int | None:
    """The value if it is a JSON integer that fits a bigint, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX:
        return value
    return None


def as_object(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def update_kind(update: dict[str, Any]) -> str | None:
    """The kind of an update: the first key beside update_id that Telegram defines."""
    for kind in KEPT_UPDATE_KINDS:
        if isinstance(update.get(kind), dict):
            return kind
    for key, value in update.items():
        if key != "update_id" and isinstance(value, dict):
            return key
    return None


def update_id(update: dict[str, Any]) -> int | None:
    """The update's update_id when it is a valid bigint."""
    return as_int64(update.get("update_id"))


def chat_id(update: dict[str, Any]) -> int | None:
    """The id of the chat an update is about, or None (inline queries, polls, ...)."""
    for kind in CHAT_KINDS:
        payload = update.get(kind)
        if isinstance(payload, dict):
            return as_int64(as_object(payload.get("chat")).get("id"))
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        message = as_object(callback.get("message"))
        return as_int64(as_object(message.get("chat")).get("id"))
    return None


def nonzero_int64(value: Any) -> int | None:
    """The value as a bigint when it is one and not 0 (re-serialised payloads carry 0)."""
    number = as_int64(value)
    return number if number else None


def migration_link(update: dict[str, Any]) -> tuple[int, int] | None:
    """(old group id, new supergroup id) when the update announces a migration, else None.

    The group's last message carries `migrate_to_chat_id`; the supergroup's first
    carries `migrate_from_chat_id`. Either one alone names both chats.
    """
    for kind in MESSAGE_KINDS:
        message = update.get(kind)
        if not isinstance(message, dict):
            continue
        this_chat = as_int64(as_object(message.get("chat")).get("id"))
        if this_chat is None:
            return None
        to_chat = nonzero_int64(message.get("migrate_to_chat_id"))
        if to_chat is not None:
            return this_chat, to_chat
        from_chat = nonzero_int64(message.get("migrate_from_chat_id"))
        if from_chat is not None:
            return from_chat, this_chat
        return None
    return None


def chat_type_and_title(update: dict[str, Any]) -> tuple[str | None, str | None]:
    """The type and title of the chat an update is about (for naming ignored groups)."""
    for kind in CHAT_KINDS:
        payload = update.get(kind)
        if isinstance(payload, dict):
            chat = as_object(payload.get("chat"))
            kind_of_chat, title = chat.get("type"), chat.get("title")
            return (
                kind_of_chat if isinstance(kind_of_chat, str) else None,
                title if isinstance(title, str) else None,
            )
    return None, None
