"""member_events and reactions rows from real updates (tests/events/real/INDEX.md names
their sources) and from the Bot API reference's shapes, plus totality on any JSON."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.archiver.logic import IncomingRecord, archived_here, decode, transform
from functions.members import EVENTS, JOIN_SOURCES, event_name, member_rows
from functions.privacy import pseudonym
from functions.reactions import reaction_rows
from functions.routing import tables_for
from glue_schema import MEMBER_EVENTS, REACTIONS
from tests.helpers import event, real_event

RECEIVED_MS = 1_767_260_000_123
RECEIVED = "2026-01-01 09:33:20.123"


def only(rows: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(rows) == 1, rows
    return rows[0]


# -- member_events -------------------------------------------------------------------


def test_a_member_added_by_another_is_a_join_added_by_them() -> None:
    row = only(
        member_rows(real_event("chat_member_left_to_member__telegram-bot-ruby-issue"), RECEIVED_MS)
    )
    assert row["update_type"] == "chat_member"
    assert (row["chat_id"], row["chat_type"]) == (-1001944500528, "supergroup")
    assert row["user_id"] == 7000261327
    assert row["actor_user_id"] == row["added_by_user_id"] == 7000253408
    assert (row["old_status"], row["new_status"]) == ("left", "member")
    assert (row["was_member"], row["is_member"]) == (False, True)
    assert (row["event"], row["join_source"]) == ("joined", "added")
    assert row["changed_at"] == "2023-07-09 08:59:24.000"
    assert row["received_at"] == RECEIVED


def test_a_self_join_without_a_link_is_direct() -> None:
    row = only(member_rows(event("chat_member"), RECEIVED_MS))
    assert (row["event"], row["join_source"], row["added_by_user_id"]) == ("joined", "direct", None)
    assert row["user_language_code"] == "pt-br"


def test_the_bot_promoted_is_a_my_chat_member_promotion() -> None:
    row = only(member_rows(event("my_chat_member"), RECEIVED_MS))
    assert row["update_type"] == "my_chat_member"
    assert row["user_is_bot"] is True
    assert (row["event"], row["join_source"]) == ("promoted", None)


def test_new_chat_members_give_one_row_per_member() -> None:
    update = real_event("new_chat_members_group__telegrambots")
    (row,) = member_rows(update, RECEIVED_MS)
    assert row["update_type"] == "message"
    assert row["user_id"] == 7000126704
    assert row["user_is_bot"] is True
    assert (row["event"], row["join_source"], row["added_by_user_id"]) == (
        "joined",
        "added",
        7000118785,
    )
    update["message"]["new_chat_members"].append(
        {"id": 7000000001, "is_bot": False, "first_name": "B"}
    )
    assert [r["user_id"] for r in member_rows(update, RECEIVED_MS)] == [7000126704, 7000000001]


def test_a_member_leaving_and_a_member_removed() -> None:
    update = real_event("left_chat_member_group__telegrambots")
    row = only(member_rows(update, RECEIVED_MS))
    by_self = update["message"]["from"]["id"] == update["message"]["left_chat_member"]["id"]
    assert row["event"] == ("left" if by_self else "removed")
    assert (row["new_status"], row["was_member"], row["is_member"]) == ("left", True, False)
    legacy = only(
        member_rows(real_event("left_chat_participant_legacy_supergroup__cjbot-issue"), RECEIVED_MS)
    )
    assert legacy["new_status"] == "left"


def test_join_sources_follow_the_chat_member_update() -> None:
    update = event("chat_member")
    body = update["chat_member"]
    body["invite_link"] = {
        "invite_link": "https://t.me/+AbCd...",
        "name": "Instagram",
        "creator": {"id": 5},
    }
    row = only(member_rows(update, RECEIVED_MS))
    assert (row["join_source"], row["invite_link_name"], row["invite_link_creator_id"]) == (
        "invite_link",
        "Instagram",
        5,
    )
    body["via_join_request"] = True
    assert only(member_rows(update, RECEIVED_MS))["join_source"] == "join_request"
    del body["via_join_request"], body["invite_link"]
    body["via_chat_folder_invite_link"] = True
    assert only(member_rows(update, RECEIVED_MS))["join_source"] == "chat_folder"


@pytest.mark.parametrize(
    ("old", "new", "by_self", "expected"),
    [
        ("left", "member", True, "joined"),
        ("member", "left", True, "left"),
        ("member", "left", False, "removed"),
        ("member", "kicked", False, "banned"),
        ("kicked", "left", False, "unbanned"),
        ("member", "administrator", False, "promoted"),
        ("administrator", "member", False, "demoted"),
        ("member", "restricted", False, "restricted"),
        ("restricted", "member", False, "unrestricted"),
        ("administrator", "administrator", False, "changed"),
    ],
)
def test_event_names(old: str, new: str, by_self: bool, expected: str) -> None:
    was = old in ("member", "administrator", "creator", "restricted")
    now = new in ("member", "administrator", "creator", "restricted")
    assert event_name(old, new, was, now, by_self) == expected
    assert expected in EVENTS


def test_a_restricted_member_counts_only_with_is_member() -> None:
    update = event("chat_member")
    update["chat_member"]["new_chat_member"].update(status="restricted", is_member=False)
    row = only(member_rows(update, RECEIVED_MS))
    assert (row["is_member"], row["event"]) == (False, "changed")


def test_ordinary_messages_and_edits_change_no_membership() -> None:
    assert member_rows(event("message_text"), RECEIVED_MS) == []
    edited = {
        "update_id": 1,
        "edited_message": real_event("new_chat_members_group__telegrambots")["message"],
    }
    assert member_rows(edited, RECEIVED_MS) == []


# -- reactions -----------------------------------------------------------------------


def test_a_reaction_added_by_a_user() -> None:
    row = only(reaction_rows(real_event("message_reaction_user__teloxide"), RECEIVED_MS))
    assert (row["update_type"], row["change"], row["reaction_type"], row["emoji"]) == (
        "message_reaction",
        "added",
        "emoji",
        "🌭",
    )
    assert (row["chat_id"], row["message_id"], row["user_id"]) == (-1002184233434, 35, 7000047514)
    assert row["reacted_at"] == "2024-07-18 12:34:42.000"


def test_a_reaction_removed_anonymously_by_the_chat() -> None:
    row = only(reaction_rows(real_event("message_reaction_actor_chat__teloxide"), RECEIVED_MS))
    assert (row["change"], row["emoji"], row["user_id"]) == ("removed", "❤", None)
    assert row["actor_chat_id"] == -1002199793788


def test_a_changed_reaction_is_one_removal_and_one_addition() -> None:
    update = real_event("message_reaction_user__teloxide")
    body = update["message_reaction"]
    body["old_reaction"] = [{"type": "emoji", "emoji": "👍"}, {"type": "paid"}]
    body["new_reaction"] = [
        {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"},
        {"type": "paid"},
    ]
    rows = reaction_rows(update, RECEIVED_MS)
    assert [(r["change"], r["reaction_type"], r.get("emoji")) for r in rows] == [
        ("added", "custom_emoji", "5368324170671202286"),
        ("removed", "emoji", "👍"),
    ]


def test_a_count_snapshot_is_one_row_per_reaction_and_an_empty_one_is_zero() -> None:
    update = real_event("message_reaction_count_channel__teloxide")
    rows = reaction_rows(update, RECEIVED_MS)
    assert [(r["change"], r["emoji"], r["reaction_count"]) for r in rows] == [
        ("count", "🗿", 2),
        ("count", "🌭", 1),
    ]
    update["message_reaction_count"]["reactions"] = []
    assert [(r["change"], r["reaction_count"]) for r in reaction_rows(update, RECEIVED_MS)] == [
        ("count", 0)
    ]


# -- routing and the archiver's records ---------------------------------------------


def test_each_update_feeds_its_tables() -> None:
    assert tables_for(event("message_text")) == ("messages",)
    assert tables_for(real_event("new_chat_members_group__telegrambots")) == (
        "messages",
        "member_events",
    )
    assert tables_for(event("chat_member")) == ("member_events",)
    assert tables_for(event("my_chat_member")) == ("member_events",)
    assert tables_for(real_event("message_reaction_user__teloxide")) == ("reactions",)
    assert tables_for(real_event("message_reaction_count_channel__teloxide")) == ("reactions",)


def test_several_rows_ride_in_one_record_and_are_pseudonymised() -> None:
    import json

    update = real_event("new_chat_members_group__telegrambots")
    update["message"]["new_chat_members"].append(
        {"id": 7000000001, "is_bot": False, "first_name": "B"}
    )
    record = IncomingRecord("r1", RECEIVED_MS, json.dumps(update).encode())
    key = b"k" * 32
    result = transform(record, key, MEMBER_EVENTS.name)
    lines = [json.loads(line) for line in result.data.splitlines()]
    assert result.result == "Ok"
    assert [r["user_id"] for r in lines] == [pseudonym(7000126704, key), pseudonym(7000000001, key)]
    assert {r["added_by_user_id"] for r in lines} == {pseudonym(7000118785, key)}
    assert all("user_first_name" not in r and "user_username" not in r for r in lines)
    assert all(set(r) <= set(MEMBER_EVENTS.column_names) for r in lines)
    assert transform(record, None, REACTIONS.name).result == "Dropped"


def test_rows_use_only_their_tables_columns() -> None:
    for name in ("chat_member", "my_chat_member"):
        assert set(only(member_rows(event(name), RECEIVED_MS))) <= set(MEMBER_EVENTS.column_names)
    for name in ("message_reaction_user__teloxide", "message_reaction_count_channel__teloxide"):
        for row in reaction_rows(real_event(name), RECEIVED_MS):
            assert set(row) <= set(REACTIONS.column_names)
    assert set(EVENTS) >= {"joined", "left"}
    assert "added" in JOIN_SOURCES


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=25,
)


@given(
    st.sampled_from(
        ["chat_member", "my_chat_member", "message_reaction", "message_reaction_count", "message"]
    ),
    json_values,
)
def test_the_shapers_are_total(kind: str, body: Any) -> None:
    update = {"update_id": 1, kind: body}
    for shaper in (member_rows, reaction_rows):
        rows = shaper(copy.deepcopy(update), RECEIVED_MS)
        assert isinstance(rows, list)


def test_each_update_is_archived_by_the_stream_of_its_first_table() -> None:
    import json

    def record(update: dict[str, Any] | None) -> dict[str, Any] | None:
        raw = IncomingRecord(
            "r", RECEIVED_MS, None if update is None else json.dumps(update).encode()
        )
        return decode(raw)

    join = record(real_event("new_chat_members_group__telegrambots"))
    reaction = record(real_event("message_reaction_user__teloxide"))
    assert archived_here(join, "messages")
    assert not archived_here(join, "member_events")  # the messages stream archives it
    assert archived_here(record(event("chat_member")), "member_events")
    assert archived_here(reaction, "reactions")
    assert archived_here(record(None), "reactions")  # undecodable: kept as evidence
