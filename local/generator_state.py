"""What the generator's parts share: the updates it yields and the messages it remembers.

GeneratedUpdate is an update's bytes plus what a test oracle needs to know the rows
it must give, in every table: the `messages` row's values, the `member_events`
rows (MemberChange) and the `reactions` rows (ReactionChange). ChatState and
Posted are the walk's memory of a chat: recent messages, their topics, their
reactions. The walk (local/generator_walk.py) and its engagement parts
(generator_members.py, generator_reactions.py) build updates through one Emit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol

from local.generator_text import Pieces

#: Update kinds that carry a message (a `messages` row).
MESSAGE_KINDS: Final = ("message", "edited_message")
#: How far back edits, replies, reactions and redeliveries reach; bounds memory.
RECENT_MESSAGES: Final = 200

#: A reaction as the walk keeps it: (ReactionType type, its emoji or custom emoji id).
ReactionKey = tuple[str, str]


class MemberChange(NamedTuple):
    """A `member_events` row the update gives (functions.members.member_rows), in order."""

    user_id: int
    event: str
    join_source: str | None = None


class ReactionChange(NamedTuple):
    """A `reactions` row the update gives (functions.reactions.reaction_rows), in order:
    `emoji` is the emoji or the custom emoji id, `total` a count snapshot's total."""

    change: str
    reaction_type: str
    emoji: str
    total: int | None = None


@dataclass(frozen=True, slots=True)
class GeneratedUpdate:
    """One generated update: the bytes to send plus what the test oracle needs.

    For an update that carries no message (chat_member, my_chat_member,
    message_reaction, message_reaction_count) `message_type` is its kind,
    `message_id` the message reacted to (0 for membership changes) and `user_id`
    the member whose status changed or who reacted (0 when no user did: a chat
    reacting anonymously, a count snapshot). `member_changes` and `reactions` are
    the rows it gives in `member_events` and `reactions`.
    """

    update_id: int
    body: bytes
    chat_id: int
    kind: str
    message_type: str
    message_id: int
    date: int
    user_id: int
    is_duplicate: bool = False
    is_foreign: bool = False
    is_reply: bool = False
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None
    media_group_id: str | None = None
    edit_date: int | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    member_changes: tuple[MemberChange, ...] = ()
    reactions: tuple[ReactionChange, ...] = ()

    @property
    def is_edit(self) -> bool:
        """True for an edited_message update."""
        return self.kind == "edited_message"

    @property
    def carries_message(self) -> bool:
        """True when the update carries a message (it gives a `messages` row)."""
        return self.kind in MESSAGE_KINDS


@dataclass(slots=True)
class Posted:
    """A message already sent, kept so later updates can reply to, edit or react to it."""

    message: dict[str, Any]
    message_type: str
    pieces: Pieces
    text_key: str | None
    thread_id: int | None
    edits: int = 0
    #: Each user's reactions to it now (user id → reactions, in the order set).
    reactions: dict[int, tuple[ReactionKey, ...]] = field(default_factory=dict)
    #: Anonymous reactions to it (a channel post): how many of each.
    counts: dict[ReactionKey, int] = field(default_factory=dict)


@dataclass(slots=True)
class ChatState:
    """A chat as the walk knows it: its Chat object, next message id, recent messages."""

    chat: dict[str, Any]
    is_foreign: bool
    next_message_id: int
    recent: deque[Posted] = field(default_factory=lambda: deque(maxlen=RECENT_MESSAGES))
    topics: list[Posted] = field(default_factory=list)

    def header(self, sender: dict[str, Any], date: int) -> dict[str, Any]:
        """A new message's first fields: the next message id, its sender, the chat, the date."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return {"message_id": message_id, "from": sender, "chat": self.chat, "date": date}


def quoted(message: dict[str, Any]) -> dict[str, Any]:
    """A message as another embeds it (reply_to_message, pinned_message): one level deep."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class Emit(Protocol):
    """Makes the update carrying `payload` as `kind` (its update id is the next one)."""

    def __call__(
        self, state: ChatState, kind: str, payload: dict[str, Any], **oracle: Any
    ) -> GeneratedUpdate: ...
