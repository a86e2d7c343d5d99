"""The generator's membership and reaction traffic: shaped like Telegram's, routed to
their tables, giving the rows the oracle names, in a believable order.

Messages are tested in test_generator.py. Real payloads for the shapes:
tests/events/real/INDEX.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from functions import jsoncodec
from functions.members import member_rows
from functions.reactions import reaction_rows
from functions.routing import SHAPERS, tables_for
from functions.rows import TELEGRAM_SERVICE_ID
from local.generator import BOT_ID, GeneratedUpdate, generate_updates
from local.generator_walk import UpdateWalk, WalkSettings
from local.generator_words import CUSTOM_EMOJI_IDS, INVITE_LINK_NAMES, REACTION_EMOJI
from tests.helpers import real_event

GROUP = -1001234567890
COUNT = 5000
RECEIVED_AT_MS = 1_767_300_000_000
MEMBER_KINDS = ("chat_member", "my_chat_member")
REACTION_KINDS = ("message_reaction", "message_reaction_count")
ADMIN_ONLY_KINDS = ("chat_member", *REACTION_KINDS)


@pytest.fixture(scope="module")
def updates() -> list[GeneratedUpdate]:
    return generate_updates(COUNT, chat_id=GROUP, seed=42)


def originals(updates: list[GeneratedUpdate]) -> list[GeneratedUpdate]:
    return [u for u in updates if not u.is_duplicate]


def decoded(update: GeneratedUpdate) -> dict[str, Any]:
    body: dict[str, Any] = jsoncodec.loads(update.body)
    return body


def payload(update: GeneratedUpdate) -> dict[str, Any]:
    inner: dict[str, Any] = decoded(update)[update.kind]
    return inner


def of_kind(updates: list[GeneratedUpdate], *kinds: str) -> list[GeneratedUpdate]:
    return [u for u in originals(updates) if u.kind in kinds]


# -- rows: what the shapers make of them ---------------------------------------------------


def test_membership_updates_give_the_member_event_rows_the_oracle_names(
    updates: list[GeneratedUpdate],
) -> None:
    seen: Counter[tuple[str, str, str | None]] = Counter()
    for update in updates:
        rows = member_rows(decoded(update), RECEIVED_AT_MS)
        got = [(r["user_id"], r["event"], r["join_source"]) for r in rows]
        assert got == [tuple(change) for change in update.member_changes], update.update_id
        seen.update((r["update_type"], r["event"], r["join_source"]) for r in rows)
    sources = {source for kind, _, source in seen if kind == "chat_member"}
    assert sources == {"invite_link", "join_request", "added", "direct", None}
    events = {event for kind, event, _ in seen if kind in MEMBER_KINDS}
    assert events == {"joined", "left", "banned", "unbanned", "promoted", "demoted"}
    service = {(event, source) for kind, event, source in seen if kind == "message"}
    assert service == {("joined", "direct"), ("joined", "added"), ("left", None), ("removed", None)}


def test_reaction_updates_give_the_reaction_rows_the_oracle_names(
    updates: list[GeneratedUpdate],
) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    emoji: Counter[str] = Counter()
    for update in updates:
        rows = reaction_rows(decoded(update), RECEIVED_AT_MS)
        got = [(r["change"], r["reaction_type"], r["emoji"], r.get("reaction_count")) for r in rows]
        assert got == [tuple(reaction) for reaction in update.reactions], update.update_id
        assert bool(rows) == (update.kind in REACTION_KINDS)
        seen.update((r["change"], r["reaction_type"]) for r in rows)
        emoji.update(r["emoji"] for r in rows if not update.is_duplicate)
    assert set(seen) >= {
        ("added", "emoji"),
        ("added", "custom_emoji"),
        ("removed", "emoji"),
        ("count", "emoji"),
        ("count", "custom_emoji"),
    }
    assert {change for change, _ in seen} == {"added", "removed", "count"}
    assert set(emoji) <= {e for e, _ in REACTION_EMOJI} | set(CUSTOM_EMOJI_IDS)
    assert [e for e, _ in emoji.most_common(2)] == ["👍", "❤"]


def test_every_update_feeds_the_tables_its_kind_belongs_to_with_rows(
    updates: list[GeneratedUpdate],
) -> None:
    fed: Counter[str] = Counter()
    for update in updates:
        body = decoded(update)
        tables = tables_for(body)
        if update.kind in REACTION_KINDS:
            assert tables == ("reactions",)
        elif update.kind in MEMBER_KINDS:
            assert tables == ("member_events",)
        elif update.member_changes:  # a join or leave service message
            assert tables == ("messages", "member_events")
        else:
            assert tables == ("messages",)
        for table in tables:
            assert SHAPERS[table](body, RECEIVED_AT_MS), (update.update_id, table)
            fed[table] += 1
    assert fed["messages"] > fed["reactions"] > fed["member_events"] > 100


# -- membership over time ------------------------------------------------------------------


def test_joins_precede_posts_and_who_left_posts_no_more(updates: list[GeneratedUpdate]) -> None:
    main = [u for u in originals(updates) if u.chat_id == GROUP]
    first_change: dict[int, str] = {}
    for update in main:
        for change in update.member_changes:
            first_change.setdefault(change.user_id, change.event)
    inside: dict[int, bool] = {}
    joined_then_posted = set()
    for update in main:
        for change in update.member_changes:
            if change.event == "joined":
                inside[change.user_id] = True
            elif change.event in ("left", "removed", "banned"):
                inside[change.user_id] = False
        posted = update.carries_message and not update.member_changes
        if posted and update.user_id != TELEGRAM_SERVICE_ID:
            # A founder (in the group before the walk) is in until a change says otherwise.
            assert inside.get(update.user_id, first_change.get(update.user_id) != "joined")
            if first_change.get(update.user_id) == "joined":
                joined_then_posted.add(update.user_id)
    assert len(joined_then_posted) >= 3


def test_the_group_grows_and_some_newcomers_leave_again(updates: list[GeneratedUpdate]) -> None:
    changes = [c for u in of_kind(updates, "chat_member") for c in u.member_changes]
    joined = [c.user_id for c in changes if c.event == "joined"]
    gone = [c.user_id for c in changes if c.event in ("left", "banned")]
    assert len(joined) > 1.5 * len(gone) > 0
    assert len(set(joined) & set(gone)) >= 5  # retention has newcomers who left


def test_joins_come_as_telegram_sends_them(updates: list[GeneratedUpdate]) -> None:
    joins = [u for u in of_kind(updates, "chat_member") if u.member_changes[0].event == "joined"]
    by_source = {u.member_changes[0].join_source: payload(u) for u in joins}
    link = by_source["invite_link"]["invite_link"]
    assert link["name"] in INVITE_LINK_NAMES
    assert link["invite_link"].startswith("https://t.me/+")
    assert link["invite_link"].endswith("...")  # a link the bot did not create is cut short
    request = by_source["join_request"]
    assert request["via_join_request"] is True
    assert request["from"]["id"] != request["new_chat_member"]["user"]["id"]  # approved by an admin
    # Each chat_member join has its service message in the same chat at the same moment.
    service = {
        (u.date, c.user_id)
        for u in of_kind(updates, "message")
        for c in u.member_changes
        if c.event == "joined"
    }
    assert all((u.date, u.user_id) in service for u in joins)


def test_the_bot_is_added_promoted_and_demoted_for_a_stretch(
    updates: list[GeneratedUpdate],
) -> None:
    opening = updates[:3]
    assert [u.kind for u in opening] == ["my_chat_member", "message", "my_chat_member"]
    assert payload(opening[1])["new_chat_members"][0]["id"] == BOT_ID
    bot = [(u, u.member_changes[0].event) for u in of_kind(updates, "my_chat_member")]
    assert [event for _, event in bot] == ["joined", "promoted", "demoted", "promoted"]
    assert all(u.user_id == BOT_ID and payload(u)["from"]["is_bot"] is False for u, _ in bot)
    demoted, promoted = bot[2][0].update_id, bot[3][0].update_id
    main = [u for u in originals(updates) if u.chat_id == GROUP]
    during = [u for u in main if demoted < u.update_id < promoted]
    # A member bot gets messages and service messages, no chat_member and no reactions.
    assert not [u for u in during if u.kind in ADMIN_ONLY_KINDS]
    assert any(u.member_changes for u in during)
    assert {u.kind for u in main if u.update_id > promoted} >= set(ADMIN_ONLY_KINDS)


def test_a_long_walk_keeps_changing_membership_in_a_pool_of_fixed_size() -> None:
    # Those banned for good and most leavers never return; new people take their place.
    walk = UpdateWalk(WalkSettings(seed=8))
    pool = len(walk.members.by_id)
    for _ in range(60_000):
        walk.next()
    late = Counter(walk.next().kind for _ in range(10_000))
    assert late["chat_member"] > 100
    assert len(walk.members.by_id) == pool


def test_a_short_walk_keeps_the_bot_an_admin() -> None:
    short = originals(generate_updates(60, chat_id=GROUP, seed=1))
    events = [u.member_changes[0].event for u in short if u.kind == "my_chat_member"]
    assert events == ["joined", "promoted"]


# -- reactions -----------------------------------------------------------------------------


def test_reactions_land_on_earlier_messages_of_others_often_from_lurkers(
    updates: list[GeneratedUpdate],
) -> None:
    posted: dict[tuple[int, int], GeneratedUpdate] = {}
    posters = set()
    reactors: Counter[int] = Counter()
    for update in originals(updates):
        if update.kind == "message":
            posted[update.chat_id, update.message_id] = update
            posters.add(update.user_id)
        elif update.kind == "message_reaction":
            target = posted[update.chat_id, update.message_id]
            assert target.date <= update.date
            body = payload(update)
            if "actor_chat" in body:  # an anonymous admin: the group itself, no user
                assert body["actor_chat"]["id"] == update.chat_id == GROUP
                assert update.user_id == 0
                continue
            assert update.user_id == body["user"]["id"] != target.user_id
            reactors[update.user_id] += 1
            premium = body["user"].get("is_premium") is True
            assert premium or len(body["new_reaction"]) <= 1
            assert premium or "custom_emoji" not in str(body["new_reaction"])
    lurkers = sum(n for user, n in reactors.items() if user not in posters)
    assert 0.25 <= lurkers / sum(reactors.values()) <= 0.6


def test_reactions_are_fewer_than_messages(updates: list[GeneratedUpdate]) -> None:
    reactions = len(of_kind(updates, *REACTION_KINDS))
    messages = len(of_kind(updates, "message"))
    assert 0.1 <= reactions / messages <= 0.4


def test_count_snapshots_are_for_the_linked_channels_posts_largest_first(
    updates: list[GeneratedUpdate],
) -> None:
    forwarded = {
        (u.chat_id, u.message_id)
        for u in of_kind(updates, "message")
        if payload(u).get("is_automatic_forward")
    }
    snapshots = of_kind(updates, "message_reaction_count")
    assert len(snapshots) > 20
    for update in snapshots:
        assert (update.chat_id, update.message_id) in forwarded
        totals = [entry["total_count"] for entry in payload(update)["reactions"]]
        assert totals == sorted(totals, reverse=True)
        assert min(totals) >= 1


# -- shapes: Telegram's field order and fields ---------------------------------------------


def _keys(value: dict[str, Any]) -> list[str]:
    return list(value)


def test_membership_payloads_have_the_fields_and_order_of_real_ones(
    updates: list[GeneratedUpdate],
) -> None:
    real_change = _keys(
        real_event("chat_member_left_to_member__telegram-bot-ruby-issue")["chat_member"]
    )
    extras = {"invite_link", "via_join_request"}
    real_admin = real_event("my_chat_member_restricted_to_admin_custom_title__autogram")
    admin_keys = _keys(real_admin["my_chat_member"]["new_chat_member"])
    kicked = _keys(
        real_event("my_chat_member_admin_to_kicked_supergroup__autogram")["my_chat_member"][
            "new_chat_member"
        ]
    )
    for update in of_kind(updates, *MEMBER_KINDS):
        body = payload(update)
        assert [k for k in body if k not in extras] == real_change
        for member in (body["old_chat_member"], body["new_chat_member"]):
            if member["status"] == "administrator":
                assert [k for k in admin_keys if k in member] == _keys(member)
                assert set(admin_keys) - set(member) <= {"custom_title"}
            elif member["status"] == "kicked":
                assert _keys(member) == kicked
            else:
                assert _keys(member) == ["user", "status"]
        if "invite_link" in body:
            assert _keys(body["invite_link"]) == [
                "invite_link", "name", "creator", "creates_join_request", "is_primary", "is_revoked",
            ]  # fmt: skip
    joined = _keys(real_event("new_chat_members_added_by_user_supergroup__silencer")["message"])
    left = _keys(real_event("left_chat_member_removed_by_admin_supergroup__telik")["message"])
    for update in of_kind(updates, "message"):
        if update.member_changes:
            assert _keys(payload(update)) in (joined, left)


def test_reaction_payloads_have_the_fields_and_order_of_real_ones(
    updates: list[GeneratedUpdate],
) -> None:
    by_user = _keys(real_event("message_reaction_user__teloxide")["message_reaction"])
    by_chat = _keys(real_event("message_reaction_actor_chat__teloxide")["message_reaction"])
    count = real_event("message_reaction_count_channel__teloxide")["message_reaction_count"]
    for update in of_kind(updates, "message_reaction"):
        assert _keys(payload(update)) in (by_user, by_chat)
    for update in of_kind(updates, "message_reaction_count"):
        body = payload(update)
        assert _keys(body) == _keys(count)
        assert all(_keys(entry) == _keys(count["reactions"][0]) for entry in body["reactions"])
    assert any("actor_chat" in payload(u) for u in of_kind(updates, "message_reaction"))


# -- options and determinism ---------------------------------------------------------------


def test_the_same_seed_gives_the_same_membership_and_reactions() -> None:
    first = generate_updates(1500, chat_id=GROUP, seed=3)
    assert first == generate_updates(1500, chat_id=GROUP, seed=3)
    assert {u.kind for u in first} >= {*MEMBER_KINDS, *REACTION_KINDS}
    other = generate_updates(1500, chat_id=GROUP, seed=4)
    assert [u.body for u in first] != [u.body for u in other]


@pytest.mark.parametrize("count", [800, 1000, 1500])
def test_the_demos_runs_hold_every_kind_and_a_coverage_gap(count: int) -> None:
    # tgpipe demo: seed 7, --count 1500 by default; its tests run 800 and 1000.
    updates = originals(generate_updates(count, seed=7))
    assert {u.kind for u in updates} >= {*MEMBER_KINDS, *REACTION_KINDS}
    events = {c.event for u in updates for c in u.member_changes}
    assert events >= {"joined", "left", "removed", "banned", "demoted", "promoted"}
    sources = {c.join_source for u in of_kind(updates, "chat_member") for c in u.member_changes}
    assert sources >= {"invite_link", "join_request", "added", "direct"}


def test_membership_reactions_and_the_channel_can_be_turned_off() -> None:
    quiet = generate_updates(
        1500,
        chat_id=GROUP,
        seed=5,
        member_share=0.0,
        reaction_share=0.0,
        channel_share=0.0,
        bot_changes=False,
    )
    assert {u.kind for u in quiet} == {"message", "edited_message"}
    assert not any(u.member_changes or u.reactions for u in quiet)
    assert not any(u.user_id == TELEGRAM_SERVICE_ID for u in quiet)


def test_membership_and_reaction_shares_over_one_together_are_refused() -> None:
    with pytest.raises(ValueError, match="add up"):
        generate_updates(1, member_share=0.6, reaction_share=0.6)
