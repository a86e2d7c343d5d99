"""Four months of four chats, told as what happened and sent as Telegram would send it.

`build_scenario(now)` plays a seeded story backwards from `now`: who joined which chat
and how (invite links with their creators, join requests, chat folders, added by a
member, directly), who left or was removed or banned, who posted when, who reacted
with what and took it back, a channel's anonymous reaction totals, and the bot's own
status in each chat (added as a member, promoted, kicked, added back). The events are
plain facts, for a test to compute its expectations from.

`scenario_updates()` turns them into the updates the bot receives: a join or leave as
a `chat_member` update while the bot is an admin of a chat that sends them, and as a
service message too (both sources, as Telegram does); a post as a `message` (a
`channel_post` in the channel); reactions as `message_reaction` /
`message_reaction_count`; the bot's status as `my_chat_member` (with its service
message in groups). Some updates are delivered twice, the copy arriving later, up to a
day later (at least once delivery). `write_scenario_lake()` shapes them with the
pipeline's own shapers and writes `messages`, `member_events` and `reactions` Parquet
partitioned by arrival day, as the delivery stream does.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.members import JOIN_SOURCES, member_rows
from functions.reactions import reaction_rows
from functions.rows import shape_row
from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS, Table
from tests.lake_files import write_rows

DAY = 86_400
WEEK = 7 * DAY
#: How far back the story starts.
SPAN_DAYS = 120
#: Retention marks: a join this many weeks before `now` is kept clear of it, so the test
#: and the query agree whether the mark has been reached.
RETENTION_WEEKS = (1, 4, 12)

#: (type, emoji or custom emoji id or None)
Reaction = tuple[str, str | None]
EMOJI = ("👍", "❤", "🔥", "😂", "🎉", "🤔", "👏")
CUSTOM: Reaction = ("custom_emoji", "5368324170671202286")
PAID: Reaction = ("paid", None)


@dataclass(frozen=True)
class Person:
    """A Telegram user."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def user(self) -> dict[str, Any]:
        """The Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user


@dataclass(frozen=True)
class Chat:
    """A group, supergroup or channel; `chat_member` says whether it sends chat_member updates
    while the bot is an admin (the bot asked for them in allowed_updates)."""

    id: int
    title: str
    type: str
    username: str | None = None
    chat_member: bool = True

    def chat(self) -> dict[str, Any]:
        """The Bot API Chat object."""
        chat: dict[str, Any] = {"id": self.id, "title": self.title, "type": self.type}
        if self.username is not None:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class InviteLink:
    """A chat's invite link, named by the admin who created it."""

    url: str
    name: str | None
    creator: Person
    join_request: bool = False


@dataclass(frozen=True)
class Join:
    """`person` joined `chat` at `at` by `source`; `by` added them (or approved the request)."""

    chat: Chat
    person: Person
    at: int
    source: str
    by: Person | None = None
    link: InviteLink | None = None


@dataclass(frozen=True)
class Leave:
    """`person` left `chat` (`how`: left, removed, banned), `by` an admin unless they left."""

    chat: Chat
    person: Person
    at: int
    how: str
    by: Person | None = None


@dataclass(frozen=True)
class Post:
    """A message; `person` is None for a channel post."""

    chat: Chat
    person: Person | None
    at: int
    message_id: int
    text: str


@dataclass(frozen=True)
class ReactionChange:
    """A user (or a chat, anonymously) changed their reactions to a message."""

    chat: Chat
    message_id: int
    at: int
    old: tuple[Reaction, ...]
    new: tuple[Reaction, ...]
    person: Person | None = None
    actor_chat: Chat | None = None


@dataclass(frozen=True)
class ReactionSnapshot:
    """A channel message's anonymous reaction totals."""

    chat: Chat
    message_id: int
    at: int
    counts: tuple[tuple[Reaction, int], ...]


@dataclass(frozen=True)
class BotStatus:
    """The bot's own status in `chat` changed from `old` to `new`, by `by`."""

    chat: Chat
    at: int
    old: str
    new: str
    by: Person


@dataclass
class Scenario:
    """The story's facts, in time order within each list."""

    now: int
    bot: Person
    chats: list[Chat]
    joins: list[Join] = field(default_factory=list)
    leaves: list[Leave] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    reactions: list[ReactionChange] = field(default_factory=list)
    snapshots: list[ReactionSnapshot] = field(default_factory=list)
    bot_statuses: list[BotStatus] = field(default_factory=list)

    def bot_status_at(self, chat: Chat, at: int) -> str:
        """The bot's status in `chat` at `at` ("left" before it was added)."""
        status = "left"
        for change in self.bot_statuses:
            if change.chat == chat and change.at <= at:
                status = change.new
        return status

    def sends_chat_member(self, chat: Chat, at: int) -> bool:
        """Whether a membership change in `chat` at `at` also arrives as a chat_member update."""
        return chat.chat_member and self.bot_status_at(chat, at) in ("administrator", "creator")


BOT = Person(7100000001, "Pipeline", "pipeline_bot", is_bot=True)
HELPER_BOT = Person(7100000002, "Ajudante", "ajudante_bot", is_bot=True)
PUBLIC = Chat(-1001234567890, "Vendas Brasil 🇧🇷", "supergroup", username="vendasbrasil")
PRIVATE = Chat(-1009876543210, "Achados e Promoções", "supergroup")
FAMILY = Chat(-4726613835, "Família Souza", "group", chat_member=False)
CHANNEL = Chat(-1001111111111, "Canal de Ofertas", "channel", username="canalofertas")

_NAMES = (
    "Ana", "João", "Maria", "Pedro", "Lucas", "Júlia", "Gabriel", "Beatriz", "Rafael",
    "Larissa", "Mateus", "Camila", "Felipe", "Aline", "Bruno", "Letícia", "Thiago",
    "Fernanda", "Rodrigo", "Patrícia", "Diego", "Vanessa", "Marcelo", "Renata", "André",
    "Sofia", "Gustavo", "Helena", "Caio", "Isabela", "Vitor", "Manuela", "Daniel",
    "Lorena", "Eduardo", "Clara", "Leandro", "Bianca", "Otávio", "Yasmin",
)  # fmt: skip
_LANGUAGES = ("pt-br", "pt-br", "pt-br", "pt-br", "en", "es", None)
_WORDS = (
    "bom", "dia", "alguém", "tem", "promoção", "frete", "grátis", "link", "obrigado",
    "valeu", "chegou", "hoje", "preço", "caiu", "olha", "isso", "comprei", "recomendo",
)  # fmt: skip


def _people(rng: random.Random) -> list[Person]:
    people = []
    for index, name in enumerate(_NAMES):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        username = f"{ascii_name.lower()}{index}" if index % 3 else None
        people.append(Person(7000000100 + index, name, username, rng.choice(_LANGUAGES)))
    return people


class _Story:
    """The seeded story: members of each chat over time, and what they do."""

    def __init__(self, now: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - SPAN_DAYS * DAY
        self.people = _people(self.rng)
        self.admins = {PUBLIC: self.people[0], PRIVATE: self.people[1], FAMILY: self.people[2]}
        # People who react but never post, and a family who post but are in no other chat.
        self.lurkers = frozenset(self.people[30:34])
        self.family_only = frozenset(self.people[34:])
        self.scenario = Scenario(now, BOT, [PUBLIC, PRIVATE, FAMILY, CHANNEL])
        self.message_ids: dict[Chat, int] = defaultdict(lambda: 100)
        self.members: dict[Chat, set[Person]] = {}
        self.links = {
            PUBLIC: [
                InviteLink("https://t.me/+Vd1aXkQ2", "Instagram", self.people[0]),
                InviteLink("https://t.me/+Vd3bYkR5", "Site", self.people[3]),
                InviteLink("https://t.me/+Vd7cZkS8", "Aprovação", self.people[0], True),
            ],
            PRIVATE: [
                InviteLink("https://t.me/+Ac2dWlT1", None, self.people[1]),
                InviteLink("https://t.me/+Ac5eVlU4", "Amigos", self.people[4], True),
            ],
            FAMILY: [InviteLink("https://t.me/+Fm9fUmV7", None, self.people[2])],
        }

    def when(self, earliest: int, latest: int) -> int:
        """A moment between the two, kept a few minutes off a local-day edge in UTC and São
        Paulo and off a retention mark (the test and the query must agree on which side it
        falls). The random draw does not depend on `now`, so neither does the story."""
        at = self.rng.randint(earliest, max(earliest, latest))
        step = 301 if at + 1800 <= latest else -301  # one way: an edge is at most 20 min wide
        while self._near_an_edge(at):
            at += step
        return at

    def _near_an_edge(self, at: int) -> bool:
        second_of_day = at % DAY
        near_midnight = any(
            min((second_of_day - edge) % DAY, (edge - second_of_day) % DAY) < 120
            for edge in (0, 3 * 3600)
        )
        near_mark = any(abs(self.now - weeks * WEEK - at) < 600 for weeks in RETENTION_WEEKS)
        return near_midnight or near_mark

    def next_message_id(self, chat: Chat) -> int:
        self.message_ids[chat] += 1
        return self.message_ids[chat]

    def play(self) -> Scenario:
        s = self.scenario

        # The bot: an admin of the public group and the channel from the start; a member
        # of the private group, promoted later, kicked out near the end and added back as
        # an admin; a member of the family group throughout.
        def day(back: int) -> int:
            return self.when(self.now - back * DAY, self.now - back * DAY + 12 * 3600)

        s.bot_statuses += [
            BotStatus(CHANNEL, day(119), "left", "administrator", self.people[0]),
            BotStatus(FAMILY, day(119), "left", "member", self.people[2]),
            BotStatus(PUBLIC, day(118), "left", "administrator", self.people[0]),
            BotStatus(PRIVATE, day(100), "left", "member", self.people[1]),
            BotStatus(PRIVATE, day(40), "member", "administrator", self.people[1]),
            BotStatus(PRIVATE, day(6), "administrator", "kicked", self.people[1]),
            BotStatus(PRIVATE, day(3), "kicked", "administrator", self.people[1]),
        ]
        s.bot_statuses.sort(key=lambda change: change.at)
        for chat, count in ((PUBLIC, 14), (PRIVATE, 10)):
            self.members[chat] = set(self.rng.sample(self.people[:20], count))
            self.members[chat].add(self.admins[chat])
        self.members[PUBLIC] |= self.lurkers
        self.members[FAMILY] = {*self.family_only, self.admins[FAMILY]}
        for chat in (PUBLIC, PRIVATE, FAMILY):
            self._memberships(chat)
        self._posts()
        self._reactions()
        self._snapshots()
        for facts in (s.joins, s.leaves, s.posts, s.reactions, s.snapshots):
            facts.sort(key=lambda fact: fact.at)  # type: ignore[attr-defined]
        return s

    def _present(self, chat: Chat, at: int) -> bool:
        """Whether the bot is in the chat (only then does anything arrive from it)."""
        return self.scenario.bot_status_at(chat, at) in ("member", "administrator")

    def _memberships(self, chat: Chat) -> None:
        s = self.scenario
        rng = self.rng
        outsiders = [
            p
            for p in self.people
            if p not in self.members[chat] and (chat is FAMILY or p not in self.family_only)
        ] + [HELPER_BOT]
        rng.shuffle(outsiders)
        joins = {PUBLIC: 24, PRIVATE: 16, FAMILY: 8}[chat]
        # Every source and every way out at least once in the public group, then at random.
        first = list(JOIN_SOURCES) if chat is PUBLIC else []
        hows = ["left", "removed", "banned"] if chat is PUBLIC else []
        for person in outsiders[:joins]:
            at = self.when(self.start + 2 * DAY, self.now - 3600)
            if not self._present(chat, at):
                continue
            source = (
                first.pop()
                if first
                else rng.choices(
                    JOIN_SOURCES, weights=(5, 2, 1, 3, 2) if chat is not FAMILY else (3, 0, 0, 3, 2)
                )[0]
            )
            by: Person | None = None
            link = None
            if source in ("invite_link", "join_request"):
                candidates = [
                    x for x in self.links[chat] if x.join_request == (source == "join_request")
                ]
                if not candidates:
                    source = "invite_link"
                    candidates = [x for x in self.links[chat] if not x.join_request]
                link = rng.choice(candidates)
                by = link.creator if source == "join_request" else None
            elif source == "added":
                by = rng.choice(sorted(self.members[chat], key=lambda p: p.id))
            s.joins.append(Join(chat, person, at, source, by, link))
            self.members[chat].add(person)
            # Some leave again, by themselves or not.
            if rng.random() < 0.3:
                gone = self.when(at + 600, self.now - 600)
                if self._present(chat, gone):
                    how = hows.pop() if hows else rng.choice(("left", "left", "removed", "banned"))
                    actor = None if how == "left" else self.admins[chat]
                    s.leaves.append(Leave(chat, person, gone, how, actor))
        # Some of the founding members leave too.
        for person in sorted(self.members[chat], key=lambda p: p.id)[:3]:
            if person is self.admins[chat]:
                continue
            gone = self.when(self.start + 5 * DAY, self.now - 600)
            if self._present(chat, gone) and not any(
                x.person == person and x.chat == chat for x in s.joins
            ):
                s.leaves.append(Leave(chat, person, gone, "left"))

    def member_at(self, chat: Chat, person: Person, at: int) -> bool:
        """Whether `person` is a member of `chat` at `at`, from the story so far."""
        joined = [x.at for x in self.scenario.joins if x.chat == chat and x.person == person]
        left = [x.at for x in self.scenario.leaves if x.chat == chat and x.person == person]
        if not joined:
            return person in self.members[chat] and not any(t <= at for t in left)
        events = sorted([(t, True) for t in joined] + [(t, False) for t in left])
        state = False
        for when, joining in events:
            if when <= at:
                state = joining
        return state

    def _posts(self) -> None:
        rng = self.rng
        for chat, per_day in ((PUBLIC, 9), (PRIVATE, 6), (FAMILY, 3), (CHANNEL, 1)):
            for back in range(SPAN_DAYS):
                for _ in range(rng.randint(0, 2 * per_day)):
                    at = self.when(self.now - (back + 1) * DAY, self.now - back * DAY - 120)
                    if at >= self.now - 120 or not self._present(chat, at):
                        continue
                    person = None if chat is CHANNEL else self._poster(chat, at)
                    if chat is not CHANNEL and person is None:
                        continue
                    text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 30)))
                    message_id = self.next_message_id(chat)
                    self.scenario.posts.append(Post(chat, person, at, message_id, text))

    def _poster(self, chat: Chat, at: int, *, reacting: bool = False) -> Person | None:
        """A member at `at`, the first ones more often (a few people post most); lurkers
        only react."""
        candidates = sorted(
            (p for p in {*self.members[chat], *(x.person for x in self.scenario.joins)}
             if not p.is_bot and self.member_at(chat, p, at)
             and (reacting or p not in self.lurkers)),
            key=lambda p: p.id,
        )  # fmt: skip
        if not candidates:
            return None
        weights = [
            1 / (1 + index) ** (0.2 if reacting else 0.8) for index in range(len(candidates))
        ]
        return self.rng.choices(candidates, weights=weights)[0]

    def _reactions(self) -> None:
        rng = self.rng
        s = self.scenario
        holding: dict[tuple[Chat, int, int], tuple[Reaction, ...]] = {}
        for post in [p for p in s.posts if p.chat in (PUBLIC, PRIVATE)]:
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5))):
                at = self.when(post.at + 30, min(post.at + 2 * DAY, self.now - 60))
                if s.bot_status_at(post.chat, at) != "administrator":
                    continue
                reactor = self._poster(post.chat, at, reacting=True)
                if reactor is None:
                    continue
                key = (post.chat, post.message_id, reactor.id)
                old = holding.get(key, ())
                roll = rng.random()
                if old and roll < 0.25:
                    new: tuple[Reaction, ...] = ()  # taken back
                elif roll < 0.05:
                    new = (CUSTOM,)
                elif roll < 0.08:
                    new = (PAID,)
                elif roll < 0.15:
                    new = (("emoji", rng.choice(EMOJI)), ("emoji", rng.choice(EMOJI)))
                else:
                    new = (("emoji", rng.choices(EMOJI, weights=(8, 6, 4, 3, 2, 1, 1))[0]),)
                new = tuple(dict.fromkeys(new))
                if new == old:
                    continue
                holding[key] = new
                s.reactions.append(
                    ReactionChange(post.chat, post.message_id, at, old, new, reactor)
                )
            # Now and then the group itself reacts, anonymously.
            if rng.random() < 0.03:
                at = self.when(post.at + 30, min(post.at + DAY, self.now - 60))
                if s.bot_status_at(post.chat, at) == "administrator":
                    s.reactions.append(
                        ReactionChange(
                            post.chat, post.message_id, at, (), (("emoji", "👏"),), None, post.chat
                        )
                    )

    def _snapshots(self) -> None:
        rng = self.rng
        for post in [p for p in self.scenario.posts if p.chat is CHANNEL]:
            totals: dict[Reaction, int] = {}
            at = post.at
            for _ in range(rng.randint(0, 4)):
                at = self.when(at + 60, min(at + DAY, self.now - 60))
                if at >= self.now - 60:
                    break
                for emoji in rng.sample(EMOJI[:4], rng.randint(1, 3)):
                    totals[("emoji", emoji)] = totals.get(("emoji", emoji), 0) + rng.randint(1, 9)
                if rng.random() < 0.1:
                    totals = {}  # every reaction taken back
                counts = tuple((key, count) for key, count in totals.items() if count > 0)
                self.scenario.snapshots.append(
                    ReactionSnapshot(CHANNEL, post.message_id, at, counts)
                )


def build_scenario(now: int, seed: int = 16) -> Scenario:
    """The story for the `SPAN_DAYS` days before `now` (epoch seconds)."""
    return _Story(now, seed).play()


# -- the updates -------------------------------------------------------------------------------


def _reaction_type(key: Reaction) -> dict[str, Any]:
    kind, value = key
    if kind == "emoji":
        return {"type": "emoji", "emoji": value}
    if kind == "custom_emoji":
        return {"type": "custom_emoji", "custom_emoji_id": value}
    return {"type": "paid"}


def _status_change(
    kind: str, chat: Chat, at: int, user: Person, old: str, new: str, by: Person
) -> dict[str, Any]:
    return {
        kind: {
            "chat": chat.chat(),
            "from": by.user(),
            "date": at,
            "old_chat_member": {"user": user.user(), "status": old},
            "new_chat_member": {"user": user.user(), "status": new},
        }
    }


def _service(chat: Chat, at: int, message_id: int, sender: Person, **fields: Any) -> dict[str, Any]:
    return {
        "message": {
            "message_id": message_id,
            "from": sender.user(),
            "chat": chat.chat(),
            "date": at,
            **fields,
        }
    }


def _join_updates(s: Scenario, join: Join, message_id: int) -> list[dict[str, Any]]:
    updates = []
    if s.sends_chat_member(join.chat, join.at):
        by = join.by if join.source in ("added", "join_request") else join.person
        assert by is not None
        update = _status_change(
            "chat_member", join.chat, join.at, join.person, "left", "member", by
        )
        body = update["chat_member"]
        if join.link is not None:
            body["invite_link"] = {
                "invite_link": join.link.url[:22] + "...",
                "creator": join.link.creator.user(),
                "creates_join_request": join.link.join_request,
                "is_primary": False,
                "is_revoked": False,
                **({"name": join.link.name} if join.link.name else {}),
            }
        if join.source == "join_request":
            body["via_join_request"] = True
        if join.source == "chat_folder":
            body["via_chat_folder_invite_link"] = True
        updates.append(update)
    sender = join.by if join.source == "added" else join.person
    assert sender is not None
    updates.append(
        _service(join.chat, join.at, message_id, sender, new_chat_members=[join.person.user()])
    )
    return updates


def _leave_updates(s: Scenario, leave: Leave, message_id: int) -> list[dict[str, Any]]:
    updates = []
    by = leave.by or leave.person
    if s.sends_chat_member(leave.chat, leave.at):
        new = "kicked" if leave.how == "banned" else "left"
        updates.append(
            _status_change("chat_member", leave.chat, leave.at, leave.person, "member", new, by)
        )
    updates.append(
        _service(leave.chat, leave.at, message_id, by, left_chat_member=leave.person.user())
    )
    return updates


def _bot_updates(s: Scenario, change: BotStatus, message_id: int) -> list[dict[str, Any]]:
    updates = [
        _status_change(
            "my_chat_member", change.chat, change.at, s.bot, change.old, change.new, change.by
        )
    ]
    if change.chat.type == "channel":
        return updates
    if change.old in ("left", "kicked") and change.new in ("member", "administrator"):
        updates.append(
            _service(change.chat, change.at, message_id, change.by, new_chat_members=[s.bot.user()])
        )
    elif change.new in ("left", "kicked"):
        updates.append(
            _service(change.chat, change.at, message_id, change.by, left_chat_member=s.bot.user())
        )
    return updates


def _post_update(post: Post) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": post.message_id,
        "chat": post.chat.chat(),
        "date": post.at,
        "text": post.text,
    }
    if post.person is not None:
        body["from"] = post.person.user()
        return {"message": body}
    body["sender_chat"] = post.chat.chat()
    return {"channel_post": body}


def _reaction_update(change: ReactionChange) -> dict[str, Any]:
    body: dict[str, Any] = {
        "chat": change.chat.chat(),
        "message_id": change.message_id,
        "date": change.at,
        "old_reaction": [_reaction_type(key) for key in change.old],
        "new_reaction": [_reaction_type(key) for key in change.new],
    }
    if change.person is not None:
        body["user"] = change.person.user()
    if change.actor_chat is not None:
        body["actor_chat"] = change.actor_chat.chat()
    return {"message_reaction": body}


def _snapshot_update(snapshot: ReactionSnapshot) -> dict[str, Any]:
    return {
        "message_reaction_count": {
            "chat": snapshot.chat.chat(),
            "message_id": snapshot.message_id,
            "date": snapshot.at,
            "reactions": [
                {"type": _reaction_type(key), "total_count": count}
                for key, count in snapshot.counts
            ],
        }
    }


@dataclass(frozen=True)
class Delivery:
    """One update as it arrived: its body and when (epoch milliseconds)."""

    update: dict[str, Any]
    received_ms: int

    @property
    def dt(self) -> str:
        """The arrival day (UTC): the partition it lands in."""
        return dt.datetime.fromtimestamp(self.received_ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def scenario_updates(s: Scenario, seed: int = 16) -> list[Delivery]:
    """Every update the story sends, with update_ids in time order; some delivered twice."""
    rng = random.Random(seed)
    message_ids: dict[int, int] = defaultdict(lambda: 500_000)

    def service_id(chat: Chat) -> int:
        message_ids[chat.id] += 1
        return message_ids[chat.id]

    timed: list[tuple[int, int, dict[str, Any]]] = []
    sources: Iterable[tuple[int, list[dict[str, Any]]]] = [
        *((x.at, _join_updates(s, x, service_id(x.chat))) for x in s.joins),
        *((x.at, _leave_updates(s, x, service_id(x.chat))) for x in s.leaves),
        *((x.at, _bot_updates(s, x, service_id(x.chat))) for x in s.bot_statuses),
        *((x.at, [_post_update(x)]) for x in s.posts),
        *((x.at, [_reaction_update(x)]) for x in s.reactions),
        *((x.at, [_snapshot_update(x)]) for x in s.snapshots),
    ]
    for at, updates in sources:
        for update in updates:
            timed.append((at, len(timed), update))
    deliveries = []
    for update_id, (at, _, update) in enumerate(sorted(timed, key=lambda t: (t[0], t[1]))):
        body = {"update_id": 800_000_000 + update_id, **update}
        received = at * 1000 + rng.randint(150, 2500)
        deliveries.append(Delivery(body, received))
        if rng.random() < 0.06:
            # Redelivered: the same update again, minutes to a day later.
            later = received + rng.choice((90_000, 3_600_000, 86_400_000))
            if later < s.now * 1000:
                deliveries.append(Delivery(body, later))
    return deliveries


_SHAPERS: Sequence[tuple[Table, Any]] = (
    (MESSAGES, lambda update, ms: [row] if (row := shape_row(update, ms)) else []),
    (MEMBER_EVENTS, member_rows),
    (REACTIONS, reaction_rows),
)


def write_scenario_lake(lake: Path, deliveries: Sequence[Delivery]) -> dict[str, int]:
    """Each table's rows, shaped by the pipeline's shapers, one Parquet object per arrival
    day (copies in one of their own); the number of rows written per table."""
    written: dict[str, int] = {}
    for table, shaper in _SHAPERS:
        by_day: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
        seen: set[int] = set()
        for delivery in deliveries:
            update_id = delivery.update["update_id"]
            copy = update_id in seen
            seen.add(update_id)
            by_day[(delivery.dt, copy)] += shaper(delivery.update, delivery.received_ms)
        for (day, copy), rows in sorted(by_day.items()):
            if rows:
                name = f"{table.name}-1-{day}-{'b' if copy else 'a'}.parquet"
                write_rows(lake, table, day, name, rows)
        written[table.name] = sum(len(rows) for rows in by_day.values())
    return written
