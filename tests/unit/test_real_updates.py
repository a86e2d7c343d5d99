"""Captured Telegram updates (tests/events/real, sources in its INDEX.md) shape as Telegram means them.

Each expectation below was read off the payload by hand: who sent it, what kind of
message it is, whether it is a service event, which chats a migration links.
"""

from __future__ import annotations

from typing import Any

import pytest

from functions.rows import (
    CHANNEL_BOT_ID,
    GROUP_ANONYMOUS_BOT_ID,
    MESSAGE_TYPES,
    SENDER_KINDS,
    SERVICE_MESSAGE_TYPES,
    TELEGRAM_SERVICE_ID,
    shape_row,
)
from functions.telegram import migration_link
from tests.helpers import event, real_event, real_event_names

RECEIVED_MS = 1767254600123
PLACEHOLDERS = {GROUP_ANONYMOUS_BOT_ID, CHANNEL_BOT_ID, TELEGRAM_SERVICE_ID}

# file -> the columns that matter for it (every other column is checked by invariants).
EXPECTED: dict[str, dict[str, Any]] = {
    "migrate_to_chat_id__teloxide": {
        "message_type": "migrate_to_chat_id",
        "is_service": True,
        "chat_id": -599075523,
        "migrate_to_chat_id": -1001555296434,
        "sender_kind": "user",
    },
    "migrate_from_chat_id__teloxide": {
        "message_type": "migrate_from_chat_id",
        "is_service": True,
        "chat_id": -1001555296434,
        "migrate_from_chat_id": -599075523,
        # Sent "as the group" by GroupAnonymousBot: no person.
        "sender_kind": "anonymous_admin",
        "user_id": None,
        "sender_chat_id": -1001555296434,
    },
    "migrate_to_chat_id__telegram-rs": {
        "chat_id": -216055857,
        "chat_type": "group",
        "migrate_to_chat_id": -1001113717682,
    },
    "migrate_from_chat_id__telegram-rs": {
        "chat_id": -1001113717682,
        "migrate_from_chat_id": -216055857,
        "sender_kind": "user",
    },
    "migrate_to_chat_id__telegrambots": {
        "chat_id": -552721116,
        "migrate_to_chat_id": -1001308316775,
    },
    "anonymous_admin_forward_legacy__teloxide": {
        "sender_kind": "anonymous_admin",
        "user_id": None,
        "user_first_name": None,
        "author_signature": "TITLE2",
        # Legacy forward_from_chat of a supergroup.
        "forward_origin_type": "chat",
    },
    "anonymous_admin_forward_origin_chat__teloxide": {
        "sender_kind": "anonymous_admin",
        "forward_origin_type": "chat",
    },
    "video_chat_started_anonymous_admin__teloxide": {
        "message_type": "video_chat_started",
        "is_service": True,
        "sender_kind": "anonymous_admin",
    },
    "voice_chat_started__telegrambots": {"message_type": "video_chat_started", "is_service": True},
    "voice_chat_ended__telegrambots": {"message_type": "video_chat_ended", "is_service": True},
    "voice_chat_participants_invited__telegrambots": {
        "message_type": "video_chat_participants_invited"
    },
    "group_chat_created__telegrambots": {"message_type": "group_chat_created", "is_service": True},
    "forum_topic_created__teloxide": {
        "message_type": "forum_topic_created",
        "is_topic_message": True,
        "message_thread_id": 4,
    },
    "forum_topic_closed__teloxide": {"message_type": "forum_topic_closed", "is_service": True},
    "forum_topic_message__teloxide": {
        "message_type": "text",
        "is_service": False,
        "is_topic_message": True,
        "message_thread_id": 4,
        # The topic's creation message rides along as reply_to_message: not a reply.
        "reply_to_message_id": None,
    },
    "reply_thread_no_topic__teloxide": {
        # A reply thread in an ordinary supergroup: its message_thread_id is no topic.
        "is_topic_message": False,
        "message_thread_id": None,
    },
    "forum_general_topic_reply_thread_id_no_topic__nutgram": {
        "is_topic_message": False,
        "message_thread_id": None,
    },
    "left_chat_participant_legacy_supergroup__cjbot-issue": {
        "message_type": "left_chat_member",
        "is_service": True,
    },
    "new_chat_members_group__telegrambots": {
        "message_type": "new_chat_members",
        "new_chat_member_ids": [7000126704],
    },
    "forward_from_user_legacy_emoji__pytelegrambotapi": {"forward_origin_type": "user"},
    "forward_from_user_legacy_2016__telepot-issue": {"forward_origin_type": "user"},
    "photo_caption_entities_url__teloxide": {
        "message_type": "photo",
        "urls": ["www.example.com"],
    },
    "giveaway_created__teloxide": {"message_type": "giveaway_created", "is_service": True},
    "giveaway_completed__teloxide": {"message_type": "giveaway_completed", "is_service": True},
    "giveaway__teloxide": {"message_type": "giveaway", "is_service": False},
    "boost_added__teloxide": {"message_type": "boost_added", "is_service": True},
    "pinned_message__teloxide": {"message_type": "pinned_message", "is_service": True},
    "users_shared_and_legacy_user_shared__nutgram": {"message_type": "users_shared"},
    "write_access_allowed_webapp__telegrambots": {"message_type": "write_access_allowed"},
    "message_auto_delete_timer_changed_private__telegrambots": {
        "message_type": "message_auto_delete_timer_changed"
    },
    "proximity_alert_triggered__telegrambots": {"message_type": "proximity_alert_triggered"},
    "story_in_supergroup__teloxide": {"message_type": "story", "is_service": False},
}


def shaped(name: str) -> dict[str, Any]:
    row = shape_row(real_event(name), RECEIVED_MS)
    assert row is not None, name
    return row


def test_there_are_captured_payloads_to_test() -> None:
    assert len(real_event_names()) >= 50
    assert set(EXPECTED) <= set(real_event_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_captured_update_shapes_as_telegram_means_it(name: str) -> None:
    row = shaped(name)
    assert {column: row[column] for column in EXPECTED[name]} == EXPECTED[name]


@pytest.mark.parametrize("name", real_event_names())
def test_no_captured_update_attributes_a_message_to_a_placeholder_account(name: str) -> None:
    row = shape_row(real_event(name), RECEIVED_MS)
    if row is None:
        return
    assert row["user_id"] not in PLACEHOLDERS
    assert row["message_type"] in MESSAGE_TYPES
    assert row["sender_kind"] in (*SENDER_KINDS, None)
    assert row["is_service"] == (row["message_type"] in SERVICE_MESSAGE_TYPES)
    if not row["is_topic_message"]:
        assert row["message_thread_id"] is None


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("migrate_to_chat_id__teloxide", (-599075523, -1001555296434)),
        ("migrate_from_chat_id__teloxide", (-599075523, -1001555296434)),
        ("migrate_to_chat_id__telegram-rs", (-216055857, -1001113717682)),
        ("migrate_from_chat_id__telegram-rs", (-216055857, -1001113717682)),
        ("forum_topic_message__teloxide", None),
    ],
)
def test_either_migration_message_names_both_chats(name: str, link: tuple[int, int] | None) -> None:
    assert migration_link(real_event(name)) == link


# -- shapes no captured payload carried (constructed from the Bot API reference) --------


def test_a_post_on_behalf_of_a_channel_names_the_channel_not_channel_bot() -> None:
    row = shape_row(event("message_on_behalf_of_channel"), RECEIVED_MS)
    assert row is not None
    assert (row["sender_kind"], row["user_id"], row["user_first_name"]) == ("channel", None, None)
    assert (row["sender_chat_id"], row["sender_chat_type"]) == (-1001111111111, "channel")
    assert row["sender_chat_title"] == "Canal de Ofertas"


def test_an_automatic_forward_from_the_linked_channel_is_no_person() -> None:
    row = shape_row(event("message_automatic_forward"), RECEIVED_MS)
    assert row is not None
    assert (row["sender_kind"], row["user_id"], row["is_automatic_forward"]) == (
        "channel",
        None,
        True,
    )
    assert row["forward_origin_type"] == "channel"


def test_text_links_are_urls_and_text_mentions_are_user_ids() -> None:
    row = shape_row(event("message_text_link_and_text_mention"), RECEIVED_MS)
    assert row is not None
    assert row["urls"] == ["https://loja.example.com.br/catalogo"]
    assert row["mentioned_user_ids"] == [333333333]


def test_via_bot_and_author_signature_are_kept() -> None:
    via = shape_row(event("message_via_bot"), RECEIVED_MS)
    post = shape_row(event("channel_post_author_signature"), RECEIVED_MS)
    assert via is not None
    assert post is not None
    assert via["via_bot_id"] == 140267078
    assert (post["author_signature"], post["sender_kind"]) == ("Equipe de Vendas", "channel")


@pytest.mark.parametrize(
    ("name", "origin"),
    [
        ("message_forward_legacy_channel", "channel"),
        ("message_forward_legacy_hidden_user", "hidden_user"),
    ],
)
def test_pre_7_forward_fields_give_the_origin_type(name: str, origin: str) -> None:
    row = shape_row(event(name), RECEIVED_MS)
    assert row is not None
    assert row["forward_origin_type"] == origin


def test_legacy_new_chat_participant_fills_the_member_ids() -> None:
    row = shape_row(event("message_new_chat_participant_legacy"), RECEIVED_MS)
    assert row is not None
    assert (row["message_type"], row["new_chat_member_ids"]) == ("new_chat_members", [444444444])


def test_empty_service_fields_of_a_reserialised_payload_mean_nothing() -> None:
    row = shape_row(event("message_reserialised_empty_fields"), RECEIVED_MS)
    assert row is not None
    assert (row["message_type"], row["is_service"]) == ("text", False)
    assert (row["migrate_to_chat_id"], row["new_chat_member_ids"]) == (None, [])
