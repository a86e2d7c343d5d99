"""The row shaper: one Telegram update → one `messages` row (plain dict).

Pure and total: any decoded JSON gives a row or None, never an exception.
Array columns are never null: an empty list when there is nothing.

Timestamps are written as ``YYYY-MM-DD HH:MM:SS.fff`` in UTC: the
``java.sql.Timestamp.valueOf`` form, which Firehose's OpenX JSON SerDe (and the
Hive SerDe's default) accept for Glue `timestamp` columns, at the millisecond
precision Athena v3 reads.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, Final

from functions.telegram import MESSAGE_KINDS, as_int64, as_object, update_id

#: message_type detection, first match wins. Order matters where Telegram sends
#: several keys: an animation also carries `document`; a venue also carries
#: `location` (counted as location); `text` and media never come together.
MESSAGE_TYPE_PRECEDENCE: Final = (
    ("text", "text"),
    ("animation", "animation"),
    ("photo", "photo"),
    ("video", "video"),
    ("video_note", "video_note"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("sticker", "sticker"),
    ("document", "document"),
    ("poll", "poll"),
    ("dice", "dice"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("new_chat_members", "new_chat_members"),
    ("left_chat_member", "left_chat_member"),
    ("pinned_message", "pinned_message"),
)
OTHER_MESSAGE_TYPE: Final = "other"
MESSAGE_TYPES: Final = (*dict.fromkeys(t for _, t in MESSAGE_TYPE_PRECEDENCE), OTHER_MESSAGE_TYPE)

#: Telegram's `date` fields are unix seconds; anything outside years 1970-9999
#: cannot be a Telegram date and is dropped rather than failing the row.
_MAX_EPOCH_SECONDS: Final = 253402300799


_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()


@functools.lru_cache(maxsize=1024)
def _utc_date(days_since_epoch: int) -> str:
    # Cached: a batch's timestamps fall on a handful of days, and formatting the
    # date is most of what a datetime would cost (the shaper's hot loop).
    try:
        return f"{date.fromordinal(_EPOCH_ORDINAL + days_since_epoch):%Y-%m-%d}"
    except OverflowError:
        raise ValueError("year is out of range") from None


def format_timestamp_ms(epoch_ms: int) -> str:
    """Epoch milliseconds → ``YYYY-MM-DD HH:MM:SS.fff`` (UTC); ValueError outside years 1-9999."""
    seconds, millis = divmod(epoch_ms, 1000)
    days, second_of_day = divmod(seconds, 86_400)
    hours, rest = divmod(second_of_day, 3600)
    minutes, second = divmod(rest, 60)
    return f"{_utc_date(days)} {hours:02d}:{minutes:02d}:{second:02d}.{millis:03d}"


def _timestamp_from_seconds(value: Any) -> str | None:
    seconds = as_int64(value)
    if seconds is None or not 0 <= seconds <= _MAX_EPOCH_SECONDS:
        return None
    return format_timestamp_ms(seconds * 1000)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def message_type(message: dict[str, Any]) -> str:
    """The message's type by MESSAGE_TYPE_PRECEDENCE, `other` when none match."""
    for key, kind in MESSAGE_TYPE_PRECEDENCE:
        if message.get(key) is not None:
            return kind
    return OTHER_MESSAGE_TYPE


def entity_slices(text: str, entities: Any, entity_type: str) -> list[str]:
    """The text slices of entities of one type; offsets are UTF-16 code units.

    Entities out of range or cutting a surrogate pair are skipped, not guessed.
    """
    if not isinstance(entities, list):
        return []
    wanted = [
        entity
        for entity in entities
        if isinstance(entity, dict) and entity.get("type") == entity_type
    ]
    if not wanted:
        return []
    utf16 = text.encode("utf-16-le", errors="surrogatepass")
    units = len(utf16) // 2
    slices: list[str] = []
    for entity in wanted:
        offset, length = as_int64(entity.get("offset")), as_int64(entity.get("length"))
        if offset is None or length is None or offset < 0 or length <= 0:
            continue
        if offset + length > units:
            continue
        try:
            slices.append(utf16[2 * offset : 2 * (offset + length)].decode("utf-16-le"))
        except UnicodeDecodeError:
            continue
    return slices


def _member_ids(members: Any) -> list[int]:
    if not isinstance(members, list):
        return []
    ids = [as_int64(as_object(member).get("id")) for member in members]
    return [member_id for member_id in ids if member_id is not None]


def shape_row(update: Any, received_at_ms: int) -> dict[str, Any] | None:
    """The `messages` row for a message-like update, or None for any other update."""
    if not isinstance(update, dict):
        return None
    kind = next((k for k in MESSAGE_KINDS if isinstance(update.get(k), dict)), None)
    if kind is None:
        return None
    message: dict[str, Any] = update[kind]
    chat = as_object(message.get("chat"))
    sender = as_object(message.get("from"))
    text = _string(message.get("text"))
    entities = message.get("entities")
    if text is None:
        text = _string(message.get("caption"))
        entities = message.get("caption_entities")
    reply_to = message.get("reply_to_message")
    if isinstance(reply_to, dict) and "forum_topic_created" in reply_to:
        # Telegram puts the topic's creation message as reply_to_message on every
        # message of a forum topic: that is the thread, not a reply.
        reply_to = None
    left_member = message.get("left_chat_member")
    return {
        "update_id": update_id(update),
        "update_type": kind,
        "message_id": as_int64(message.get("message_id")),
        "chat_id": as_int64(chat.get("id")),
        "chat_type": _string(chat.get("type")),
        "chat_title": _string(chat.get("title")),
        "message_thread_id": as_int64(message.get("message_thread_id")),
        "user_id": as_int64(sender.get("id")),
        "user_is_bot": _boolean(sender.get("is_bot")),
        "user_first_name": _string(sender.get("first_name")),
        "user_username": _string(sender.get("username")),
        "user_language_code": _string(sender.get("language_code")),
        "sender_chat_id": as_int64(as_object(message.get("sender_chat")).get("id")),
        "sent_at": _timestamp_from_seconds(message.get("date")),
        "edited_at": _timestamp_from_seconds(message.get("edit_date")),
        "message_type": message_type(message),
        "text": text,
        "text_length": len(text) if text is not None else None,
        "hashtags": entity_slices(text, entities, "hashtag") if text else [],
        "mentions": entity_slices(text, entities, "mention") if text else [],
        "urls": entity_slices(text, entities, "url") if text else [],
        "reply_to_message_id": as_int64(as_object(reply_to).get("message_id"))
        if isinstance(reply_to, dict)
        else None,
        "forward_origin_type": _string(as_object(message.get("forward_origin")).get("type")),
        "media_group_id": _string(message.get("media_group_id")),
        "new_chat_member_ids": _member_ids(message.get("new_chat_members")),
        "left_chat_member_id": as_int64(as_object(left_member).get("id"))
        if isinstance(left_member, dict)
        else None,
        "received_at": format_timestamp_ms(received_at_ms),
    }
