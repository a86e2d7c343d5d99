"""The member_events and reactions views on a lake of real Parquet: copies removed, one
source per chat, the bot's own rows, canonical chat ids, the reactions standing.

The rows are shaped from the payloads under tests/events/ by the real shapers and
written as the delivery stream writes them (tests/lake_files.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from functions.members import member_rows
from functions.reactions import reaction_rows
from functions.rows import shape_row
from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS
from local.query import LocalQueryEngine
from tests.helpers import CHANNEL_ID, GROUP_ID, event, real_event
from tests.lake_files import write_rows

BOT_ID = 999999999  # my_chat_member.json's bot
JOAO = 222222222  # chat_member.json's member
BASIC_GROUP = -552721116  # migrate_to_chat_id__telegrambots.json: became the supergroup below
SUPERGROUP_AFTER = -1001308316775
RECEIVED_MS = 1_767_261_000_000  # 2026-01-01 09:50 UTC
DAY_MS = 86_400_000


def service_join(update_id: int, chat: dict[str, Any], date: int, *members: dict[str, Any]) -> Any:
    """A new_chat_members service message: `members` joined, the first one by themselves."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 10_000,
            "from": members[0],
            "chat": chat,
            "date": date,
            "new_chat_members": list(members),
        },
    }


def person(user_id: int, name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name}


def member_updates() -> list[Any]:
    """The supergroup sends both sources; the basic group only service messages."""
    promoted = event("my_chat_member")  # the bot becomes an admin of the supergroup at 09:39
    joined = event("chat_member")  # João joins the supergroup at 09:42
    supergroup = joined["chat_member"]["chat"]
    joao = joined["chat_member"]["new_chat_member"]["user"]
    bot = promoted["my_chat_member"]["new_chat_member"]["user"]
    admin = promoted["my_chat_member"]["from"]
    group = real_event("migrate_to_chat_id__telegrambots")["message"]["chat"]
    bot_added = copy.deepcopy(promoted)
    bot_added["update_id"] = 700000100
    bot_added["my_chat_member"].update(chat=group, date=1767250000)
    bot_added["my_chat_member"]["old_chat_member"]["status"] = "left"
    bot_added["my_chat_member"]["new_chat_member"] = {"user": bot, "status": "member"}
    added_with_bot = service_join(700000101, group, 1767250000, admin, bot)
    added_with_bot["message"]["new_chat_members"] = [person(444, "Bia"), bot]
    return [
        # Before the supergroup's first chat_member row: the service message is the source.
        service_join(700000010, supergroup, 1767250000, person(333, "Caio")),
        promoted,
        joined,
        # The same join as a service message: a copy of the chat_member row.
        service_join(700000036, supergroup, joined["chat_member"]["date"], joao),
        bot_added,
        added_with_bot,
    ]


def reaction_updates() -> list[Any]:
    """João reacts 👍 then changes to ❤; Ana adds 🔥 and takes it back; two channel snapshots."""
    thumbs = event("message_reaction")  # João, 👍 on message 1001, at 09:48
    changed = copy.deepcopy(thumbs)
    changed["update_id"] += 10
    changed["message_reaction"]["date"] += 60
    changed["message_reaction"]["old_reaction"] = [{"type": "emoji", "emoji": "👍"}]
    changed["message_reaction"]["new_reaction"] = [{"type": "emoji", "emoji": "❤"}]
    fire = copy.deepcopy(thumbs)
    fire["update_id"] += 20
    fire["message_reaction"]["user"] = person(111111111, "Ana")
    fire["message_reaction"]["new_reaction"] = [{"type": "emoji", "emoji": "🔥"}]
    fire_back = copy.deepcopy(fire)
    fire_back["update_id"] += 1
    fire_back["message_reaction"]["date"] += 30
    fire_back["message_reaction"]["old_reaction"] = fire["message_reaction"]["new_reaction"]
    fire_back["message_reaction"]["new_reaction"] = []
    first = event("message_reaction_count")  # channel message 2001: 🔥 17, ❤ 9, 👍 4
    latest = copy.deepcopy(first)
    latest["update_id"] += 10
    latest["message_reaction_count"]["date"] += 120
    latest["message_reaction_count"]["reactions"] = [
        {"type": {"type": "emoji", "emoji": "🔥"}, "total_count": 18},
        {"type": {"type": "emoji", "emoji": "❤"}, "total_count": 9},
    ]
    gone = copy.deepcopy(latest)
    gone["update_id"] += 10
    gone["message_reaction_count"]["message_id"] = 2002
    gone["message_reaction_count"]["reactions"] = []
    return [thumbs, changed, fire, fire_back, first, latest, gone]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalQueryEngine]:
    lake = tmp_path_factory.mktemp("engagement-views")
    members, reactions = member_updates(), reaction_updates()
    member_day = [r for u in members for r in member_rows(u, RECEIVED_MS)]
    reaction_day = [r for u in reactions for r in reaction_rows(u, RECEIVED_MS)]
    write_rows(lake, MEMBER_EVENTS, "2026-01-01", "a.parquet", member_day)
    write_rows(lake, REACTIONS, "2026-01-01", "a.parquet", reaction_day)
    # A day later Telegram redelivers the join and the first reaction (at least once).
    redelivered = RECEIVED_MS + DAY_MS
    write_rows(lake, MEMBER_EVENTS, "2026-01-02", "b.parquet", member_rows(members[2], redelivered))
    write_rows(lake, REACTIONS, "2026-01-02", "b.parquet", reaction_rows(reactions[0], redelivered))
    migration = shape_row(real_event("migrate_to_chat_id__telegrambots"), RECEIVED_MS)
    assert migration is not None
    write_rows(lake, MESSAGES, "2026-01-01", "a.parquet", [migration])
    with LocalQueryEngine(lake) as query_engine:
        yield query_engine


def rows(engine: LocalQueryEngine, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in engine.query(sql)[1]]


def test_member_events_unique_keeps_one_copy_of_each_change(engine: LocalQueryEngine) -> None:
    assert rows(engine, "SELECT count(*) FROM member_events") == [(8,)]
    kept = rows(
        engine,
        "SELECT update_id, user_id, dt FROM member_events_unique WHERE update_type = 'chat_member'",
    )
    assert kept == [(700000035, JOAO, "2026-01-01")]
    # One service message that adds two members is two changes, not two copies.
    both = rows(engine, "SELECT user_id FROM member_events_unique WHERE update_id = 700000101")
    assert sorted(both) == [(444,), (BOT_ID,)]


def test_member_changes_takes_one_source_per_chat(engine: LocalQueryEngine) -> None:
    changes = rows(
        engine,
        "SELECT chat_id, update_type, user_id, event FROM member_changes"
        " ORDER BY changed_at, update_id, user_id",
    )
    assert changes == [
        # The supergroup's service join from before its first chat_member row stays.
        (GROUP_ID, "message", 333, "joined"),
        # The basic group: the bot's own join once (my_chat_member), Bia's as a service row.
        (BASIC_GROUP, "my_chat_member", BOT_ID, "joined"),
        (BASIC_GROUP, "message", 444, "joined"),
        (GROUP_ID, "my_chat_member", BOT_ID, "promoted"),
        # João's join once: the chat_member row, not its service-message copy.
        (GROUP_ID, "chat_member", JOAO, "joined"),
    ]


def test_member_views_carry_the_chats_id_after_its_migration(engine: LocalQueryEngine) -> None:
    canonical = rows(
        engine,
        "SELECT DISTINCT chat_id, canonical_chat_id FROM member_changes ORDER BY chat_id",
    )
    assert canonical == [(GROUP_ID, GROUP_ID), (BASIC_GROUP, SUPERGROUP_AFTER)]
    assert rows(engine, "SELECT * FROM chat_migrations") == [(BASIC_GROUP, SUPERGROUP_AFTER)]


def test_reactions_unique_keeps_one_copy_of_each_reaction_change(engine: LocalQueryEngine) -> None:
    assert rows(engine, "SELECT count(*) FROM reactions") == [(12,)]
    assert rows(engine, "SELECT count(*) FROM reactions_unique") == [(11,)]
    assert rows(engine, "SELECT dt FROM reactions_unique WHERE update_id = 700000037") == [
        ("2026-01-01",)
    ]


def test_reactions_current_holds_the_reactions_standing(engine: LocalQueryEngine) -> None:
    standing = rows(
        engine,
        "SELECT chat_id, message_id, user_id, emoji, coalesce(reaction_count, 1)"
        " FROM reactions_current ORDER BY chat_id, message_id, emoji",
    )
    assert standing == [
        # João's 👍 became ❤; Ana's 🔥 was taken back.
        (GROUP_ID, 1001, JOAO, "❤", 1),
        # The channel message's latest snapshot only; message 2002 has none left.
        (CHANNEL_ID, 2001, None, "❤", 9),
        (CHANNEL_ID, 2001, None, "🔥", 18),
    ]
