"""Realistic Telegram updates for a Brazilian sales group, deterministic from a seed.

What "realistic" means here: the Bot API shapes of the fixtures in tests/events/
(and of the captures in tests/events/real/), message kinds in the proportions a
busy group shows (mostly text, then photos, stickers, voice...), replies, edits of
earlier messages, albums, forum topics, forwards, the linked channel's posts
forwarded automatically, Portuguese text with emoji whose entity offsets and
lengths are UTF-16 code units exactly as Telegram computes them, send times over
São Paulo days, a share of updates from a chat the pipeline must ignore and a
share of redeliveries (Telegram retries an update when the webhook did not answer
2xx, byte for byte). Beside messages, the traffic a bot that is an admin gets:
members joining (invite links, join requests, added, directly), leaving, banned
and promoted, as `chat_member` updates plus their service messages; the bot's own
`my_chat_member` changes (added and promoted at the start, demoted for a stretch);
`message_reaction` and `message_reaction_count` updates.

`count` is every update: membership changes and reactions take part of it (with
the defaults about one in six is a reaction and one in twenty a membership update),
so there are fewer messages than updates. UpdateOptions' shares turn each part
down or off (member_share, reaction_share, channel_share, bot_changes).

Pure: stdlib only plus the project's JSON codec; the same seed gives the same
bytes on every platform. `iter_updates` streams (bounded memory for any count).

This module is the generator's public face; the parts live next to it:
local/generator_walk.py (which update comes next), generator_state.py (the
updates and what the walk remembers), generator_members.py (membership and the
bot), generator_reactions.py (reactions, the linked channel), generator_people.py
(who posts, when), generator_text.py (text and entities), generator_media.py
(media payloads) and generator_words.py (the vocabulary).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypedDict, Unpack

from local.generator_members import BOT_ID
from local.generator_people import LINKED_CHANNEL_ID, SAO_PAULO_UTC_OFFSET_SECONDS
from local.generator_state import GeneratedUpdate, MemberChange, ReactionChange
from local.generator_text import compose_text, utf16_length
from local.generator_walk import (
    DEFAULT_CHANNEL_SHARE,
    DEFAULT_CHAT_ID,
    DEFAULT_DUPLICATE_SHARE,
    DEFAULT_EDIT_SHARE,
    DEFAULT_FOREIGN_CHAT_ID,
    DEFAULT_FOREIGN_SHARE,
    DEFAULT_MEMBER_SHARE,
    DEFAULT_REACTION_SHARE,
    DEFAULT_REPLY_SHARE,
    DEFAULT_START_TIME,
    DEFAULT_START_UPDATE_ID,
    MESSAGE_TYPE_WEIGHTS,
    UpdateWalk,
    WalkSettings,
)

__all__ = [
    "BOT_ID",
    "DEFAULT_CHANNEL_SHARE",
    "DEFAULT_CHAT_ID",
    "DEFAULT_DUPLICATE_SHARE",
    "DEFAULT_EDIT_SHARE",
    "DEFAULT_FOREIGN_CHAT_ID",
    "DEFAULT_FOREIGN_SHARE",
    "DEFAULT_MEMBER_SHARE",
    "DEFAULT_REACTION_SHARE",
    "DEFAULT_REPLY_SHARE",
    "DEFAULT_START_TIME",
    "DEFAULT_START_UPDATE_ID",
    "LINKED_CHANNEL_ID",
    "MESSAGE_TYPE_WEIGHTS",
    "SAO_PAULO_UTC_OFFSET_SECONDS",
    "GeneratedUpdate",
    "MemberChange",
    "ReactionChange",
    "UpdateOptions",
    "compose_text",
    "generate_updates",
    "iter_updates",
    "utf16_length",
    "write_ndjson",
]


class UpdateOptions(TypedDict, total=False):
    """The keywords of iter_updates and generate_updates (defaults: WalkSettings)."""

    chat_id: int
    seed: int
    foreign_chat_id: int
    start_update_id: int
    start_time: int
    duplicate_share: float
    foreign_share: float
    edit_share: float
    reply_share: float
    member_share: float
    reaction_share: float
    channel_share: float
    bot_changes: bool


def iter_updates(count: int, **options: Unpack[UpdateOptions]) -> Iterator[GeneratedUpdate]:
    """Stream `count` realistic updates; memory stays bounded for any count."""
    if count < 0:
        raise ValueError("count must not be negative")
    walk = UpdateWalk(WalkSettings(**options), total=count)
    # Not a generator function itself, so bad arguments fail at the call, not later.
    return (walk.next() for _ in range(count))


def generate_updates(count: int, **options: Unpack[UpdateOptions]) -> list[GeneratedUpdate]:
    """`count` realistic updates as a list (use iter_updates for large counts)."""
    return list(iter_updates(count, **options))


def write_ndjson(path: Path | str, updates: Iterable[GeneratedUpdate]) -> int:
    """Write the updates' bodies as NDJSON (one per line); returns how many."""
    written = 0
    with Path(path).open("wb") as sink:
        for update in updates:
            sink.write(update.body + b"\n")
            written += 1
    return written
