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

from functions.telegram import MESSAGE_KINDS, as_int64, as_object, nonzero_int64, update_id

#: Content types, first match wins. Order matters where Telegram sends several
#: keys: an animation also carries `document`; a venue also carries `location`
#: (counted as location); `text` and media never come together.
CONTENT_TYPE_PRECEDENCE: Final = (
    ("text", "text"),
    ("animation", "animation"),
    ("photo", "photo"),
    ("video", "video"),
    ("video_note", "video_note"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("sticker", "sticker"),
    ("story", "story"),
    ("paid_media", "paid_media"),
    ("document", "document"),
    ("checklist", "checklist"),
    ("poll", "poll"),
    ("dice", "dice"),
    ("game", "game"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("invoice", "invoice"),
    ("giveaway", "giveaway"),
    ("giveaway_winners", "giveaway_winners"),
)

#: Service messages: the Bot API field that announces the event, and the name it is
#: stored under (legacy fields map onto today's names: `new_chat_participant` was
#: `new_chat_members` before Bot API 2.0, `voice_chat_*` became `video_chat_*` in 6.0).
SERVICE_TYPES: Final = (
    ("new_chat_members", "new_chat_members"),
    ("new_chat_participant", "new_chat_members"),
    ("new_chat_member", "new_chat_members"),
    ("left_chat_member", "left_chat_member"),
    ("left_chat_participant", "left_chat_member"),
    ("new_chat_title", "new_chat_title"),
    ("new_chat_photo", "new_chat_photo"),
    ("delete_chat_photo", "delete_chat_photo"),
    ("group_chat_created", "group_chat_created"),
    ("supergroup_chat_created", "supergroup_chat_created"),
    ("channel_chat_created", "channel_chat_created"),
    ("message_auto_delete_timer_changed", "message_auto_delete_timer_changed"),
    ("migrate_to_chat_id", "migrate_to_chat_id"),
    ("migrate_from_chat_id", "migrate_from_chat_id"),
    ("pinned_message", "pinned_message"),
    ("successful_payment", "successful_payment"),
    ("refunded_payment", "refunded_payment"),
    ("users_shared", "users_shared"),
    ("user_shared", "users_shared"),
    ("chat_shared", "chat_shared"),
    ("gift", "gift"),
    ("unique_gift", "unique_gift"),
    ("gift_upgrade_sent", "gift_upgrade_sent"),
    ("connected_website", "connected_website"),
    ("write_access_allowed", "write_access_allowed"),
    ("passport_data", "passport_data"),
    ("proximity_alert_triggered", "proximity_alert_triggered"),
    ("boost_added", "boost_added"),
    ("chat_background_set", "chat_background_set"),
    ("checklist_tasks_done", "checklist_tasks_done"),
    ("checklist_tasks_added", "checklist_tasks_added"),
    ("direct_message_price_changed", "direct_message_price_changed"),
    ("paid_message_price_changed", "paid_message_price_changed"),
    ("forum_topic_created", "forum_topic_created"),
    ("forum_topic_edited", "forum_topic_edited"),
    ("forum_topic_closed", "forum_topic_closed"),
    ("forum_topic_reopened", "forum_topic_reopened"),
    ("general_forum_topic_hidden", "general_forum_topic_hidden"),
    ("general_forum_topic_unhidden", "general_forum_topic_unhidden"),
    ("giveaway_created", "giveaway_created"),
    ("giveaway_completed", "giveaway_completed"),
    ("suggested_post_approved", "suggested_post_approved"),
    ("suggested_post_approval_failed", "suggested_post_approval_failed"),
    ("suggested_post_declined", "suggested_post_declined"),
    ("suggested_post_paid", "suggested_post_paid"),
    ("suggested_post_refunded", "suggested_post_refunded"),
    ("video_chat_scheduled", "video_chat_scheduled"),
    ("voice_chat_scheduled", "video_chat_scheduled"),
    ("video_chat_started", "video_chat_started"),
    ("voice_chat_started", "video_chat_started"),
    ("video_chat_ended", "video_chat_ended"),
    ("voice_chat_ended", "video_chat_ended"),
    ("video_chat_participants_invited", "video_chat_participants_invited"),
    ("voice_chat_participants_invited", "video_chat_participants_invited"),
    ("web_app_data", "web_app_data"),
)
OTHER_MESSAGE_TYPE: Final = "other"
CONTENT_TYPES: Final = tuple(dict.fromkeys(t for _, t in CONTENT_TYPE_PRECEDENCE))
SERVICE_MESSAGE_TYPES: Final = tuple(dict.fromkeys(t for _, t in SERVICE_TYPES))
MESSAGE_TYPES: Final = (*CONTENT_TYPES, *SERVICE_MESSAGE_TYPES, OTHER_MESSAGE_TYPE)

#: Telegram's placeholder accounts: `from` of messages that no person sent.
GROUP_ANONYMOUS_BOT_ID: Final = 1087968824
CHANNEL_BOT_ID: Final = 136817688
TELEGRAM_SERVICE_ID: Final = 777000
#: What each placeholder stands for when a payload lacks `sender_chat` (older shapes).
PLACEHOLDER_SENDER_KINDS: Final = {
    GROUP_ANONYMOUS_BOT_ID: "anonymous_admin",
    CHANNEL_BOT_ID: "channel",
    TELEGRAM_SERVICE_ID: "channel",
}
SENDER_KINDS: Final = ("user", "bot", "anonymous_admin", "channel")

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


def timestamp_from_seconds(value: Any) -> str | None:
    seconds = as_int64(value)
    if seconds is None or not 0 <= seconds <= _MAX_EPOCH_SECONDS:
        return None
    return format_timestamp_ms(seconds * 1000)


def string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def boolean_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def chat_columns(chat: dict[str, Any]) -> dict[str, Any]:
    """chat_id, chat_type, chat_title of a Chat (the engagement shapers' rows)."""
    return {
        "chat_id": as_int64(chat.get("id")),
        "chat_type": string_or_none(chat.get("type")),
        "chat_title": string_or_none(chat.get("title")),
    }


def user_columns(user: dict[str, Any]) -> dict[str, Any]:
    """user_id, user_is_bot, user_first_name, user_username, user_language_code of a User."""
    return {
        "user_id": as_int64(user.get("id")),
        "user_is_bot": boolean_or_none(user.get("is_bot")),
        "user_first_name": string_or_none(user.get("first_name")),
        "user_username": string_or_none(user.get("username")),
        "user_language_code": string_or_none(user.get("language_code")),
    }


def carries_something(value: Any) -> bool:
    """Whether a field says anything: re-serialised payloads carry `false`, `[]`, `0`.

    An object counts even when empty: ForumTopicClosed and VideoChatStarted are `{}`.
    """
    if value is None or value is False:
        return False
    if isinstance(value, (list, str)):
        return len(value) > 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value != 0
    return True


def classify(message: dict[str, Any]) -> tuple[str, bool]:
    """(message_type, is_service): the content type, else the service event, else `other`."""
    for key, kind in CONTENT_TYPE_PRECEDENCE:
        if key in message and carries_something(message[key]):
            return kind, False
    for key, kind in SERVICE_TYPES:
        if key in message and carries_something(message[key]):
            return kind, True
    return OTHER_MESSAGE_TYPE, False


def message_type(message: dict[str, Any]) -> str:
    """The message's type: a content type, a service event's field name, or `other`."""
    return classify(message)[0]


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
    utf16 = _utf16(text)
    return [piece for piece in (_slice(utf16, entity) for entity in wanted) if piece is not None]


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", errors="surrogatepass")


def _slice(utf16: bytes, entity: dict[str, Any]) -> str | None:
    offset, length = as_int64(entity.get("offset")), as_int64(entity.get("length"))
    if offset is None or length is None or offset < 0 or length <= 0:
        return None
    if 2 * (offset + length) > len(utf16):
        return None
    try:
        return utf16[2 * offset : 2 * (offset + length)].decode("utf-16-le")
    except UnicodeDecodeError:
        return None


_SLICED_ENTITIES: Final = {"hashtag": "hashtags", "mention": "mentions", "url": "urls"}


def entity_columns(text: str | None, entities: Any) -> dict[str, list[Any]]:
    """hashtags, mentions, urls (url slices and text_link urls) and mentioned_user_ids, in order."""
    columns: dict[str, list[Any]] = {
        "hashtags": [],
        "mentions": [],
        "urls": [],
        "mentioned_user_ids": [],
    }
    if not text or not isinstance(entities, list):
        return columns
    utf16: bytes | None = None
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        kind = entity.get("type")
        column = _SLICED_ENTITIES.get(kind) if isinstance(kind, str) else None
        if column is not None:
            utf16 = _utf16(text) if utf16 is None else utf16
            piece = _slice(utf16, entity)
            if piece is not None:
                columns[column].append(piece)
        elif kind == "text_link":
            url = entity.get("url")
            if isinstance(url, str) and url:
                columns["urls"].append(url)
        elif kind == "text_mention":
            user_id = as_int64(as_object(entity.get("user")).get("id"))
            if user_id is not None:
                columns["mentioned_user_ids"].append(user_id)
    return columns


def _member_ids(message: dict[str, Any]) -> list[int]:
    members = message.get("new_chat_members")
    if not (isinstance(members, list) and members):
        # Legacy single-member fields, used when the list is absent (before Bot API 2.0).
        legacy = message.get("new_chat_participant") or message.get("new_chat_member")
        members = [legacy] if isinstance(legacy, dict) else []
    ids = [as_int64(as_object(member).get("id")) for member in members]
    return [member_id for member_id in ids if member_id is not None]


def _left_member_id(message: dict[str, Any]) -> int | None:
    left = message.get("left_chat_member")
    if not isinstance(left, dict):
        left = message.get("left_chat_participant")
    return as_int64(left.get("id")) if isinstance(left, dict) else None


def forward_origin_type(message: dict[str, Any]) -> str | None:
    """forward_origin.type, or what the pre-7.0 forward fields say."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        return string_or_none(origin.get("type"))
    from_chat = message.get("forward_from_chat")
    if isinstance(from_chat, dict):
        return "channel" if from_chat.get("type") == "channel" else "chat"
    if isinstance(message.get("forward_from"), dict):
        return "user"
    if carries_something(message.get("forward_sender_name")):
        return "hidden_user"
    return None


def sender_kind(
    chat: dict[str, Any], sender: dict[str, Any], sender_chat: dict[str, Any]
) -> str | None:
    """user, bot, anonymous_admin (sent as the group), channel (sent as a channel), or None."""
    if sender_chat:
        if sender_chat.get("type") == "channel":
            return "channel"
        if sender_chat.get("id") == chat.get("id") and "id" in chat:
            return "anonymous_admin"
        return None
    sender_id = as_int64(sender.get("id"))
    if sender_id in PLACEHOLDER_SENDER_KINDS:
        return PLACEHOLDER_SENDER_KINDS[sender_id]
    if sender_id is not None:
        return "bot" if sender.get("is_bot") is True else "user"
    # A channel's own posts may come without `from` and (in older shapes) without sender_chat.
    return "channel" if chat.get("type") == "channel" else None


def shape_row(update: Any, received_at_ms: int, source: str = "webhook") -> dict[str, Any] | None:
    """The `messages` row for a message-like update, or None for any other update.

    `source` says how the update reached the lake (glue_schema.tables.SOURCES).
    """
    if not isinstance(update, dict):
        return None
    kind = next((k for k in MESSAGE_KINDS if isinstance(update.get(k), dict)), None)
    if kind is None:
        return None
    message: dict[str, Any] = update[kind]
    chat = as_object(message.get("chat"))
    sender_chat = as_object(message.get("sender_chat"))
    sender = as_object(message.get("from"))
    kind_of_sender = sender_kind(chat, sender, sender_chat)
    # A message sent as a chat names no person: its `from` is a placeholder account.
    person = sender if kind_of_sender in ("user", "bot") else {}
    text = string_or_none(message.get("text"))
    entities = message.get("entities")
    if text is None:
        text = string_or_none(message.get("caption"))
        entities = message.get("caption_entities")
    reply_to = message.get("reply_to_message")
    if isinstance(reply_to, dict) and "forum_topic_created" in reply_to:
        # Telegram puts the topic's creation message as reply_to_message on every
        # message of a forum topic: that is the thread, not a reply.
        reply_to = None
    is_topic = message.get("is_topic_message") is True
    type_name, is_service = classify(message)
    # The chat and user fields as chat_columns / user_columns give them, written out:
    # this is the shaper's hot loop (a replay shapes tens of thousands of rows a second).
    row: dict[str, Any] = {
        "update_id": update_id(update),
        "update_type": kind,
        "message_id": as_int64(message.get("message_id")),
        "chat_id": as_int64(chat.get("id")),
        "chat_type": string_or_none(chat.get("type")),
        "chat_title": string_or_none(chat.get("title")),
        # Outside forum topics the field names the reply thread, not a topic.
        "message_thread_id": as_int64(message.get("message_thread_id")) if is_topic else None,
        "is_topic_message": is_topic,
        "user_id": as_int64(person.get("id")),
        "user_is_bot": boolean_or_none(person.get("is_bot")),
        "user_first_name": string_or_none(person.get("first_name")),
        "user_username": string_or_none(person.get("username")),
        "user_language_code": string_or_none(person.get("language_code")),
        "sender_chat_id": as_int64(sender_chat.get("id")),
        "sender_chat_title": string_or_none(sender_chat.get("title")),
        "sender_chat_type": string_or_none(sender_chat.get("type")),
        "sender_kind": kind_of_sender,
        "via_bot_id": as_int64(as_object(message.get("via_bot")).get("id")),
        "author_signature": string_or_none(message.get("author_signature")),
        "is_automatic_forward": message.get("is_automatic_forward") is True,
        "sent_at": timestamp_from_seconds(message.get("date")),
        "edited_at": timestamp_from_seconds(message.get("edit_date")),
        "message_type": type_name,
        "is_service": is_service,
        "migrate_to_chat_id": nonzero_int64(message.get("migrate_to_chat_id")),
        "migrate_from_chat_id": nonzero_int64(message.get("migrate_from_chat_id")),
        "text": text,
        "text_length": len(text) if text is not None else None,
    }
    row.update(entity_columns(text, entities))
    row.update(
        {
            "reply_to_message_id": as_int64(as_object(reply_to).get("message_id"))
            if isinstance(reply_to, dict)
            else None,
            "forward_origin_type": forward_origin_type(message),
            "media_group_id": string_or_none(message.get("media_group_id")),
            "new_chat_member_ids": _member_ids(message),
            "left_chat_member_id": _left_member_id(message),
            "received_at": format_timestamp_ms(received_at_ms),
            "source": source,
        }
    )
    return row
