"""The row shaper: every column of the contract, from realistic payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.rows import (
    MESSAGE_TYPES,
    entity_slices,
    format_timestamp_ms,
    message_type,
    shape_row,
)
from glue_schema import MESSAGES, MESSAGES_COLUMN_NAMES, arrow_schema
from tests.helpers import CHANNEL_ID, GROUP_ID, event, event_names

RECEIVED_MS = 1767254600123

# file -> (message_type, hashtags, mentions, urls), written from the Bot API payloads.
EXPECTED: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    "message_text": ("text", [], [], []),
    "message_text_entities": (
        "text",
        ["#oferta", "#promoção"],
        ["@ana_vendas"],
        ["https://loja.example.com.br/produto?id=1"],
    ),
    "message_text_4096": ("text", ["#liquidação"], [], []),
    "message_photo_caption": ("photo", ["#oferta", "#verão2026"], [], []),
    "message_photo_album_1": ("photo", ["#verão2026"], [], []),
    "message_photo_album_2": ("photo", [], [], []),
    "message_video": ("video", [], [], []),
    "message_document": ("document", ["#catálogo"], [], []),
    "message_animation": ("animation", [], [], []),
    "message_sticker": ("sticker", [], [], []),
    "message_voice": ("voice", [], [], []),
    "message_audio": ("audio", [], [], []),
    "message_video_note": ("video_note", [], [], []),
    "message_poll": ("poll", [], [], []),
    "message_location": ("location", [], [], []),
    "message_venue": ("location", [], [], []),
    "message_contact": ("contact", [], [], []),
    "message_dice": ("dice", [], [], []),
    "message_new_chat_members": ("new_chat_members", [], [], []),
    "message_left_chat_member": ("left_chat_member", [], [], []),
    "message_pinned_message": ("pinned_message", [], [], []),
    "message_reply": ("text", [], ["@ana_vendas"], []),
    "message_forward_user": ("text", [], [], ["https://loja.example.com.br/produto?id=2"]),
    "message_forward_channel": ("text", ["#oferta"], [], []),
    "message_forum_topic": ("text", ["#frete"], [], []),
    "message_id_zero": ("text", [], [], []),
    "message_from_bot": ("text", ["#relatório"], [], []),
    "message_unknown_future_fields": ("text", [], [], []),
    "message_anonymous_admin": ("text", ["#aviso"], [], []),
    "edited_message": ("text", [], [], []),
    "channel_post": (
        "text",
        ["#oferta", "#eletrônicos"],
        [],
        ["https://loja.example.com.br/produto?id=1"],
    ),
    "edited_channel_post": (
        "text",
        ["#oferta", "#eletrônicos"],
        [],
        ["https://loja.example.com.br/produto?id=1"],
    ),
    "message_other_chat": ("text", ["#oferta"], [], []),
    "message_private": ("text", [], [], []),
    "message_forward_hidden_user": ("text", [], [], []),
    "message_forward_chat": ("text", ["#aviso"], [], []),
    "message_on_behalf_of_channel": ("text", [], [], []),
    "message_automatic_forward": ("text", [], [], []),
    "message_text_link_and_text_mention": (
        "text",
        [],
        [],
        ["https://loja.example.com.br/catalogo"],
    ),
    "message_via_bot": ("animation", [], [], []),
    "channel_post_author_signature": ("text", ["#oferta"], [], []),
    "message_forward_legacy_channel": ("text", [], [], []),
    "message_forward_legacy_hidden_user": ("text", [], [], []),
    "message_new_chat_participant_legacy": ("new_chat_members", [], [], []),
    "message_reserialised_empty_fields": ("text", [], [], []),
    "message_new_chat_title": ("new_chat_title", [], [], []),
}
NOT_SHAPED = [
    "business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "callback_query",
    "chat_boost",
    "removed_chat_boost",
    "inline_query",
    "poll_answer",
]


def row(name: str) -> dict[str, Any]:
    shaped = shape_row(event(name), RECEIVED_MS)
    assert shaped is not None
    return shaped


def test_every_fixture_is_classified_by_this_test() -> None:
    assert sorted([*EXPECTED, *NOT_SHAPED]) == event_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message_type_and_entities_match_the_payload(name: str) -> None:
    shaped = row(name)
    expected_type, hashtags, mentions, urls = EXPECTED[name]
    assert shaped["message_type"] == expected_type
    assert shaped["hashtags"] == hashtags
    assert shaped["mentions"] == mentions
    assert shaped["urls"] == urls


@pytest.mark.parametrize("name", NOT_SHAPED)
def test_non_message_updates_make_no_row(name: str) -> None:
    assert shape_row(event(name), RECEIVED_MS) is None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_row_has_exactly_the_contract_columns_except_partition(name: str) -> None:
    assert tuple(row(name)) == MESSAGES_COLUMN_NAMES


def test_emoji_before_a_hashtag_does_not_shift_it() -> None:
    # GIVEN a text starting with 🇧🇷 (4 UTF-16 units) and 😀 (2) before #oferta
    text = "🇧🇷😀 #oferta"
    entities = [{"type": "hashtag", "offset": 7, "length": 7}]
    # THEN the slice is taken in UTF-16 units, not code points
    assert entity_slices(text, entities, "hashtag") == ["#oferta"]


@pytest.mark.parametrize(
    "entity",
    [
        {"type": "hashtag", "offset": 100, "length": 3},
        {"type": "hashtag", "offset": -1, "length": 3},
        {"type": "hashtag", "offset": 0, "length": 0},
        {"type": "hashtag", "offset": "0", "length": 3},
        {"type": "hashtag", "offset": 1, "length": 2},  # cuts the emoji's surrogate pair
        "not an entity",
    ],
)
def test_entities_out_of_range_or_malformed_are_skipped(entity: Any) -> None:
    assert entity_slices("😀#ab", [entity], "hashtag") == []


def test_long_text_length_counts_code_points_like_athena() -> None:
    shaped = row("message_text_4096")
    assert shaped["text_length"] == 4096
    assert len(shaped["text"].encode("utf-16-le")) // 2 > 4096


def test_caption_is_used_when_there_is_no_text() -> None:
    assert (
        row("message_photo_caption")["text"] == event("message_photo_caption")["message"]["caption"]
    )


def test_channel_post_has_no_user_but_its_sender_chat() -> None:
    shaped = row("channel_post")
    assert shaped["update_type"] == "channel_post"
    assert shaped["user_id"] is None
    assert shaped["user_is_bot"] is None
    assert shaped["chat_id"] == CHANNEL_ID
    assert shaped["sender_chat_id"] == CHANNEL_ID


def test_edit_keeps_message_id_and_sets_edited_at() -> None:
    original, edit = row("message_text"), row("edited_message")
    assert edit["update_type"] == "edited_message"
    assert edit["message_id"] == original["message_id"]
    assert edit["edited_at"] is not None
    assert original["edited_at"] is None
    assert edit["edited_at"] > edit["sent_at"]


def test_forum_topic_message_keeps_its_thread_and_is_not_a_reply() -> None:
    shaped = row("message_forum_topic")
    assert (
        shaped["message_thread_id"] == event("message_forum_topic")["message"]["message_thread_id"]
    )
    assert shaped["reply_to_message_id"] is None


def test_reply_points_at_the_replied_message() -> None:
    assert row("message_reply")["reply_to_message_id"] == row("message_text")["message_id"]


@pytest.mark.parametrize(
    ("name", "origin"),
    [
        ("message_forward_user", "user"),
        ("message_forward_channel", "channel"),
        ("message_forward_hidden_user", "hidden_user"),
        ("message_forward_chat", "chat"),
    ],
)
def test_forward_origin_type(name: str, origin: str) -> None:
    assert row(name)["forward_origin_type"] == origin


def test_joins_and_leaves_carry_member_ids() -> None:
    joined = event("message_new_chat_members")["message"]["new_chat_members"]
    assert row("message_new_chat_members")["new_chat_member_ids"] == [m["id"] for m in joined]
    left = event("message_left_chat_member")["message"]["left_chat_member"]["id"]
    assert row("message_left_chat_member")["left_chat_member_id"] == left
    assert row("message_text")["new_chat_member_ids"] == []


def test_album_items_share_media_group_id() -> None:
    first, second = row("message_photo_album_1"), row("message_photo_album_2")
    assert first["media_group_id"] is not None
    assert first["media_group_id"] == second["media_group_id"]


def test_message_id_zero_is_kept() -> None:
    assert row("message_id_zero")["message_id"] == 0


def test_user_columns_come_from_the_sender() -> None:
    shaped = row("message_text")
    sender = event("message_text")["message"]["from"]
    assert shaped["user_id"] == sender["id"]
    assert shaped["user_is_bot"] is False
    assert shaped["user_first_name"] == sender["first_name"]
    assert shaped["user_username"] == sender["username"]
    assert shaped["user_language_code"] == sender["language_code"]
    assert shaped["chat_id"] == GROUP_ID
    assert shaped["chat_type"] == "supergroup"
    assert row("message_from_bot")["user_is_bot"] is True


def test_timestamps_are_utc_in_the_serde_format() -> None:
    shaped = row("message_text")
    date = event("message_text")["message"]["date"]
    assert shaped["sent_at"] == format_timestamp_ms(date * 1000)
    assert shaped["received_at"] == "2026-01-01 08:03:20.123"
    datetime.strptime(shaped["sent_at"], "%Y-%m-%d %H:%M:%S.%f")


def test_animation_wins_over_its_document() -> None:
    message = event("message_animation")["message"]
    assert "document" in message
    assert message_type(message) == "animation"


def test_unknown_message_is_other() -> None:
    assert message_type({"message_id": 1, "brand_new_thing": {}}) == "other"


def test_wrong_types_in_fields_become_nulls_not_errors() -> None:
    update = {
        "update_id": "12",
        "message": {
            "message_id": "x",
            "chat": "not an object",
            "from": [],
            "date": -5,
            "text": 42,
            "caption": {"a": 1},
            "entities": "none",
            "reply_to_message": 7,
            "new_chat_members": [1, {"id": "x"}, {"id": 5}],
            "left_chat_member": "gone",
        },
    }
    shaped = shape_row(update, RECEIVED_MS)
    assert shaped is not None
    assert shaped["update_id"] is None
    assert shaped["chat_id"] is None
    assert shaped["text"] is None
    assert shaped["sent_at"] is None
    assert shaped["new_chat_member_ids"] == [5]
    assert shaped["reply_to_message_id"] is None


def _conforming_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timestamps parsed the way the SerDe does (java.sql.Timestamp form)."""
    timestamp_columns = [c.name for c in MESSAGES.columns if c.type == "timestamp"]
    converted = []
    for shaped in rows:
        copy = dict(shaped)
        for name in timestamp_columns:
            if copy[name] is not None:
                copy[name] = datetime.strptime(copy[name], "%Y-%m-%d %H:%M:%S.%f")
        converted.append(copy)
    return converted


def test_every_row_fits_the_glue_schema() -> None:
    import pyarrow as pa

    rows = [row(name) for name in sorted(EXPECTED)]
    table = pa.Table.from_pylist(_conforming_values(rows), schema=arrow_schema())
    assert table.num_rows == len(EXPECTED)
    assert set(table.column("message_type").to_pylist()) <= set(MESSAGE_TYPES)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
message_fields = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in (
            "message_id",
            "chat",
            "from",
            "date",
            "edit_date",
            "text",
            "caption",
            "entities",
            "caption_entities",
            "reply_to_message",
            "new_chat_members",
            "left_chat_member",
            "forward_origin",
            "sender_chat",
            "photo",
            "message_thread_id",
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["message", "edited_message", "channel_post", "edited_channel_post"]),
    message=message_fields,
    update_id=json_values,
)
def test_any_message_shape_gives_a_contract_row(
    kind: str, message: dict[str, Any], update_id: Any
) -> None:
    shaped = shape_row({"update_id": update_id, kind: message}, RECEIVED_MS)
    assert shaped is not None
    assert tuple(shaped) == MESSAGES_COLUMN_NAMES
    import pyarrow as pa

    pa.Table.from_pylist(_conforming_values([shaped]), schema=arrow_schema())


@settings(max_examples=200, deadline=None)
@given(update=json_values)
def test_any_json_value_never_raises(update: Any) -> None:
    shaped = shape_row(update, RECEIVED_MS)
    assert shaped is None or tuple(shaped) == MESSAGES_COLUMN_NAMES
