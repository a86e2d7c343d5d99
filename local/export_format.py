"""Telegram Desktop's JSON export (`result.json`) → rows of `messages`, `member_events`, `reactions`.

Pure: one exported chat's header and one exported message (plain decoded JSON) in,
plain row dicts out, shaped like the Bot API shapers' rows (functions/rows.py,
functions/members.py, functions/reactions.py) so every view and dashboard reads
them alike. What the export cannot say is NULL (no update_id, no usernames, no
language codes); `source` is always `export`. The mapping, field by field, and how
the views keep one row per message when live capture overlaps: docs/import.md.

Export facts this relies on (tdesktop, export/output/export_output_json.cpp):
- a chat is `{"name", "type", "id", "messages": [...]}`, its `id` without the Bot
  API's `-100` (supergroups, channels) or `-` (basic groups);
- a message has `date` (the exporting computer's local time, ISO without offset)
  and, since 2021, `date_unixtime` (a string of UTC epoch seconds);
- `from_id` / `actor_id` are `user<id>`, `channel<id>`, `chat<id>` (older exports:
  a bare number); service messages name the actor, not `from`;
- `text` is a string or a list of parts (strings and `{"type", "text", ...}`), and
  `text_entities` the same parts as objects: their texts concatenated are the text;
- a supergroup's export holds the basic group it was migrated from, its message ids
  shifted by -1,000,000,000 (tdesktop's kMigratedMessagesIdShift).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from functions.rows import (
    PLACEHOLDER_SENDER_KINDS,
    entity_columns,
    format_timestamp_ms,
    string_or_none,
)
from functions.telegram import as_int64

SOURCE: Final = "export"
#: Export chat types that are groups or channels → the Bot API's chat.type.
GROUP_TYPES: Final = {
    "private_supergroup": "supergroup",
    "public_supergroup": "supergroup",
    "private_channel": "channel",
    "public_channel": "channel",
    "private_group": "group",
}
#: Supergroup and channel ids are -(10**12 + id) in the Bot API (the -100 prefix).
CHANNEL_ID_OFFSET: Final = 1_000_000_000_000
#: tdesktop files a migrated basic group's messages under the supergroup, ids shifted by this.
MIGRATED_ID_SHIFT: Final = -1_000_000_000

#: A document's `media_type` → the Bot API message_type (other documents: `document`).
MEDIA_TYPES: Final = {
    "sticker": "sticker",
    "video_message": "video_note",
    "voice_message": "voice",
    "animation": "animation",
    "video_file": "video",
    "audio_file": "audio",
}
#: Content keys other than `file`/`photo`, first match wins.
CONTENT_KEYS: Final = (
    ("photo", "photo"),
    ("poll", "poll"),
    ("todo_list", "checklist"),
    ("contact_information", "contact"),
    ("place_name", "location"),
    ("location_information", "location"),
    ("game_title", "game"),
    ("invoice_information", "invoice"),
    ("giveaway_information", "giveaway"),
    ("giveaway_results", "giveaway_winners"),
    ("paid_stars_amount", "paid_media"),
)
#: Service `action` → the Bot API field that announces the same event (functions/rows.py
#: SERVICE_TYPES). Actions without one are service messages of type `other`.
SERVICE_ACTIONS: Final = {
    "create_group": "group_chat_created",
    "create_channel": "channel_chat_created",
    "migrate_to_supergroup": "migrate_to_chat_id",
    "migrate_from_group": "migrate_from_chat_id",
    "invite_members": "new_chat_members",
    "join_group_by_link": "new_chat_members",
    "join_group_by_request": "new_chat_members",
    "remove_members": "left_chat_member",
    "edit_group_title": "new_chat_title",
    "edit_group_photo": "new_chat_photo",
    "delete_group_photo": "delete_chat_photo",
    "pin_message": "pinned_message",
    "set_messages_ttl": "message_auto_delete_timer_changed",
    "group_call_scheduled": "video_chat_scheduled",
    "invite_to_group_call": "video_chat_participants_invited",
    "topic_created": "forum_topic_created",
    "topic_edit": "forum_topic_edited",
    "proximity_reached": "proximity_alert_triggered",
    "send_payment": "successful_payment",
    "refunded_payment": "refunded_payment",
    "boost_apply": "boost_added",
    "set_chat_wallpaper": "chat_background_set",
    "set_same_chat_wallpaper": "chat_background_set",
    "giveaway_launch": "giveaway_created",
    "giveaway_results": "giveaway_completed",
    "allow_sending_messages": "write_access_allowed",
    "send_passport_values": "passport_data",
    "send_webview_data": "web_app_data",
    "send_star_gift": "gift",
    "todo_completions": "checklist_tasks_done",
    "todo_append_tasks": "checklist_tasks_added",
    "paid_messages_price_change": "paid_message_price_changed",
}
#: Export text part types → Bot API entity types (the ones the entity columns read).
ENTITY_TYPES: Final = {
    "mention": "mention",
    "hashtag": "hashtag",
    "link": "url",
    "text_link": "text_link",
    "mention_name": "text_mention",
}
#: Reaction types as the reactions table names them (the export says the same).
REACTION_TYPES: Final = ("emoji", "custom_emoji", "paid")


class ExportFormatError(ValueError):
    """The data is not a Telegram Desktop export (or not one this importer can read)."""


@dataclass(frozen=True)
class ExportChat:
    """One exported chat: its export id, type and name, and the Bot API id and type."""

    export_id: int
    export_type: str
    name: str | None

    @property
    def is_group(self) -> bool:
        """Whether the chat is a group or a channel (what the lake keeps)."""
        return self.export_type in GROUP_TYPES

    @property
    def chat_type(self) -> str | None:
        """The Bot API chat.type: supergroup, channel or group (None for other chats)."""
        return GROUP_TYPES.get(self.export_type)

    @property
    def chat_id(self) -> int:
        """The Bot API chat.id: -100… for supergroups and channels, -… for basic groups."""
        return bot_api_chat_id(self.export_id, self.export_type)

    def matches(self, wanted: int) -> bool:
        """Whether `wanted` names this chat (its Bot API id or the export's bare id)."""
        return wanted in (self.chat_id, self.export_id)


def bot_api_chat_id(export_id: int, export_type: str) -> int:
    """The Bot API id of an exported chat (ids already negative are taken as they are)."""
    if export_id < 0:
        return export_id
    if GROUP_TYPES.get(export_type) == "group":
        return -export_id
    if export_type in GROUP_TYPES:
        return -(CHANNEL_ID_OFFSET + export_id)
    return export_id


def chat_from_header(header: dict[str, Any]) -> ExportChat:
    """The chat a `{"name", "type", "id"}` header describes; ExportFormatError if it is none."""
    export_id = header.get("id")
    export_type = header.get("type")
    if not isinstance(export_type, str) or as_int64(export_id) is None:
        raise ExportFormatError("a chat without a numeric id and a type")
    assert isinstance(export_id, int)  # as_int64 checked it
    return ExportChat(export_id, export_type, string_or_none(header.get("name")))


# -- dates ------------------------------------------------------------------------------


def parse_local_date(text: str, zone: ZoneInfo) -> int | None:
    """Epoch seconds of an export `date` (local time of the exporting computer) in `zone`."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


def epoch_seconds(message: dict[str, Any], key: str, zone: ZoneInfo | None) -> int | None:
    """`<key>_unixtime` as epoch seconds, else `<key>` read in `zone`; None when neither."""
    raw = message.get(f"{key}_unixtime")
    if type(raw) is str:
        try:
            return int(raw)
        except ValueError:
            pass
    elif type(raw) is int:
        return raw
    local = message.get(key)
    if isinstance(local, str) and zone is not None:
        return parse_local_date(local, zone)
    return None


class MissingTimeZone(ExportFormatError):
    """An older export (dates without date_unixtime) imported without --export-tz."""


# -- senders ----------------------------------------------------------------------------


def peer(value: Any) -> tuple[str, int] | None:
    """("user" | "channel" | "chat", bare id) of a `from_id`; a bare number is ("number", id)."""
    if type(value) is str:
        if value.startswith("user") and value[4:].isdigit():
            return "user", int(value[4:])
        for kind in ("channel", "chat"):
            if value.startswith(kind) and value[len(kind) :].isdigit():
                return kind, int(value[len(kind) :])
        return None
    number = as_int64(value)
    return ("number", number) if number is not None else None


#: (user_id, user_first_name, sender_chat_id, sender_chat_title, sender_chat_type, sender_kind)
Sender = tuple[int | None, str | None, int | None, str | None, str | None, str | None]
_NOBODY: Final[Sender] = (None, None, None, None, None, None)


def sender_columns(chat: ExportChat, from_id: Any, name: Any) -> Sender:
    """user_id, user_first_name, sender_chat_* and sender_kind, as functions/rows.py sets them."""
    found = peer(from_id)
    if found is None:
        return _NOBODY
    kind, bare = found
    if kind == "number" and bare == chat.export_id and chat.chat_type != "group":
        kind = "channel"  # older exports: a channel's own posts carry the chat's bare id
    if kind in ("channel", "chat"):
        sender_type = "group" if kind == "chat" else "channel"
        sender_id = -bare if kind == "chat" else -(CHANNEL_ID_OFFSET + bare)
        own = sender_id == chat.chat_id
        return (
            None,
            None,
            sender_id,
            string_or_none(name),
            chat.chat_type if own else sender_type,
            "anonymous_admin" if own and chat.chat_type != "channel" else "channel",
        )
    if bare in PLACEHOLDER_SENDER_KINDS:
        return (None, None, None, None, None, PLACEHOLDER_SENDER_KINDS[bare])
    return (bare, string_or_none(name), None, None, None, "user")


def user_id_of(value: Any) -> int | None:
    """The user id a `from_id` / `actor_id` names (None for chats and placeholders)."""
    found = peer(value)
    if found is None or found[0] not in ("user", "number"):
        return None
    return None if found[1] in PLACEHOLDER_SENDER_KINDS else found[1]


# -- text -------------------------------------------------------------------------------


def _parts(message: dict[str, Any]) -> list[Any]:
    entities = message.get("text_entities")
    if isinstance(entities, list):
        return entities
    text = message.get("text")
    return text if isinstance(text, list) else []


def text_and_entities(message: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The plain text and Bot API-style entities (offsets and lengths in UTF-16 code units)."""
    raw = message.get("text")
    if type(raw) is str:
        parts_given = message.get("text_entities")
        if (
            parts_given is None
            or not parts_given
            or (len(parts_given) == 1 and parts_given[0].get("type") == "plain")
        ):
            return (raw or None), []  # plain text: no entity to place
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    parts = _parts(message)
    if not parts and isinstance(raw, str):
        return (raw or None), []
    for part in parts:
        if isinstance(part, str):
            piece, kind = part, None
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            piece, kind = part["text"], ENTITY_TYPES.get(str(part.get("type")))
        else:
            continue
        length = len(piece.encode("utf-16-le", errors="surrogatepass")) // 2
        if kind is not None and length:
            assert isinstance(part, dict)
            entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
            if kind == "text_link":
                entity["url"] = part.get("href")
            elif kind == "text_mention":
                entity["user"] = {"id": as_int64(part.get("user_id"))}
            entities.append(entity)
        pieces.append(piece)
        offset += length
    text = "".join(pieces)
    return (text or None), entities


# -- message type -----------------------------------------------------------------------


_CONTENT_KEY_SET: Final = frozenset(key for key, _ in CONTENT_KEYS) | {"media_type", "file"}


def classify(message: dict[str, Any], text: str | None) -> tuple[str, bool]:
    """(message_type, is_service) in the Bot API shaper's names."""
    if message.get("type") == "service":
        action = message.get("action")
        if action == "group_call":
            return ("video_chat_ended" if message.get("duration") else "video_chat_started"), True
        return SERVICE_ACTIONS.get(action if isinstance(action, str) else "", "other"), True
    if message.keys().isdisjoint(_CONTENT_KEY_SET):
        return ("text" if text else "other"), False  # most messages: text only
    media = message.get("media_type")
    if isinstance(media, str) and media in MEDIA_TYPES:
        return MEDIA_TYPES[media], False
    for key, kind in CONTENT_KEYS:
        if message.get(key) is not None:
            return kind, False
    if "file" in message:
        return "document", False
    return ("text" if text else "other"), False


def forward_origin_type(message: dict[str, Any]) -> str | None:
    """user / channel / chat from `forwarded_from_id`; `unknown` when only a name is given."""
    if "forwarded_from" not in message and "forwarded_from_id" not in message:
        return None  # most messages
    found = peer(message.get("forwarded_from_id"))
    if found is None:
        return "unknown"
    return {"user": "user", "channel": "channel", "chat": "chat"}.get(found[0], "unknown")


# -- rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRows:
    """What one exported message gives each table (None: no `messages` row)."""

    message: dict[str, Any] | None
    members: list[dict[str, Any]]
    reactions: list[dict[str, Any]]


def _ms(seconds: int | None) -> str | None:
    if seconds is None or not 0 <= seconds <= 253402300799:
        return None
    return format_timestamp_ms(seconds * 1000)


class MessageShaper:
    """Rows of one exported chat's messages (what stays the same per chat, computed once)."""

    def __init__(self, chat: ExportChat, zone: ZoneInfo | None, imported_at_ms: int) -> None:
        self.chat = chat
        self.zone = zone
        # Not received live: NULL (a re-import then writes the very same files).
        self.received_at: str | None = None
        self.update_type = "channel_post" if chat.chat_type == "channel" else "message"

    def rows(self, message: dict[str, Any]) -> ExportRows:
        """The rows of one exported message; MissingTimeZone when it has only a local date."""
        chat = self.chat
        message_id = message.get("id")
        if type(message_id) is not int:
            message_id = as_int64(message_id)
        sent = epoch_seconds(message, "date", self.zone)
        if message_id is None or sent is None:
            if message_id is not None and self.zone is None and "date" in message:
                raise MissingTimeZone(
                    "this export has no date_unixtime (an older Telegram Desktop): its dates "
                    "are the exporting computer's local time; pass --export-tz ZONE "
                    "(e.g. --export-tz Europe/Berlin)"
                )
            return _NOTHING  # "unsupported" media: tdesktop writes id and type only
        service = message.get("type") == "service"
        text, entities = text_and_entities(message)
        type_name, is_service = classify(message, text)
        if service:
            sender = sender_columns(chat, message.get("actor_id"), message.get("actor"))
        else:
            sender = sender_columns(chat, message.get("from_id"), message.get("from"))
        reply_to = message.get("reply_to_message_id")
        if reply_to is not None and (service or message.get("reply_to_peer_id") is not None):
            reply_to = None  # a pin's target, or a reply to another chat's message
        edited = epoch_seconds(message, "edited", self.zone) if "edited" in message else None
        columns = entity_columns(text, entities) if entities else None
        row: dict[str, Any] = {
            "update_id": None,
            "update_type": self.update_type,
            "message_id": message_id,
            "chat_id": chat.chat_id,
            # A supergroup's export carries its old basic group's messages (shifted ids).
            "chat_type": "group"
            if message_id <= MIGRATED_ID_SHIFT // 2 and chat.chat_type == "supergroup"
            else chat.chat_type,
            "chat_title": chat.name,
            "message_thread_id": None,
            "is_topic_message": False,
            "user_id": sender[0],
            "user_is_bot": None,
            "user_first_name": sender[1],
            "user_username": None,
            "user_language_code": None,
            "sender_chat_id": sender[2],
            "sender_chat_title": sender[3],
            "sender_chat_type": sender[4],
            "sender_kind": sender[5],
            "via_bot_id": None,
            "author_signature": message.get("author") or None,
            "is_automatic_forward": False,
            "sent_at": _ms(sent),
            "edited_at": _ms(edited),
            "message_type": type_name,
            "is_service": is_service,
            "migrate_to_chat_id": None,
            "migrate_from_chat_id": None,
            "text": text,
            "text_length": len(text) if text is not None else None,
            "hashtags": columns["hashtags"] if columns else [],
            "mentions": columns["mentions"] if columns else [],
            "urls": columns["urls"] if columns else [],
            "mentioned_user_ids": columns["mentioned_user_ids"] if columns else [],
            "reply_to_message_id": as_int64(reply_to) if reply_to is not None else None,
            "forward_origin_type": forward_origin_type(message),
            "media_group_id": None,
            "new_chat_member_ids": _joined_member_ids(message)
            if type_name == "new_chat_members"
            else [],
            "left_chat_member_id": _left_member_id(message)
            if type_name == "left_chat_member"
            else None,
            "received_at": self.received_at,
            "source": SOURCE,
        }
        members = member_rows(row, message) if service else []
        reactions = reaction_rows(row, message) if "reactions" in message else []
        return ExportRows(row, members, reactions)


_NOTHING: Final = ExportRows(None, [], [])


def message_rows(
    chat: ExportChat, message: dict[str, Any], zone: ZoneInfo | None, imported_at_ms: int
) -> ExportRows:
    """The rows of one exported message (a MessageShaper for a single message)."""
    return MessageShaper(chat, zone, imported_at_ms).rows(message)


def _self_named(message: dict[str, Any]) -> bool:
    """Whether the action's members are the actor alone (a join, a leave)."""
    members = message.get("members")
    return (
        isinstance(members, list)
        and len(members) == 1
        and members[0] is not None
        and members[0] == message.get("actor")
    )


def _joined_member_ids(message: dict[str, Any]) -> list[int]:
    """Ids of joining members the export names by id: the actor when they joined themselves."""
    actor = user_id_of(message.get("actor_id"))
    if actor is None:
        return []
    action = message.get("action")
    if action in ("join_group_by_link", "join_group_by_request") or _self_named(message):
        return [actor]
    return []


def _left_member_id(message: dict[str, Any]) -> int | None:
    return user_id_of(message.get("actor_id")) if _self_named(message) else None


#: Member actions the export describes well enough for a member_events row.
_JOIN_SOURCES: Final = {
    "join_group_by_link": "invite_link",
    "join_group_by_request": "join_request",
}


def member_rows(row: dict[str, Any], message: dict[str, Any]) -> list[dict[str, Any]]:
    """member_events rows of a join or leave the export names by id (the actor themselves).

    The export names invited or removed members by display name only, so a member
    added or removed by someone else has no id here and no row; the messages row
    still says what happened (new_chat_members / left_chat_member).
    """
    action = message.get("action")
    actor = row["user_id"]
    if actor is None:
        return []
    if action in _JOIN_SOURCES or (action == "invite_members" and _self_named(message)):
        joined, source = True, _JOIN_SOURCES.get(str(action), "direct")
    elif action == "remove_members" and _self_named(message):
        joined, source = False, None
    else:
        return []
    return [
        {
            "update_id": None,
            "update_type": "message",
            "chat_id": row["chat_id"],
            "chat_type": row["chat_type"],
            "chat_title": row["chat_title"],
            "user_id": actor,
            "user_first_name": row["user_first_name"],
            "actor_user_id": actor,
            "old_status": None,
            "new_status": "member" if joined else "left",
            "was_member": not joined,
            "is_member": joined,
            "event": "joined" if joined else "left",
            "join_source": source,
            "changed_at": row["sent_at"],
            "received_at": row["received_at"],
            "source": SOURCE,
        }
    ]


def reaction_rows(row: dict[str, Any], message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's reactions when exported: one `count` row per reaction, like a
    message_reaction_count update's (a snapshot at export time, dated by the message)."""
    reactions = message.get("reactions")
    if not isinstance(reactions, list) or not reactions:
        return []
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
            {
                "update_id": None,
                "update_type": "message_reaction_count",
                "chat_id": row["chat_id"],
                "chat_type": row["chat_type"],
                "chat_title": row["chat_title"],
                "message_id": row["message_id"],
                "change": "count",
                "reaction_type": kind,
                "emoji": string_or_none(emoji),
                "reaction_count": count,
                "reacted_at": row["sent_at"],
                "received_at": row["received_at"],
                "source": SOURCE,
            }
        )
    return rows
