"""Table definitions: the `messages` column contract, the engagement tables, the raw archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pyarrow as pa

PARQUET_SERDE: Final = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT: Final = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT: Final = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
OPENX_JSON_SERDE: Final = "org.openx.data.jsonserde.JsonSerDe"
TEXT_INPUT: Final = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT: Final = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

#: Partition key of every table: the UTC arrival date, as Firehose's !{timestamp}.
DT_FORMAT: Final = "yyyy-MM-dd"

#: How a row reached the lake (the last column of every delivered table): pushed to the
#: webhook, read by `tgpipe poll`, or imported from a Telegram Desktop export.
SOURCES: Final = ("webhook", "poll", "export")
SOURCE_COMMENT: Final = "webhook, poll or export (Telegram Desktop's history export)"


@dataclass(frozen=True)
class Column:
    """One Glue column: name, Glue (Hive) type and what it holds."""

    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class Table:
    """One Glue table, described once for the template, Arrow and DuckDB."""

    name: str
    columns: tuple[Column, ...]
    prefix: str
    serde: str
    input_format: str
    output_format: str
    partition_keys: tuple[Column, ...] = (Column("dt", "string", "UTC arrival date"),)
    serde_parameters: dict[str, str] = field(default_factory=dict)
    table_parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        """Data column names, in order (partition keys excluded)."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called `name` (KeyError if there is none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


MESSAGES: Final = Table(
    name="messages",
    description="One row per message-like Telegram update (at least once; see messages_unique).",
    prefix="messages/",
    serde=PARQUET_SERDE,
    input_format=PARQUET_INPUT,
    output_format=PARQUET_OUTPUT,
    serde_parameters={"serialization.format": "1"},
    table_parameters={"classification": "parquet", "parquet.compression": "SNAPPY"},
    columns=(
        Column("update_id", "bigint", "Telegram update_id"),
        Column("update_type", "string", "message, edited_message, channel_post, ..."),
        Column("message_id", "bigint", "message_id (unique within a chat)"),
        Column("chat_id", "bigint", "chat.id (supergroups are -100...)"),
        Column("chat_type", "string", "chat.type"),
        Column("chat_title", "string", "chat.title"),
        Column("message_thread_id", "bigint", "forum topic id (only when is_topic_message)"),
        Column("is_topic_message", "boolean", "sent in a forum topic"),
        Column("user_id", "bigint", "from.id; null when sent as a chat (placeholders)"),
        Column("user_is_bot", "boolean", "from.is_bot"),
        Column("user_first_name", "string", "from.first_name"),
        Column("user_username", "string", "from.username"),
        Column("user_language_code", "string", "from.language_code"),
        Column("sender_chat_id", "bigint", "sender_chat.id"),
        Column("sender_chat_title", "string", "sender_chat.title"),
        Column("sender_chat_type", "string", "sender_chat.type"),
        Column("sender_kind", "string", "user, bot, anonymous_admin or channel"),
        Column("via_bot_id", "bigint", "via_bot.id (inline bot)"),
        Column("author_signature", "string", "author_signature"),
        Column("is_automatic_forward", "boolean", "automatic forward from the linked channel"),
        Column("sent_at", "timestamp", "date (UTC)"),
        Column("edited_at", "timestamp", "edit_date (UTC)"),
        Column("message_type", "string", "content type, or the service event's field name"),
        Column("is_service", "boolean", "service message (join, title change, migration, ...)"),
        Column("migrate_to_chat_id", "bigint", "the supergroup this group became"),
        Column("migrate_from_chat_id", "bigint", "the group this supergroup was"),
        Column("text", "string", "text, else caption"),
        Column("text_length", "int", "length of text in code points"),
        Column("hashtags", "array<string>", "hashtag entities as written"),
        Column("mentions", "array<string>", "mention entities as written"),
        Column("urls", "array<string>", "url entities as written, and text_link urls"),
        Column("mentioned_user_ids", "array<bigint>", "text_mention entities' user ids"),
        Column("reply_to_message_id", "bigint", "reply_to_message.message_id"),
        Column("forward_origin_type", "string", "forward_origin.type (or legacy forward fields)"),
        Column("media_group_id", "string", "album id"),
        Column("new_chat_member_ids", "array<bigint>", "new_chat_members[].id"),
        Column("left_chat_member_id", "bigint", "left_chat_member.id"),
        Column("received_at", "timestamp", "when the webhook accepted the update (UTC)"),
        Column("source", "string", SOURCE_COMMENT),
    ),
)

#: Update kinds kept as top-level string columns of `raw_updates`: the OpenX JSON
#: SerDe returns a nested object read into a string column as its JSON text, so
#: `json_extract(message, '$.text')` reaches the original payload.
RAW_UPDATE_KINDS: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
    "poll",
    "poll_answer",
)

RAW_UPDATES: Final = Table(
    name="raw_updates",
    description="The untouched updates as Telegram sent them (gzip NDJSON), one row per update.",
    prefix="updates/",
    serde=OPENX_JSON_SERDE,
    input_format=TEXT_INPUT,
    output_format=TEXT_OUTPUT,
    serde_parameters={"ignore.malformed.json": "true", "case.insensitive": "true"},
    table_parameters={"classification": "json", "compressionType": "gzip"},
    columns=(
        Column("update_id", "bigint", "Telegram update_id"),
        *(Column(kind, "string", f"the {kind} object as JSON text") for kind in RAW_UPDATE_KINDS),
    ),
)


def delivered_table(name: str, description: str, columns: tuple[Column, ...]) -> Table:
    """A table Firehose writes as SNAPPY Parquet under `<name>/` (an engagement table)."""
    return Table(
        name=name,
        description=description,
        prefix=f"{name}/",
        serde=PARQUET_SERDE,
        input_format=PARQUET_INPUT,
        output_format=PARQUET_OUTPUT,
        serde_parameters={"serialization.format": "1"},
        table_parameters={"classification": "parquet", "parquet.compression": "SNAPPY"},
        columns=columns,
    )


def _update_columns(update_types: str) -> tuple[Column, ...]:
    """The columns every engagement table starts with: the update and its chat."""
    return (
        Column("update_id", "bigint", "Telegram update_id"),
        Column("update_type", "string", update_types),
        Column("chat_id", "bigint", "chat.id"),
        Column("chat_type", "string", "chat.type"),
        Column("chat_title", "string", "chat.title"),
    )


MEMBER_EVENTS: Final = delivered_table(
    "member_events",
    "One row per membership change: chat_member, my_chat_member, and the "
    "new_chat_members / left_chat_member service messages (at least once).",
    (
        *_update_columns("chat_member, my_chat_member, or message (service)"),
        Column("user_id", "bigint", "the member whose membership changed"),
        Column("user_is_bot", "boolean", "the member is a bot"),
        Column("user_first_name", "string", "the member's first_name"),
        Column("user_username", "string", "the member's username"),
        Column("user_language_code", "string", "the member's language_code"),
        Column("actor_user_id", "bigint", "who made the change (from); the member when self"),
        Column("old_status", "string", "creator, administrator, member, restricted, left, kicked"),
        Column("new_status", "string", "creator, administrator, member, restricted, left, kicked"),
        Column("was_member", "boolean", "a member before (restricted counts when is_member)"),
        Column("is_member", "boolean", "a member after"),
        Column(
            "event",
            "string",
            "joined, left, removed, banned, unbanned, promoted, demoted, restricted, "
            "unrestricted, changed",
        ),
        Column(
            "join_source", "string", "joins: invite_link, join_request, chat_folder, added, direct"
        ),
        Column("invite_link", "string", "invite_link.invite_link (shortened by Telegram)"),
        Column("invite_link_name", "string", "invite_link.name"),
        Column("invite_link_creator_id", "bigint", "invite_link.creator.id"),
        Column("added_by_user_id", "bigint", "joins added by another member: who added them"),
        Column("changed_at", "timestamp", "date (UTC)"),
        Column("received_at", "timestamp", "when the webhook accepted the update (UTC)"),
        Column("source", "string", SOURCE_COMMENT),
    ),
)

REACTIONS: Final = delivered_table(
    "reactions",
    "One row per reaction added or removed (message_reaction) and per reaction in "
    "a count snapshot (message_reaction_count), at least once.",
    (
        *_update_columns("message_reaction or message_reaction_count"),
        Column("chat_username", "string", "chat.username (public chats: t.me links)"),
        Column("message_id", "bigint", "the message reacted to"),
        Column("user_id", "bigint", "the reacting user (null when anonymous)"),
        Column("user_is_bot", "boolean", "user.is_bot"),
        Column("user_first_name", "string", "user.first_name"),
        Column("user_username", "string", "user.username"),
        Column("actor_chat_id", "bigint", "actor_chat.id: the chat reacting anonymously"),
        Column("change", "string", "added, removed, or count (a snapshot)"),
        Column("reaction_type", "string", "emoji, custom_emoji or paid"),
        Column("emoji", "string", "the emoji, or the custom emoji's id"),
        Column("reaction_count", "int", "count snapshots: total_count of this reaction"),
        Column("reacted_at", "timestamp", "date (UTC)"),
        Column("received_at", "timestamp", "when the webhook accepted the update (UTC)"),
        Column("source", "string", SOURCE_COMMENT),
    ),
)

#: Tables Firehose writes (one delivery stream each), in the order they are described.
DELIVERED_TABLES: Final = (MESSAGES, MEMBER_EVENTS, REACTIONS)
TABLES: Final = (MESSAGES, MEMBER_EVENTS, REACTIONS, RAW_UPDATES)
MESSAGES_COLUMN_NAMES: Final = MESSAGES.column_names


def arrow_type(glue_type: str) -> pa.DataType:
    """The Arrow type Athena v3 reads for a Glue type (timestamps in milliseconds)."""
    import pyarrow as pa

    scalars: dict[str, pa.DataType] = {
        "bigint": pa.int64(),
        "int": pa.int32(),
        "string": pa.string(),
        "boolean": pa.bool_(),
        "double": pa.float64(),
        "timestamp": pa.timestamp("ms"),
    }
    if glue_type.startswith("array<") and glue_type.endswith(">"):
        return pa.list_(arrow_type(glue_type[len("array<") : -1]))
    return scalars[glue_type]


def arrow_schema(table: Table = MESSAGES) -> pa.Schema:
    """The pyarrow schema of a table's data columns (partition keys excluded)."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=True) for c in table.columns])
