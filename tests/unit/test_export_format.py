"""Telegram Desktop export messages → rows (local/export_messages.py), on real exports.

Sources of the fixtures: tests/events/exports/INDEX.md.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.privacy import pseudonymize_row
from glue_schema import MEMBER_EVENTS, MESSAGES, arrow_schema
from local.export_events import MEMBER_FIELDS
from local.export_format import ExportChat, MissingTimeZone, bot_api_chat_id
from local.export_messages import MESSAGE_FIELDS, TIMESTAMP_FIELDS, MessageShaper, row_dict
from local.export_staging import FIELDS, TABLES, arrow_table
from tests.helpers import export_messages

SUPERGROUP = ExportChat(1712691810, "public_supergroup", "Teknologi Umum v2.0")
#: Tkonverter's sample is a personal chat; its messages are read as if of a supergroup.
AS_SUPERGROUP = ExportChat(10001, "private_supergroup", "sample")
UTC = ZoneInfo("UTC")


def shaped(chat: ExportChat, message: dict[str, Any], zone: ZoneInfo | None = None) -> Any:
    return MessageShaper(chat, zone, 0).rows(message)


def tkonverter(message_id: int) -> dict[str, Any]:
    return next(m for m in export_messages("Tkonverter__result") if m["id"] == message_id)


@pytest.mark.parametrize(
    ("export_id", "export_type", "chat_id"),
    [
        (1234567890, "private_supergroup", -1001234567890),
        (1712691810, "public_supergroup", -1001712691810),
        (1292077344, "private_channel", -1001292077344),
        (1292077344, "public_channel", -1001292077344),
        (700000002, "private_group", -700000002),
        (-1001234567890, "private_supergroup", -1001234567890),
    ],
)
def test_export_ids_become_bot_api_ids(export_id: int, export_type: str, chat_id: int) -> None:
    assert bot_api_chat_id(export_id, export_type) == chat_id
    assert ExportChat(export_id, export_type, None).matches(chat_id)


def test_every_message_of_a_real_export_gives_a_contract_row() -> None:
    messages = export_messages("tgif__software-testing")
    rows = [shaped(SUPERGROUP, m).message for m in messages]
    assert all(tuple(row) == MESSAGES.column_names for row in rows)
    tuples = [MessageShaper(SUPERGROUP, None, 0).shape(m)[0] for m in messages]
    table = arrow_table(MESSAGES, MESSAGE_FIELDS, [row for row in tuples if row is not None])
    assert table.schema == arrow_schema(MESSAGES)
    assert table.num_rows == 197
    assert {row["source"] for row in rows} == {"export"}
    assert {row["chat_id"] for row in rows} == {-1001712691810}
    assert {row["update_id"] for row in rows} == {None}


def test_a_text_message_keeps_its_sender_reply_and_utc_time() -> None:
    message = next(m for m in export_messages("tgif__software-testing") if m["id"] == 242640)
    row = shaped(SUPERGROUP, message).message
    assert row["user_id"] == 7000000001
    assert row["user_first_name"] == "User 1"
    assert row["sender_kind"] == "user"
    assert row["sent_at"] == "2023-01-20 12:05:09.000"  # date_unixtime 1674216309
    assert row["message_type"] == "text"
    assert row["is_service"] is False


def test_entities_from_parts_are_cut_in_utf16_units_like_the_bot_api() -> None:
    # GIVEN a real message whose text parts hold a mention and links (tgif)
    messages = export_messages("tgif__software-testing")
    with_parts = [m for m in messages if isinstance(m["text"], list)]
    for message in with_parts:
        row = shaped(SUPERGROUP, message).message
        parts = [p for p in message["text"] if isinstance(p, dict)]
        # THEN each mention / link is the part's own text, found by UTF-16 offsets
        assert row["mentions"] == [p["text"] for p in parts if p["type"] == "mention"]
        assert row["urls"] == [p["text"] for p in parts if p["type"] == "link"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["plain", "hashtag", "mention", "link", "bold"]),
            st.text(alphabet=st.sampled_from("ab #@😀🇧🇷é\n"), min_size=1, max_size=6),
        ),
        max_size=8,
    )
)
def test_any_parts_give_their_entity_texts_back(parts: list[tuple[str, str]]) -> None:
    entities = [{"type": kind, "text": text} for kind, text in parts]
    message = {
        "id": 1,
        "type": "message",
        "date_unixtime": "1700000000",
        "text": [e if e["type"] != "plain" else e["text"] for e in entities],
        "text_entities": entities,
    }
    row = shaped(SUPERGROUP, message).message
    assert row["text"] == ("".join(text for _, text in parts) or None)
    assert row["hashtags"] == [text for kind, text in parts if kind == "hashtag"]
    assert row["mentions"] == [text for kind, text in parts if kind == "mention"]
    assert row["urls"] == [text for kind, text in parts if kind == "link"]


def test_text_links_and_mention_names_fill_urls_and_user_ids() -> None:
    message = tkonverter(1)
    row = shaped(AS_SUPERGROUP, message).message
    assert row["mentions"] == ["@alice"]
    assert row["urls"] == ["https://example.org"]


@pytest.mark.parametrize(
    ("message_id", "message_type"),
    [
        (1, "text"),
        (3, "photo"),
        (4, "sticker"),
        (5, "video_note"),
        (6, "voice"),
        (7, "animation"),
        (8, "video"),
        (9, "audio"),
        (10, "contact"),
        (11, "location"),
        (13, "location"),
        (15, "game"),
        (16, "invoice"),
        (17, "poll"),
        (18, "checklist"),
        (19, "giveaway"),
        (20, "giveaway_winners"),
        (21, "paid_media"),
        (22, "document"),
    ],
)
def test_media_map_onto_the_bot_api_message_types(message_id: int, message_type: str) -> None:
    row = shaped(AS_SUPERGROUP, tkonverter(message_id)).message
    assert (row["message_type"], row["is_service"]) == (message_type, False)


def test_a_forward_reply_to_another_chat_and_an_edit() -> None:
    row = shaped(AS_SUPERGROUP, tkonverter(2)).message
    assert row["forward_origin_type"] == "channel"  # forwarded_from_id channel500
    assert row["reply_to_message_id"] is None  # reply_to_peer_id: another chat
    assert row["edited_at"] == "2026-02-01 09:03:00.000"


def test_reactions_become_count_rows_like_message_reaction_count() -> None:
    rows = shaped(AS_SUPERGROUP, tkonverter(1)).reactions
    assert [(r["reaction_type"], r["emoji"], r["reaction_count"]) for r in rows] == [
        ("emoji", "🔥", 2),
        ("custom_emoji", "1234567890123456789", 1),
        ("paid", None, 3),
    ]
    assert {r["change"] for r in rows} == {"count"}
    assert {r["update_type"] for r in rows} == {"message_reaction_count"}
    assert {r["message_id"] for r in rows} == {1}


def test_a_migrated_supergroup_export_names_service_events_as_the_bot_api() -> None:
    # GIVEN the supergroup's export, which starts with its old basic group (ids shifted)
    chat = ExportChat(9888888888, "public_supergroup", "test")
    messages = export_messages("telegram-chat-parser__public_supergroup")
    rows = [shaped(chat, m, UTC).message for m in messages]
    # THEN the service messages carry the Bot API's field names
    assert [(r["message_type"], r["is_service"]) for r in rows] == [
        ("group_chat_created", True),
        ("text", False),
        ("migrate_to_chat_id", True),
        ("migrate_from_chat_id", True),
    ]
    # AND the old group's messages are the basic group's, under the supergroup's id
    assert [r["chat_type"] for r in rows] == ["group", "group", "group", "supergroup"]
    assert {r["chat_id"] for r in rows} == {-1009888888888}
    assert rows[1]["message_id"] == -999678449


def test_a_channels_own_posts_are_sent_by_the_channel() -> None:
    chat = ExportChat(10036995664, "private_channel", "test")
    messages = export_messages("telegram-chat-parser__private_channel")
    rows = [shaped(chat, m, UTC).message for m in messages]
    post = rows[1]
    assert (post["sender_kind"], post["sender_chat_id"], post["user_id"]) == (
        "channel",
        -1010036995664,
        None,
    )
    assert post["update_type"] == "channel_post"
    assert [r["message_type"] for r in rows] == [
        "channel_chat_created",
        "text",
        "text",
        "pinned_message",
        "poll",
        "poll",
        "text",
    ]
    assert rows[2]["reply_to_message_id"] == 2
    assert rows[3]["reply_to_message_id"] is None  # a pin names its message, it is no reply


def test_an_old_export_without_unix_times_needs_the_exporting_time_zone() -> None:
    message = export_messages("tgif__tdd-and-clean-architecture")[0]
    with pytest.raises(MissingTimeZone):
        shaped(SUPERGROUP, message)
    # 2022-08-02T23:21:24 in Jakarta (UTC+7) is 16:21:24 UTC
    row = shaped(SUPERGROUP, message, ZoneInfo("Asia/Jakarta")).message
    assert row["sent_at"] == "2022-08-02 16:21:24.000"
    assert row["edited_at"] == "2022-08-02 16:21:37.000"


def test_joins_by_link_and_self_adds_make_member_events() -> None:
    chat = ExportChat(1482056085, "public_supergroup", "g")
    join = {
        "id": 5,
        "type": "service",
        "date_unixtime": "1554400808",
        "actor": "User 1",
        "actor_id": "user386",
        "action": "invite_members",
        "members": ["User 1"],
    }
    by_link = {**join, "action": "join_group_by_link", "inviter": "Group"}
    added = {**join, "members": ["User 2"]}
    left = {**join, "action": "remove_members"}
    assert [r["join_source"] for r in shaped(chat, join).members] == ["direct"]
    assert [r["join_source"] for r in shaped(chat, by_link).members] == ["invite_link"]
    assert shaped(chat, by_link).message["new_chat_member_ids"] == [386]
    assert shaped(chat, added).members == []  # the export names the added member only
    assert shaped(chat, added).message["message_type"] == "new_chat_members"
    assert [(r["event"], r["user_id"]) for r in shaped(chat, left).members] == [("left", 386)]
    assert shaped(chat, left).message["left_chat_member_id"] == 386


def test_unsupported_entries_without_a_date_make_no_row() -> None:
    assert shaped(SUPERGROUP, {"id": 7, "type": "unsupported"}).message is None


def test_row_tuples_name_catalog_columns_and_its_timestamps() -> None:
    # The import turns tuples into Arrow by these names: each must be a column.
    for table, fields in FIELDS.items():
        assert set(fields) <= set(TABLES[table].column_names), table
    timestamps = {c.name for t in TABLES.values() for c in t.columns if c.type == "timestamp"}
    assert timestamps == TIMESTAMP_FIELDS


def test_pseudonyms_a_column_at_a_time_are_pseudonymize_rows() -> None:
    # GIVEN messages naming users as senders, in mentions and as joining members
    chat = ExportChat(1482056085, "public_supergroup", "g")
    mention = {"type": "mention_name", "text": "Ann", "user_id": 4242}
    messages = [
        *export_messages("tgif__software-testing"),
        {"id": 4, "type": "message", "date_unixtime": "1554400800", "from_id": "user9",
         "from": "Bo", "text": ["hi ", mention], "text_entities": [mention]},
        {"id": 5, "type": "service", "date_unixtime": "1554400808", "actor": "User 1",
         "actor_id": "user386", "action": "join_group_by_link"},
    ]  # fmt: skip
    shaped = [MessageShaper(chat, None, 0).shape(m) for m in messages]
    key = b"k" * 32
    for table, fields, rows in (
        (MESSAGES, MESSAGE_FIELDS, [s[0] for s in shaped if s[0] is not None]),
        (MEMBER_EVENTS, MEMBER_FIELDS, [row for s in shaped for row in s[1]]),
    ):
        # WHEN the staging pseudonymises them column by column
        got = arrow_table(table, fields, rows, key).to_pylist()
        # THEN each row is what functions.privacy makes of the row's dict
        for row, values in zip(got, rows, strict=True):
            expected = pseudonymize_row(row_dict(fields, values), key)
            assert {k: row[k] for k in fields if k not in TIMESTAMP_FIELDS} == {
                k: v for k, v in expected.items() if k not in TIMESTAMP_FIELDS
            }
    assert any(
        s[0] is not None and s[0][MESSAGE_FIELDS.index("mentioned_user_ids")] for s in shaped
    )
    assert any(s[1] for s in shaped)
