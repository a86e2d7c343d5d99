"""The generator's walk: which update comes next, and the message it carries.

One UpdateWalk per `iter_updates` call. Each step is a redelivery of a recent
update (byte for byte, as Telegram retries), a membership change in the group
(local/generator_members.py), a reaction (local/generator_reactions.py), an edit
of a recent message, or a new message: of a type drawn from MESSAGE_TYPE_WEIGHTS,
maybe in an album, a forum topic, a reply or a forward, now and then a post of the
group's linked channel forwarded automatically; or a service message (pins, new
topics). The walk opens with the bot being added to the group and promoted.
A share of steps happen in a chat the pipeline must ignore. Memory is bounded:
only recent messages and updates are remembered.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from functions import jsoncodec
from local.generator_media import media
from local.generator_members import Membership
from local.generator_people import Clock, Members, forward_origin
from local.generator_reactions import Reactions
from local.generator_state import MESSAGE_KINDS, ChatState, GeneratedUpdate, Posted, quoted
from local.generator_text import set_text, text_pieces
from local.generator_words import EDIT_SUFFIXES, FOREIGN_CHAT_TITLE, MAIN_CHAT_TITLE, TOPIC_NAMES

DEFAULT_CHAT_ID: Final = -1001234567890
DEFAULT_FOREIGN_CHAT_ID: Final = -1009876543210
DEFAULT_START_UPDATE_ID: Final = 800_000_000
#: 2026-01-01 00:00 in São Paulo (03:00 UTC).
DEFAULT_START_TIME: Final = 1_767_236_400

DEFAULT_DUPLICATE_SHARE: Final = 0.03
DEFAULT_FOREIGN_SHARE: Final = 0.05
DEFAULT_EDIT_SHARE: Final = 0.05
DEFAULT_REPLY_SHARE: Final = 0.20
#: Shares of the steps that are neither redeliveries nor edits that are a membership
#: change in the main group (two updates each while the bot is an admin: `chat_member`
#: and the service message) and a reaction (in either chat). About 20 changes a day
#: at this pace, joins the most; for reactions, see the assumption in
#: local/generator_reactions.py (about one for every four or five messages).
DEFAULT_MEMBER_SHARE: Final = 0.03
DEFAULT_REACTION_SHARE: Final = 0.20
#: Share of the main group's new messages that are the linked channel's posts,
#: forwarded automatically (about 8 offers a day at this pace).
DEFAULT_CHANNEL_SHARE: Final = 0.015

#: Relative frequency of what a new message is. Roughly what busy Brazilian
#: buy-and-sell groups show: text dominates, photos next, stickers and voice
#: notes common, the rest rare. Service messages are named by their Bot API field;
#: joins and leaves (new_chat_members, left_chat_member) are membership changes.
MESSAGE_TYPE_WEIGHTS: Final[dict[str, float]] = {
    "text": 0.600,
    "photo": 0.120,
    "sticker": 0.070,
    "voice": 0.045,
    "video": 0.030,
    "animation": 0.030,
    "document": 0.020,
    "video_note": 0.010,
    "audio": 0.008,
    "poll": 0.006,
    "location": 0.006,
    "dice": 0.006,
    "contact": 0.004,
    "pinned_message": 0.002,
    "forum_topic_created": 0.002,
}
_TYPES: Final = tuple(MESSAGE_TYPE_WEIGHTS)
_CUM_WEIGHTS: Final = tuple(
    sum(list(MESSAGE_TYPE_WEIGHTS.values())[: i + 1]) for i in range(len(_TYPES))
)
_SERVICE_TYPES: Final = frozenset({"pinned_message", "forum_topic_created"})
#: Types whose message carries a caption (share of them that do).
_CAPTION_SHARE: Final = {"photo": 0.7, "video": 0.6, "document": 0.5, "animation": 0.3}
_FORWARDABLE: Final = frozenset({"text", "photo", "video", "document", "animation"})
_FORWARD_SHARE: Final = 0.05
_ALBUM_SHARE: Final = 0.12
_TOPIC_SHARE: Final = 0.12
#: How far back redeliveries reach; bounds memory.
_RECENT_BODIES: Final = 100
_MAX_EDITS_PER_MESSAGE: Final = 2
_MAX_TOPICS: Final = len(TOPIC_NAMES)


@dataclass(frozen=True, slots=True)
class WalkSettings:
    """What the walk is asked for (iter_updates' keywords); the shares are checked here."""

    chat_id: int = DEFAULT_CHAT_ID
    seed: int = 0
    foreign_chat_id: int = DEFAULT_FOREIGN_CHAT_ID
    start_update_id: int = DEFAULT_START_UPDATE_ID
    start_time: int = DEFAULT_START_TIME
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE
    foreign_share: float = DEFAULT_FOREIGN_SHARE
    edit_share: float = DEFAULT_EDIT_SHARE
    reply_share: float = DEFAULT_REPLY_SHARE
    member_share: float = DEFAULT_MEMBER_SHARE
    reaction_share: float = DEFAULT_REACTION_SHARE
    channel_share: float = DEFAULT_CHANNEL_SHARE
    #: Whether the walk opens with the bot added and promoted, and demotes it for a stretch.
    bot_changes: bool = True

    def __post_init__(self) -> None:
        for name in _SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.member_share + self.reaction_share > 1.0:
            raise ValueError("member_share and reaction_share must add up to at most 1")


_SHARES: Final = ("duplicate_share", "foreign_share", "edit_share", "reply_share",
                  "member_share", "reaction_share", "channel_share")  # fmt: skip


class UpdateWalk:
    """The stateful walk behind iter_updates: one instance per call."""

    def __init__(self, settings: WalkSettings, total: int | None = None) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)  # noqa: S311 - reproducible test data, not secrets
        self.next_update_id = settings.start_update_id
        self.members = Members(self.rng)
        self.clock = Clock(self.rng, settings.start_time)
        # The main group is a forum: Telegram then marks every message's chat.
        main_chat = {"id": settings.chat_id, "title": MAIN_CHAT_TITLE, "is_forum": True,
                     "type": "supergroup"}  # fmt: skip
        self.main = ChatState(main_chat, is_foreign=False, next_message_id=10_001)
        self.foreign = ChatState(
            {"id": settings.foreign_chat_id, "title": FOREIGN_CHAT_TITLE, "type": "supergroup"},
            is_foreign=True,
            next_message_id=50_001,
        )
        self.recent_updates: deque[GeneratedUpdate] = deque(maxlen=_RECENT_BODIES)
        self.pending: deque[GeneratedUpdate] = deque()
        self.position = 0
        self.membership = Membership(self.rng, self.members, self.clock, self.main, self._emit,
                                     total=total, bot_changes=settings.bot_changes)  # fmt: skip
        self.reactions = Reactions(
            self.rng, self.members, self.clock, self._emit, self.membership.present
        )

    def next(self) -> GeneratedUpdate:
        """The next update of the walk."""
        if not self.pending:
            self.pending.extend(self.membership.due(self.position))
        if not self.pending:
            self.pending.extend(self._step())
        self.position += 1
        return self.pending.popleft()

    def _step(self) -> list[GeneratedUpdate]:
        rng, settings = self.rng, self.settings
        if self.recent_updates and rng.random() < settings.duplicate_share:
            return [self._duplicate()]
        state = self.foreign if rng.random() < settings.foreign_share else self.main
        if rng.random() < settings.edit_share:
            edited = self._edit(state)
            if edited is not None:
                return [edited]
        roll = rng.random()
        if roll < settings.member_share and state is self.main:
            changes = self.membership.change()
            if changes:
                return changes
        elif roll < settings.member_share + settings.reaction_share and (
            # Telegram sends reactions to admins only (the bot is one in the other chat).
            state.is_foreign or self.membership.bot_is_admin
        ):
            reaction = self.reactions.react(state)
            if reaction is not None:
                return [reaction]
        return self._new_message(state)

    # -- updates ------------------------------------------------------------

    def _emit(
        self, state: ChatState, kind: str, payload: dict[str, Any], **oracle: Any
    ) -> GeneratedUpdate:
        """The update carrying `payload` as `kind`, with what the oracle knows about it."""
        known: dict[str, Any] = {"message_type": kind, "message_id": 0, "user_id": 0}
        if kind in MESSAGE_KINDS:
            known.update(message_id=payload["message_id"], user_id=payload["from"]["id"])
        generated = GeneratedUpdate(
            update_id=self.next_update_id,
            body=jsoncodec.dumps({"update_id": self.next_update_id, kind: payload}),
            chat_id=state.chat["id"],
            kind=kind,
            date=payload["date"],
            is_foreign=state.is_foreign,
            **{**known, **oracle},
        )
        self.next_update_id += 1
        self.recent_updates.append(generated)
        return generated

    def _duplicate(self) -> GeneratedUpdate:
        original = self.rng.choice(self.recent_updates)
        return GeneratedUpdate(
            **{
                name: getattr(original, name)
                for name in GeneratedUpdate.__dataclass_fields__
                if name != "is_duplicate"
            },
            is_duplicate=True,
        )

    def _reply_target(self, state: ChatState, thread_id: int | None) -> Posted | None:
        # A topic's creation message is not replied to: it is every topic message's
        # implicit reply_to_message already, which the shaper does not count as a reply.
        candidates = [
            p
            for p in list(state.recent)[-30:]
            if p.thread_id == thread_id and "forum_topic_created" not in p.message
        ]
        return self.rng.choice(candidates) if candidates else None

    # -- new messages -------------------------------------------------------

    def _new_message(self, state: ChatState) -> list[GeneratedUpdate]:
        rng = self.rng
        if not state.is_foreign and rng.random() < self.settings.channel_share:
            return [self.reactions.channel_post(state, self.clock.tick())]
        message_type = rng.choices(_TYPES, cum_weights=_CUM_WEIGHTS)[0]
        if message_type == "pinned_message" and not state.recent:
            message_type = "text"
        if message_type == "forum_topic_created" and (
            state.is_foreign or len(state.topics) >= _MAX_TOPICS
        ):
            message_type = "text"  # only the main group is a forum, with a handful of topics
        date = self.clock.tick()
        # Only members post in the main group: nobody before joining or after leaving.
        sender = self.members.pick(None if state.is_foreign else self.membership.present)
        if message_type in _SERVICE_TYPES:
            return [self._service_message(state, message_type, sender, date)]
        thread: Posted | None = None
        if state.topics and rng.random() < _TOPIC_SHARE:
            thread = rng.choice(state.topics)
        thread_id = thread.message["message_id"] if thread else None
        album = 1
        if message_type == "photo" and rng.random() < _ALBUM_SHARE:
            album = rng.randint(2, 4)
        group_id = str(rng.randint(10**17, 10**18 - 1)) if album > 1 else None
        forward = message_type in _FORWARDABLE and rng.random() < _FORWARD_SHARE
        reply = None
        if not forward and rng.random() < self.settings.reply_share:
            reply = self._reply_target(state, thread_id)
        has_text = message_type == "text" or rng.random() < _CAPTION_SHARE.get(message_type, 0.0)
        caption = message_type != "text"
        pieces = text_pieces(rng, self.members.usernames, caption=caption) if has_text else ()
        # Telegram sets a topic's root message as the reply target of topic messages.
        target = reply or thread
        reply_payload = quoted(target.message) if target is not None else None
        updates = []
        for index in range(album):
            message = state.header(sender, date)
            oracle: dict[str, Any] = {"is_reply": reply is not None, "media_group_id": group_id}
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                oracle["message_thread_id"] = thread_id
            if group_id is not None:
                message["media_group_id"] = group_id
            if forward:
                message["forward_origin"] = forward_origin(rng, self.members, date)
            if target is not None:
                message["reply_to_message"] = reply_payload
            if reply is not None:
                oracle["reply_to_message_id"] = reply.message["message_id"]
            if thread is not None:
                message["is_topic_message"] = True
            if message_type != "text":
                message.update(media(rng, message_type, self.members.pick))
            text_key = None
            if pieces and index == 0:  # an album's caption is on its first item only
                text_key = "caption" if caption else "text"
                oracle.update(set_text(message, text_key, pieces))
            state.recent.append(
                Posted(message, message_type, pieces if text_key else (), text_key, thread_id)
            )
            updates.append(
                self._emit(state, "message", message, message_type=message_type, **oracle)
            )
        return updates

    def _service_message(
        self, state: ChatState, message_type: str, sender: dict[str, Any], date: int
    ) -> GeneratedUpdate:
        message = state.header(sender, date)
        oracle: dict[str, Any] = {}
        posted = Posted(message, message_type, (), None, None)
        if message_type == "pinned_message":
            pinned = self.rng.choice(list(state.recent)[-30:])
            message["pinned_message"] = quoted(pinned.message)
        else:  # forum_topic_created: the topic's id is this service message's id
            message["message_thread_id"] = message["message_id"]
            name = TOPIC_NAMES[len(state.topics)]
            color = self.rng.choice((7322096, 16766590, 13338331, 9367192))
            message["forum_topic_created"] = {"name": name, "icon_color": color}
            message["is_topic_message"] = True
            oracle["message_thread_id"] = message["message_id"]
            state.topics.append(posted)
            posted.thread_id = message["message_id"]
        state.recent.append(posted)
        return self._emit(state, "message", message, message_type=message_type, **oracle)

    # -- edits --------------------------------------------------------------

    def _edit(self, state: ChatState) -> GeneratedUpdate | None:
        present = None if state.is_foreign else self.membership.present
        editable = [
            p
            for p in state.recent
            if p.text_key is not None
            and p.edits < _MAX_EDITS_PER_MESSAGE
            and (present is None or p.message["from"]["id"] in present)
        ]
        if not editable:
            return None
        posted = self.rng.choice(editable[-50:])
        edit_date = self.clock.tick()
        posted.pieces = posted.pieces + self.rng.choice(EDIT_SUFFIXES)
        posted.edits += 1
        message = {**posted.message}
        assert posted.text_key is not None
        oracle: dict[str, Any] = {
            "edit_date": edit_date,
            "message_thread_id": message.get("message_thread_id"),
            "media_group_id": message.get("media_group_id"),
        }
        message.pop("entities", None)
        message.pop("caption_entities", None)
        oracle.update(set_text(message, posted.text_key, posted.pieces))
        message["edit_date"] = edit_date
        replied = message.get("reply_to_message")
        if replied is not None and "forum_topic_created" not in replied:
            oracle["reply_to_message_id"] = replied["message_id"]
        posted.message = message
        return self._emit(state, "edited_message", message, message_type=posted.message_type,
                          **oracle)  # fmt: skip
