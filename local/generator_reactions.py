"""Reactions in the generated group, and the linked channel whose reactions are anonymous.

`message_reaction`: a member (often a lurker who never posts) sets an emoji on a
recent message of someone else; now and then changes it or takes it back
(old_reaction → new_reaction, as Telegram reports the whole before and after).
Popular emoji mostly (👍 ❤ 🔥 😂 🙏 🎉); Premium members sometimes use a custom
emoji and may set up to three reactions, others one. A few reactions come from an
anonymous admin: `actor_chat` is the group itself, no `user`.

`message_reaction_count`: reactions to a channel's posts are anonymous, so Telegram
sends totals, not who (grouped, a few minutes late). The group's linked channel
"Canal de Ofertas" posts offers that Telegram forwards into the group
automatically (from 777000 "Telegram", sender_chat the channel,
is_automatic_forward), and their reactions arrive as count snapshots in the group.

Both kinds reach only a bot that is an admin; shapes follow telegram-bot-api's
serialisers and the captures tests/events/real/message_reaction_*.json.

How many: Telegram publishes no per-group figures, so this is an assumption. In
busy buy-and-sell groups most messages (questions, greetings, replies) get no
reaction at all, while offers, photos and announcements collect a few; we take
about one reaction update for every four or five messages (the walk's
DEFAULT_REACTION_SHARE: a fifth of its steps), so reactions stay fewer than
messages as in most groups; a fifth of the reaction steps are count snapshots
while a channel post is within reach.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any, Final

from local.generator_media import media
from local.generator_people import LINKED_CHANNEL, Clock, Members
from local.generator_state import (
    ChatState,
    Emit,
    GeneratedUpdate,
    Posted,
    ReactionChange,
    ReactionKey,
)
from local.generator_text import set_text, text_pieces
from local.generator_words import CUSTOM_EMOJI_IDS, REACTION_EMOJI

#: Telegram's service account: the sender of automatic forwards from a linked channel.
TELEGRAM_USER: Final = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
#: Messages nobody reacts to (service messages).
_UNREACTABLE: Final = frozenset(
    {"new_chat_members", "left_chat_member", "pinned_message", "forum_topic_created"}
)
_REACH: Final = 40  # reactions land on the last this many messages, newer ones more often
_COUNT_SHARE: Final = 0.2  # of reaction steps while a channel post is within reach
_ANONYMOUS_ADMIN_SHARE: Final = 0.03
_SECOND_THOUGHTS_SHARE: Final = 0.12  # someone who reacted changes or removes it
_CUSTOM_SHARE: Final = 0.3  # of Premium members' reactions
_CHANNEL_PHOTO_SHARE: Final = 0.4
_EMOJI: Final = tuple(emoji for emoji, _ in REACTION_EMOJI)
_EMOJI_WEIGHTS: Final = tuple(weight for _, weight in REACTION_EMOJI)


def reaction_type(key: ReactionKey) -> dict[str, Any]:
    """The ReactionType object of a reaction the walk keeps as (type, value)."""
    kind, value = key
    if kind == "custom_emoji":
        return {"type": kind, "custom_emoji_id": value}
    return {"type": kind, "emoji": value}


def _recent_choice(rng: random.Random, posts: list[Posted]) -> Posted:
    """One of the posts (oldest first), the newer ones more likely."""
    return rng.choices(posts, weights=range(1, len(posts) + 1))[0]


class Reactions:
    """Reactions to the walk's messages and the linked channel's posts in the group."""

    def __init__(
        self,
        rng: random.Random,
        members: Members,
        clock: Clock,
        emit: Emit,
        main_present: Collection[int],
    ) -> None:
        self.rng, self.members, self.clock, self.emit = rng, members, clock, emit
        self.main_present = main_present
        self.next_channel_post = 2_001

    def react(self, state: ChatState) -> GeneratedUpdate | None:
        """A reaction update on a recent message of the chat; None when none fits."""
        recent = list(state.recent)[-_REACH:]
        channel_posts = [p for p in recent if "is_automatic_forward" in p.message]
        if channel_posts and self.rng.random() < _COUNT_SHARE:
            return self._count(state, _recent_choice(self.rng, channel_posts))
        targets = [
            p
            for p in recent
            if p.message_type not in _UNREACTABLE and "is_automatic_forward" not in p.message
        ]
        if not targets:
            return None
        posted = _recent_choice(self.rng, targets)
        actor = self._actor(state, posted)
        if actor is None:
            return None
        key = actor["id"]
        old = posted.reactions.get(key, ())
        new = self._new_reaction(actor, old)
        posted.reactions[key] = new
        payload: dict[str, Any] = {"chat": state.chat, "message_id": posted.message["message_id"]}
        payload["actor_chat" if actor is state.chat else "user"] = actor
        payload["date"] = self.clock.tick()
        payload["old_reaction"] = [reaction_type(k) for k in old]
        payload["new_reaction"] = [reaction_type(k) for k in new]
        rows = [ReactionChange("added", *k) for k in new if k not in old]
        rows += [ReactionChange("removed", *k) for k in old if k not in new]
        return self.emit(state, "message_reaction", payload,
                         message_id=posted.message["message_id"],
                         user_id=0 if actor is state.chat else actor["id"],
                         reactions=tuple(rows))  # fmt: skip

    def _actor(self, state: ChatState, posted: Posted) -> dict[str, Any] | None:
        """Who reacts: someone with second thoughts, an anonymous admin, or a member."""
        rng = self.rng
        present = None if state.is_foreign else self.main_present
        author = posted.message["from"]["id"]
        if posted.reactions and rng.random() < _SECOND_THOUGHTS_SHARE:
            key = rng.choice(sorted(posted.reactions))
            if key == state.chat["id"]:
                return state.chat
            person = self.members.by_id.get(key)  # None: gone for good since
            if person is not None and (present is None or key in present):
                return person
        if not state.is_foreign and rng.random() < _ANONYMOUS_ADMIN_SHARE:
            return state.chat
        for _ in range(3):  # people rarely react to their own messages
            user = self.members.reactor(present)
            if user["id"] != author:
                return user
        return None

    def _new_reaction(
        self, actor: dict[str, Any], old: tuple[ReactionKey, ...]
    ) -> tuple[ReactionKey, ...]:
        """What the actor's reactions become: one more, another one, or none."""
        premium = actor.get("is_premium") is True
        if not old:
            return (self._pick(premium),)
        roll = self.rng.random()
        if roll < 0.45:
            return ()
        fresh = self._pick(premium)
        if fresh in old:
            return ()
        if premium and len(old) < 3 and roll < 0.7:
            return (*old, fresh)
        return (fresh,)

    def _pick(self, premium: bool) -> ReactionKey:
        if premium and self.rng.random() < _CUSTOM_SHARE:
            return "custom_emoji", self.rng.choice(CUSTOM_EMOJI_IDS)
        return "emoji", self.rng.choices(_EMOJI, weights=_EMOJI_WEIGHTS)[0]

    def _count(self, state: ChatState, posted: Posted) -> GeneratedUpdate:
        """A snapshot of a channel post's anonymous reactions: every total, largest first."""
        rng, counts = self.rng, posted.counts
        for _ in range(rng.randint(1, 3)):
            key = self._pick(rng.random() < 0.1)
            counts[key] = counts.get(key, 0) + rng.randint(1, 4)
        shrinkable = sorted(k for k, n in counts.items() if n > 1)
        if shrinkable and rng.random() < 0.1:  # someone took theirs back
            counts[rng.choice(shrinkable)] -= 1
        totals = sorted(counts.items(), key=lambda item: -item[1])
        payload = {
            "chat": state.chat,
            "message_id": posted.message["message_id"],
            "date": self.clock.tick(),
            "reactions": [{"type": reaction_type(k), "total_count": n} for k, n in totals],
        }
        rows = tuple(ReactionChange("count", *k, total=n) for k, n in totals)
        return self.emit(state, "message_reaction_count", payload,
                         message_id=posted.message["message_id"], reactions=rows)  # fmt: skip

    def channel_post(self, state: ChatState, date: int) -> GeneratedUpdate:
        """A post of the linked channel as Telegram forwards it into the group."""
        rng = self.rng
        channel_id = self.next_channel_post
        self.next_channel_post += 1
        posted_at = date - rng.randint(0, 2)
        header = state.header(TELEGRAM_USER, date)
        origin = {"type": "channel", "chat": LINKED_CHANNEL, "message_id": channel_id,
                  "date": posted_at}  # fmt: skip
        message: dict[str, Any] = {
            "message_id": header["message_id"],
            "from": TELEGRAM_USER,
            "sender_chat": LINKED_CHANNEL,
            "chat": state.chat,
            "date": date,
            "forward_origin": origin,
            "is_automatic_forward": True,
            "forward_from_chat": LINKED_CHANNEL,
            "forward_from_message_id": channel_id,
            "forward_date": posted_at,
        }
        photo = rng.random() < _CHANNEL_PHOTO_SHARE
        message_type, text_key = ("photo", "caption") if photo else ("text", "text")
        if photo:
            message.update(media(rng, "photo", self.members.pick))
        pieces = text_pieces(rng, (), caption=photo)
        oracle = set_text(message, text_key, pieces)
        state.recent.append(Posted(message, message_type, pieces, text_key, None))
        return self.emit(state, "message", message, message_type=message_type, **oracle)
