"""The chat allow-list: configured ids, store entries, migrations, and what an outage does."""

from __future__ import annotations

from typing import Any

import pytest

from functions.allowlist import AllowList, ChatEntry, MemoryStore, entry_for_operator
from functions.errors import AllowListUnavailable
from functions.webhook.logic import Outcome, WebhookRequest, decide
from tests.helpers import real_event

GROUP = -599075523
SUPERGROUP = -1001555296434
SECRET = "s3cret-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BrokenStore(MemoryStore):
    """A store whose every call fails, as SSM does during an outage."""

    def entries(self) -> dict[int, ChatEntry]:
        raise AllowListUnavailable("down")

    def entry(self, chat_id: int) -> ChatEntry | None:
        raise AllowListUnavailable("down")

    def add_if_absent(self, entry: ChatEntry) -> bool:
        raise AllowListUnavailable("down")


def request_for(update: dict[str, Any]) -> WebhookRequest:
    import json

    return WebhookRequest("POST", SECRET, json.dumps(update), False)


def test_configured_ids_are_allowed_and_others_are_not() -> None:
    allowed = AllowList(frozenset({GROUP}), MemoryStore())
    assert GROUP in allowed
    assert SUPERGROUP not in allowed
    assert 123456789 not in allowed


@pytest.mark.parametrize("name", ["migrate_to_chat_id__teloxide", "migrate_from_chat_id__teloxide"])
def test_either_migration_message_is_kept_and_names_the_supergroup_to_follow(name: str) -> None:
    # GIVEN only the old group is allowed
    allowed = AllowList(frozenset({GROUP}), MemoryStore())
    # WHEN the migration message arrives (in the group, or in the new supergroup)
    decision = decide(request_for(real_event(name)), allowed, SECRET)
    # THEN it is accepted and says which chat to follow
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.follow == (GROUP, SUPERGROUP)


def test_a_migration_of_a_group_that_is_not_kept_is_ignored() -> None:
    allowed = AllowList(frozenset({-42}), MemoryStore())
    decision = decide(request_for(real_event("migrate_from_chat_id__teloxide")), allowed, SECRET)
    assert (decision.outcome, decision.follow) == (Outcome.IGNORED, None)


def test_a_followed_supergroup_is_allowed_by_every_instance_sharing_the_store() -> None:
    # GIVEN two webhook instances over one store, both having read it already
    store, clock = MemoryStore(), Clock()
    first = AllowList(frozenset({GROUP}), store, clock=clock)
    second = AllowList(frozenset({GROUP}), store, clock=clock)
    assert SUPERGROUP not in second
    # WHEN the first follows the migration
    assert first.follow_migration(SUPERGROUP, GROUP) is True
    # THEN the second keeps the supergroup as soon as its short miss memory ends,
    # long before its cached snapshot would be read again
    clock.now += 2.5
    assert SUPERGROUP in second
    assert first.follow_migration(SUPERGROUP, GROUP) is False  # already there


def test_an_operator_disallow_wins_over_configuration_and_over_a_migration() -> None:
    store = MemoryStore()
    store.put(entry_for_operator(GROUP, allowed=False))
    store.put(entry_for_operator(SUPERGROUP, allowed=False))
    allowed = AllowList(frozenset({GROUP}), store)
    assert GROUP not in allowed
    assert allowed.follow_migration(SUPERGROUP, GROUP) is False
    assert SUPERGROUP not in allowed


def test_a_store_outage_keeps_the_configured_chats() -> None:
    errors: list[str] = []
    allowed = AllowList(
        frozenset({GROUP}), BrokenStore(), on_store_error=lambda what, e: errors.append(what)
    )
    assert GROUP in allowed
    assert SUPERGROUP not in allowed
    assert errors == ["read", "lookup"]
    with pytest.raises(AllowListUnavailable):
        allowed.follow_migration(SUPERGROUP, GROUP)


def test_only_groups_are_noted_as_ignored_and_each_once() -> None:
    store = MemoryStore()
    allowed = AllowList(frozenset({GROUP}), store)
    allowed.note_ignored(-1009876543210, "supergroup", "Outro Grupo")
    allowed.note_ignored(-1009876543210, "supergroup", "Outro Grupo")
    allowed.note_ignored(123456789, "private", None)  # a person: never stored
    (seen,) = store.seen().values()
    assert (seen.chat_id, seen.chat_type, seen.title) == (
        -1009876543210,
        "supergroup",
        "Outro Grupo",
    )


def test_entries_survive_their_own_encoding() -> None:
    entry = ChatEntry(SUPERGROUP, True, f"migrated from {GROUP}", "2026-12-02T10:00:00Z")
    assert ChatEntry.from_json(SUPERGROUP, entry.to_json()) == entry
    assert ChatEntry.from_json(SUPERGROUP, "not json") is None
    assert ChatEntry.from_json(SUPERGROUP, '{"allowed": "yes"}') is None
