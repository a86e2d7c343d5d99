"""The realistic update generator: deterministic, correctly shaped, in realistic proportions.

Messages here; membership changes and reactions in test_generator_engagement.py.
`count` is every update: the membership and reaction updates among them carry no
message, so the message tests look at `carries_message` updates only.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions import jsoncodec
from functions.rows import TELEGRAM_SERVICE_ID, entity_slices, shape_row
from functions.telegram import chat_id, update_kind
from local.generator import (
    DEFAULT_START_UPDATE_ID,
    LINKED_CHANNEL_ID,
    MESSAGE_TYPE_WEIGHTS,
    SAO_PAULO_UTC_OFFSET_SECONDS,
    GeneratedUpdate,
    compose_text,
    generate_updates,
    iter_updates,
    write_ndjson,
)

GROUP = -1001234567890
FOREIGN = -1009876543210
COUNT = 5000
RECEIVED_AT_MS = 1_767_300_000_000
#: Row columns every generated message must fill (a None here would be a generator bug).
REQUIRED_COLUMNS = (
    "update_id",
    "update_type",
    "message_id",
    "chat_id",
    "chat_type",
    "chat_title",
    "user_id",
    "user_is_bot",
    "user_first_name",
    "sent_at",
    "message_type",
    "received_at",
)


@pytest.fixture(scope="module")
def updates() -> list[GeneratedUpdate]:
    return generate_updates(COUNT, chat_id=GROUP, seed=42)


def originals(updates: list[GeneratedUpdate]) -> list[GeneratedUpdate]:
    return [u for u in updates if not u.is_duplicate]


def with_messages(updates: list[GeneratedUpdate]) -> list[GeneratedUpdate]:
    return [u for u in updates if u.carries_message]


def payload(update: GeneratedUpdate) -> dict[str, Any]:
    decoded: dict[str, Any] = jsoncodec.loads(update.body)
    message: dict[str, Any] = decoded[update.kind]
    return message


def test_same_seed_gives_the_same_bytes() -> None:
    first = [u.body for u in generate_updates(800, chat_id=GROUP, seed=3)]
    again = [u.body for u in generate_updates(800, chat_id=GROUP, seed=3)]
    other = [u.body for u in generate_updates(800, chat_id=GROUP, seed=4)]
    assert first == again
    assert first != other


def test_streaming_variant_yields_what_the_list_holds(updates: list[GeneratedUpdate]) -> None:
    streamed = list(iter_updates(COUNT, chat_id=GROUP, seed=42))
    assert streamed == updates


def test_streaming_variant_is_lazy() -> None:
    # A billion updates could not be built in memory; taking a few must still work.
    first = list(itertools.islice(iter_updates(10**9, chat_id=GROUP), 5))
    assert [u.update_id for u in first] == list(
        range(DEFAULT_START_UPDATE_ID, DEFAULT_START_UPDATE_ID + 5)
    )


def test_bodies_are_compact_utf8_json_whose_update_id_matches(
    updates: list[GeneratedUpdate],
) -> None:
    for update in updates:
        decoded = jsoncodec.loads(update.body)
        assert decoded["update_id"] == update.update_id
        assert update_kind(decoded) == update.kind
        assert jsoncodec.dumps(decoded) == update.body
        assert b"\\u" not in update.body  # emoji are raw UTF-8, as Telegram sends them


def test_new_update_ids_strictly_increase_without_gaps(updates: list[GeneratedUpdate]) -> None:
    ids = [u.update_id for u in originals(updates)]
    assert ids == list(range(DEFAULT_START_UPDATE_ID, DEFAULT_START_UPDATE_ID + len(ids)))


def test_duplicates_are_byte_identical_redeliveries_of_earlier_updates(
    updates: list[GeneratedUpdate],
) -> None:
    seen: dict[int, bytes] = {}
    duplicates = 0
    for update in updates:
        if update.is_duplicate:
            duplicates += 1
            assert seen[update.update_id] == update.body
        else:
            assert update.update_id not in seen
            seen[update.update_id] = update.body
    assert duplicates > 0


def test_shares_are_roughly_as_configured(updates: list[GeneratedUpdate]) -> None:
    new = originals(updates)
    messages = [u for u in new if u.kind == "message"]
    content = [u for u in messages if u.message_type not in {"new_chat_members", "other"}]
    assert 0.02 <= (len(updates) - len(new)) / len(updates) <= 0.04
    assert 0.035 <= sum(u.is_foreign for u in new) / len(new) <= 0.065
    assert 0.035 <= sum(u.is_edit for u in new) / len(new) <= 0.065
    assert 0.15 <= sum(u.is_reply for u in content) / len(content) <= 0.25
    types = Counter(u.message_type for u in messages)
    assert 0.55 <= types["text"] / len(messages) <= 0.65
    assert 0.10 <= types["photo"] / len(messages) <= 0.17  # albums add a few photos
    assert types["text"] > types["photo"] > types["voice"] > types["poll"]


def test_configured_shares_are_followed() -> None:
    updates = generate_updates(
        2000, chat_id=GROUP, seed=1, duplicate_share=0.2, foreign_share=0.0, edit_share=0.0
    )
    assert 0.17 <= sum(u.is_duplicate for u in updates) / len(updates) <= 0.23
    assert not any(u.is_foreign or u.is_edit for u in updates)


@pytest.mark.parametrize(
    "share",
    [
        "duplicate_share",
        "foreign_share",
        "edit_share",
        "reply_share",
        "member_share",
        "reaction_share",
        "channel_share",
    ],
)
def test_a_share_outside_zero_to_one_is_refused(share: str) -> None:
    with pytest.raises(ValueError, match=share):
        iter_updates(1, **{share: 1.5})  # type: ignore[arg-type]


def test_a_negative_count_is_refused_at_the_call() -> None:
    with pytest.raises(ValueError, match="count"):
        iter_updates(-1)


def test_every_message_type_and_feature_occurs(updates: list[GeneratedUpdate]) -> None:
    new = originals(updates)
    # Joins and leaves are membership changes now, with their service messages.
    membership = {"new_chat_members", "left_chat_member"}
    assert {u.message_type for u in with_messages(new)} == set(MESSAGE_TYPE_WEIGHTS) | membership
    albums = Counter(u.media_group_id for u in new if u.media_group_id and not u.is_edit)
    assert any(size >= 2 for size in albums.values())
    assert any(u.message_thread_id for u in new if u.message_type != "other")
    origins = {payload(u).get("forward_origin", {}).get("type") for u in new}
    assert {"user", "hidden_user", "channel", "chat"} <= origins


def test_entity_slices_decode_through_utf16_to_the_intended_text(
    updates: list[GeneratedUpdate],
) -> None:
    prefixes = {"hashtag": "#", "mention": "@", "url": "http"}
    astral_before_entity = 0
    for update in originals(updates):
        message = payload(update)
        text: str = message.get("text", message.get("caption", ""))
        entities = message.get("entities", message.get("caption_entities", []))
        intended = {"hashtag": update.hashtags, "mention": update.mentions, "url": update.urls}
        assert len(entities) == sum(map(len, intended.values()))  # none skipped as invalid
        for entity_type, prefix in prefixes.items():
            slices = entity_slices(text, entities, entity_type)
            assert tuple(slices) == intended[entity_type]
            assert all(s.startswith(prefix) for s in slices)
        for entity in entities:
            before = _utf16_prefix(text, entity["offset"])
            astral_before_entity += any(ord(c) > 0xFFFF for c in before)
    # Offsets only differ from code point offsets after an emoji of 2 UTF-16 units:
    # the test must have met such entities to prove anything.
    assert astral_before_entity > 0


def _utf16_prefix(text: str, units: int) -> str:
    return text.encode("utf-16-le")[: 2 * units].decode("utf-16-le")


def test_edits_change_earlier_messages_of_the_same_chat_later(
    updates: list[GeneratedUpdate],
) -> None:
    posted: dict[tuple[int, int], dict[str, Any]] = {}
    edits = 0
    for update in with_messages(originals(updates)):
        message = payload(update)
        key = (update.chat_id, update.message_id)
        if update.kind == "message":
            assert key not in posted  # message ids are never reused within a chat
            posted[key] = message
            continue
        edits += 1
        original = posted[key]
        assert message["date"] == original["date"]
        assert message["from"]["id"] == original["from"]["id"]
        assert message["edit_date"] > message["date"]
        assert update.edit_date == message["edit_date"]
        assert message.get("text", message.get("caption")) != original.get(
            "text", original.get("caption")
        )
    assert edits > 0


def test_replies_point_to_earlier_messages_of_the_same_chat(
    updates: list[GeneratedUpdate],
) -> None:
    posted: set[tuple[int, int]] = set()
    replies = 0
    for update in originals(updates):
        if update.kind == "message":
            if update.reply_to_message_id is not None:
                replies += 1
                target = payload(update)["reply_to_message"]
                assert (update.chat_id, target["message_id"]) in posted
                assert target["chat"]["id"] == update.chat_id
                assert "reply_to_message" not in target  # Telegram never nests replies
            posted.add((update.chat_id, update.message_id))
    assert replies > 0


def test_every_update_with_a_message_shapes_into_a_complete_row(
    updates: list[GeneratedUpdate],
) -> None:
    for update in with_messages(updates):
        row = shape_row(jsoncodec.loads(update.body), RECEIVED_AT_MS)
        assert row is not None
        required = REQUIRED_COLUMNS
        if update.user_id == TELEGRAM_SERVICE_ID:  # the linked channel's automatic forward
            assert (row["sender_kind"], row["user_id"]) == ("channel", None)
            required = tuple(c for c in required if not c.startswith("user_"))
        missing = [column for column in required if row[column] is None]
        assert not missing, (update.update_id, missing)
        assert row["update_type"] == update.kind
        assert row["message_type"] == update.message_type
        assert row["chat_id"] == update.chat_id
        assert row["hashtags"] == list(update.hashtags)
        assert row["mentions"] == list(update.mentions)
        assert row["urls"] == list(update.urls)
        assert row["reply_to_message_id"] == update.reply_to_message_id
        assert row["message_thread_id"] == update.message_thread_id
        assert row["media_group_id"] == update.media_group_id
        assert row["edited_at"] is None or update.is_edit


def test_updates_without_a_message_give_no_messages_row(updates: list[GeneratedUpdate]) -> None:
    others = [u for u in updates if not u.carries_message]
    assert {u.kind for u in others} == {
        "chat_member",
        "my_chat_member",
        "message_reaction",
        "message_reaction_count",
    }
    for update in others:
        assert shape_row(jsoncodec.loads(update.body), RECEIVED_AT_MS) is None
        assert update.message_type == update.kind


def test_foreign_updates_come_from_the_foreign_chat(updates: list[GeneratedUpdate]) -> None:
    for update in updates:
        expected = FOREIGN if update.is_foreign else GROUP
        assert chat_id(jsoncodec.loads(update.body)) == expected == update.chat_id


def test_messages_are_sent_over_days_mostly_in_sao_paulo_daytime(
    updates: list[GeneratedUpdate],
) -> None:
    new_messages = [u for u in originals(updates) if u.kind == "message"]
    dates = [u.date for u in new_messages]
    assert dates == sorted(dates)
    every_date = [u.date for u in originals(updates) if not u.is_edit]
    assert every_date == sorted(every_date)  # membership and reactions share the clock
    assert dates[-1] - dates[0] > 3 * 86400
    local_hours = [(d + SAO_PAULO_UTC_OFFSET_SECONDS) // 3600 % 24 for d in dates]
    assert sum(7 <= hour <= 23 for hour in local_hours) / len(local_hours) > 0.93
    assert len(set(local_hours)) > 15


def test_senders_come_from_a_pool_of_brazilian_users(updates: list[GeneratedUpdate]) -> None:
    posts = [
        u
        for u in with_messages(originals(updates))
        if u.user_id != TELEGRAM_SERVICE_ID and not u.member_changes
    ]
    senders = {u.user_id: payload(u)["from"] for u in posts}
    assert 30 <= len(senders) <= 50  # the posters; lurkers only join, leave and react
    languages = Counter(user.get("language_code") for user in senders.values())
    assert set(languages) <= {"pt-br", "en", "es", None}
    assert languages["pt-br"] > len(senders) / 2
    assert any("username" in user for user in senders.values())
    assert any("username" not in user for user in senders.values())
    assert any(user.get("is_premium") is True for user in senders.values())
    assert all(user.get("is_premium", True) is True for user in senders.values())


def test_the_linked_channels_posts_arrive_as_automatic_forwards(
    updates: list[GeneratedUpdate],
) -> None:
    forwards = [u for u in originals(updates) if u.user_id == TELEGRAM_SERVICE_ID]
    assert forwards
    for update in forwards:
        message = payload(update)
        assert update.chat_id == GROUP
        assert message["is_automatic_forward"] is True
        assert message["sender_chat"] == message["forward_from_chat"]
        assert message["sender_chat"]["id"] == LINKED_CHANNEL_ID
        assert message["forward_origin"]["message_id"] == message["forward_from_message_id"]
        # Telegram's order: sender_chat before chat, forward_origin before the flag.
        keys = list(message)
        assert keys.index("sender_chat") < keys.index("chat") < keys.index("forward_origin")
        assert keys.index("forward_origin") < keys.index("is_automatic_forward")


def test_write_ndjson_writes_one_body_per_line(tmp_path: Path) -> None:
    updates = generate_updates(50, chat_id=GROUP, seed=9)
    path = tmp_path / "updates.ndjson"
    assert write_ndjson(path, iter(updates)) == 50
    assert path.read_bytes().splitlines() == [u.body for u in updates]


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1),
            st.sampled_from([None, "hashtag", "mention", "url"]),
        ),
        max_size=8,
    )
)
def test_composed_entities_slice_back_to_their_fragments(
    pieces: list[tuple[str, str | None]],
) -> None:
    composed = compose_text(pieces)
    for entity_type, found in (
        ("hashtag", composed.hashtags),
        ("mention", composed.mentions),
        ("url", composed.urls),
    ):
        expected = tuple(fragment for fragment, kind in pieces if kind == entity_type)
        assert found == expected
        assert tuple(entity_slices(composed.text, composed.entities, entity_type)) == expected
