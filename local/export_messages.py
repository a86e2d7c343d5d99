"""One exported message → its `messages` row (and, through local/export_events.py, its
`member_events` and `reactions` rows).

`MessageShaper.shape` is what the import runs per message: a row is a tuple in the
order of MESSAGE_FIELDS (the messages table's columns), timestamps in epoch
milliseconds, so the import buffers tuples and turns each column into Arrow at once
(local/export_staging.py). `MessageShaper.rows` gives the same rows as dicts with
the timestamps as the Bot API shapers write them (`YYYY-MM-DD HH:MM:SS.fff`), for
tests and readers. The export's fields and the chat's ids: local/export_format.py;
each column's source: docs/import.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from functions.rows import format_timestamp_ms
from functions.telegram import as_int64
from glue_schema import MESSAGES
from local.export_events import (
    MEMBER_FIELDS,
    REACTION_FIELDS,
    joined_member_ids,
    left_member_id,
    member_rows,
    reaction_rows,
)
from local.export_format import (
    MIGRATED_ID_SHIFT,
    SOURCE,
    ExportChat,
    MissingTimeZone,
    SenderCache,
    epoch_seconds,
    local_seconds,
    peer,
    unix_seconds,
)
from local.export_types import content_type, service_type

#: A messages row tuple's fields: the catalog's columns, in its order (glue_schema/tables.py).
#: `shape` writes its tuple in this order; the tests read its fields back by name.
MESSAGE_FIELDS: Final = MESSAGES.column_names
#: Where a messages row keeps sent_at (epoch ms): the import partitions by its UTC date.
SENT_AT: Final = MESSAGE_FIELDS.index("sent_at")
#: Fields holding epoch milliseconds in the tuples, timestamps in the row dicts.
TIMESTAMP_FIELDS: Final = frozenset(
    ("sent_at", "edited_at", "received_at", "changed_at", "reacted_at")
)
#: Export text part types → Bot API entity types (the ones the entity columns read).
ENTITY_TYPES: Final = {
    "mention": "mention",
    "hashtag": "hashtag",
    "link": "url",
    "text_link": "text_link",
    "mention_name": "text_mention",
}
#: Epoch seconds of 9999-12-31 23:59:59 UTC: later dates cannot be Telegram's.
_MAX_SECONDS: Final = 253402300799

Row = tuple[Any, ...]
#: (messages row or None, member_events rows, reactions rows) of one exported message.
Shaped = tuple[Row | None, Sequence[Row], Sequence[Row]]
_NOTHING: Final[Shaped] = (None, (), ())


# -- text -------------------------------------------------------------------------------


def _parts(message: dict[str, Any]) -> list[Any]:
    entities = message.get("text_entities")
    # Telegram Desktop writes only objects here; anything else is not read as entities.
    if isinstance(entities, list) and all(isinstance(e, dict) for e in entities):
        return entities
    text = message.get("text")
    return text if isinstance(text, list) else []


#: (text, hashtags, mentions, urls, mentioned_user_ids) of a message.
TextColumns = tuple[str | None, list[str], list[str], list[str], list[int]]


def text_columns(message: dict[str, Any]) -> TextColumns:
    """The plain text and the entity columns functions.rows.entity_columns cuts from it.

    The text is the parts' texts joined; each part of an entity type is an entity at
    its offset in UTF-16 code units, and the columns take what the Bot API shaper
    would: the text the entity covers (so the part's own text, round-tripped through
    UTF-16 as its slice would be; a part with a lone surrogate gives none), a
    text_link's `href`, a mention_name's `user_id`.
    """
    raw = message.get("text")
    if type(raw) is str:
        parts_given = message.get("text_entities")
        if (
            parts_given is None
            or not parts_given
            or (
                len(parts_given) == 1
                and isinstance(parts_given[0], dict)
                and parts_given[0].get("type") == "plain"
            )
        ):
            return (raw or None), [], [], [], []  # plain text: no entity to place
    parts = _parts(message)
    if not parts and isinstance(raw, str):
        return (raw or None), [], [], [], []
    pieces: list[str] = []
    sliced: dict[str, list[str]] = {"hashtag": [], "mention": [], "url": []}
    urls = sliced["url"]
    user_ids: list[int] = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        if not isinstance(part, dict) or not isinstance(part.get("text"), str):
            continue
        piece: str = part["text"]
        pieces.append(piece)
        kind = ENTITY_TYPES.get(str(part.get("type")))
        if kind is None or not piece:  # not an entity, or an empty one
            continue
        if kind in sliced:
            covered = piece if piece.isascii() else _as_sliced(piece)
            if covered is not None:
                sliced[kind].append(covered)
        elif kind == "text_link":
            url = part.get("href")
            if isinstance(url, str) and url:
                urls.append(url)
        else:  # text_mention
            user_id = as_int64(part.get("user_id"))
            if user_id is not None:
                user_ids.append(user_id)
    return ("".join(pieces) or None), sliced["hashtag"], sliced["mention"], urls, user_ids


def _as_sliced(piece: str) -> str | None:
    """A part's text as its UTF-16 slice of the whole text decodes (None: it cannot)."""
    try:
        return piece.encode("utf-16-le", errors="surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def forward_origin_type(message: dict[str, Any]) -> str | None:
    """user / channel / chat from `forwarded_from_id`; `unknown` when only a name is given."""
    if "forwarded_from" not in message and "forwarded_from_id" not in message:
        return None  # most messages
    found = peer(message.get("forwarded_from_id"))
    if found is None:
        return "unknown"
    return {"user": "user", "channel": "channel", "chat": "chat"}.get(found[0], "unknown")


# -- rows -------------------------------------------------------------------------------


def _ms(seconds: int | None) -> int | None:
    return seconds * 1000 if seconds is not None and 0 <= seconds <= _MAX_SECONDS else None


def _text_or_none(value: Any) -> str | None:
    """A string field of the export, or None when it is missing, empty or not a string."""
    return value if isinstance(value, str) and value else None


class MessageShaper:
    """Rows of one exported chat's messages (what stays the same per chat, computed once)."""

    def __init__(self, chat: ExportChat, zone: ZoneInfo | None, imported_at_ms: int) -> None:
        self.chat = chat
        self.zone = zone
        self.sender = SenderCache(chat)
        self.chat_id = chat.chat_id
        self.chat_type = chat.chat_type
        self.update_type = "channel_post" if chat.chat_type == "channel" else "message"
        self.chat_columns = (self.chat_id, self.chat_type, chat.name)
        #: A supergroup's export carries its old basic group's messages (shifted ids).
        self.migrated_below = MIGRATED_ID_SHIFT // 2 if chat.chat_type == "supergroup" else None
        self.migrated_columns = (self.chat_id, "group", chat.name)

    def shape(self, message: dict[str, Any]) -> Shaped:
        """The rows of one exported message as tuples; MissingTimeZone when it has only a
        local date and the shaper no zone."""
        message_id = message.get("id")
        if type(message_id) is not int:
            message_id = as_int64(message_id)
        sent = unix_seconds(message.get("date_unixtime"))
        if sent is None:
            sent = local_seconds(message.get("date"), self.zone)
        if message_id is None or sent is None:
            if message_id is not None and self.zone is None and "date" in message:
                raise MissingTimeZone(
                    "this export has no date_unixtime (an older Telegram Desktop): its dates "
                    "are the exporting computer's local time; pass --export-tz ZONE "
                    "(e.g. --export-tz Europe/Berlin)"
                )
            return _NOTHING  # "unsupported" media: tdesktop writes id and type only
        service = message.get("type") == "service"
        text, hashtags, mentions, urls, mentioned_user_ids = text_columns(message)
        if service:
            type_name = service_type(message)
            sender = self.sender(message.get("actor_id"), message.get("actor"))
        else:
            type_name = content_type(message, text)
            sender = self.sender(message.get("from_id"), message.get("from"))
        reply_to = message.get("reply_to_message_id")
        if reply_to is not None and (service or message.get("reply_to_peer_id") is not None):
            reply_to = None  # a pin's target, or a reply to another chat's message
        migrated = self.migrated_below is not None and message_id <= self.migrated_below
        chat_id, chat_type, chat_title = chat = (
            self.migrated_columns if migrated else self.chat_columns
        )
        sent_ms = _ms(sent)
        row = (
            None,  # update_id: no update
            self.update_type,
            message_id,
            chat_id,
            chat_type,
            chat_title,
            None,  # message_thread_id
            False,  # is_topic_message
            sender[0],  # user_id
            None,  # user_is_bot
            sender[1],  # user_first_name
            None,  # user_username
            None,  # user_language_code
            sender[2],  # sender_chat_id
            sender[3],  # sender_chat_title
            sender[4],  # sender_chat_type
            sender[5],  # sender_kind
            None,  # via_bot_id
            _text_or_none(message.get("author")),
            False,  # is_automatic_forward
            sent_ms,
            _ms(epoch_seconds(message, "edited", self.zone)) if "edited" in message else None,
            type_name,
            service,
            None,  # migrate_to_chat_id: the export names neither chat
            None,  # migrate_from_chat_id
            text,
            len(text) if text is not None else None,
            hashtags,
            mentions,
            urls,
            mentioned_user_ids,
            as_int64(reply_to) if reply_to is not None else None,
            forward_origin_type(message),
            None,  # media_group_id
            joined_member_ids(message) if type_name == "new_chat_members" else [],
            left_member_id(message) if type_name == "left_chat_member" else None,
            None,  # received_at: not received live (a re-import writes the very same files)
            SOURCE,
        )
        members = member_rows(message, chat, sender[0], sender[1], sent_ms) if service else ()
        reactions = (
            reaction_rows(message, chat, message_id, sent_ms) if "reactions" in message else ()
        )
        return row, members, reactions

    def rows(self, message: dict[str, Any]) -> ExportRows:
        """The rows of one exported message as dicts; MissingTimeZone as `shape`."""
        row, members, reactions = self.shape(message)
        return ExportRows(
            row_dict(MESSAGE_FIELDS, row) if row is not None else None,
            [row_dict(MEMBER_FIELDS, member) for member in members],
            [row_dict(REACTION_FIELDS, reaction) for reaction in reactions],
        )


@dataclass(frozen=True)
class ExportRows:
    """What one exported message gives each table, as dicts (None: no `messages` row)."""

    message: dict[str, Any] | None
    members: list[dict[str, Any]]
    reactions: list[dict[str, Any]]


def row_dict(fields: Sequence[str], row: Row) -> dict[str, Any]:
    """A row tuple as the dict the Bot API shapers make (timestamps as strings)."""
    return {
        name: format_timestamp_ms(value)
        if name in TIMESTAMP_FIELDS and value is not None
        else value
        for name, value in zip(fields, row, strict=True)
    }
