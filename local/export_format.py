"""Telegram Desktop's JSON export (`result.json`): its chats, ids, dates and senders.

What the whole mapping onto `messages`, `member_events` and `reactions` shares: the
exported chat (`ExportChat`, with its Bot API id and type), the export's dates, its
`from_id` / `actor_id` peers, and the errors the importer reports. The rows
themselves: local/export_messages.py (a message's `messages` row; its
`message_type` from local/export_types.py) and local/export_events.py (its
`member_events` and `reactions` rows), shaped like the Bot API shapers' rows
(functions/rows.py, functions/members.py, functions/reactions.py) so every view and
dashboard reads them alike. What the export cannot say is NULL (no update_id, no
usernames, no language codes); `source` is always `export`. The mapping, field by
field, and how the views keep one row per message when live capture overlaps:
docs/import.md.

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

from functions.rows import PLACEHOLDER_SENDER_KINDS, string_or_none
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


class ExportFormatError(ValueError):
    """The data is not a Telegram Desktop export (or not one this importer can read)."""


class MissingTimeZone(ExportFormatError):
    """An older export (dates without date_unixtime) imported without --export-tz."""


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


def unix_seconds(raw: Any) -> int | None:
    """A `<key>_unixtime` value (a string of epoch seconds, or a number) as an int."""
    if type(raw) is str:
        try:
            return int(raw)
        except ValueError:
            return None
    return raw if type(raw) is int else None


def local_seconds(local: Any, zone: ZoneInfo | None) -> int | None:
    """A `<key>` value (local time) read in `zone`; None without a zone or a string."""
    if isinstance(local, str) and zone is not None:
        return parse_local_date(local, zone)
    return None


def epoch_seconds(message: dict[str, Any], key: str, zone: ZoneInfo | None) -> int | None:
    """`<key>_unixtime` as epoch seconds, else `<key>` read in `zone`; None when neither."""
    seconds = unix_seconds(message.get(f"{key}_unixtime"))
    return local_seconds(message.get(key), zone) if seconds is None else seconds


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
NOBODY: Final[Sender] = (None, None, None, None, None, None)


def sender_columns(chat: ExportChat, from_id: Any, name: Any) -> Sender:
    """user_id, user_first_name, sender_chat_* and sender_kind, as functions/rows.py sets them."""
    found = peer(from_id)
    if found is None:
        return NOBODY
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


class SenderCache:
    """`sender_columns` of one chat, remembered per (`from_id`, name): a chat's messages
    come from the same few thousand senders. Bounded, so memory stays flat."""

    LIMIT: Final = 65_536

    def __init__(self, chat: ExportChat) -> None:
        self.chat = chat
        self._known: dict[tuple[str, str | None], Sender] = {}

    def __call__(self, from_id: Any, name: Any) -> Sender:
        """sender_columns(chat, from_id, name)."""
        if type(from_id) is not str:  # numbers: 1, 1.0 and True are one dict key
            return sender_columns(self.chat, from_id, name)
        key = (from_id, name if type(name) is str else None)
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            known = self._known[key] = sender_columns(self.chat, from_id, name)
        return known


def user_id_of(value: Any) -> int | None:
    """The user id a `from_id` / `actor_id` names (None for chats and placeholders)."""
    found = peer(value)
    if found is None or found[0] not in ("user", "number"):
        return None
    return None if found[1] in PLACEHOLDER_SENDER_KINDS else found[1]
