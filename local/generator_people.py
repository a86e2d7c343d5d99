"""Who posts in the generated group, and when: its members and its clock.

Fifty posters with Brazilian names (some without a last name or a username, as
in any group), a few of whom post most of the messages, and three times as many
lurkers who never post but join, leave and react; a few of either have Telegram
Premium. Send times over São Paulo days, busy at lunch and in the evening, quiet
at night and a little quieter at weekends; and where a forwarded message came from.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any, Final

from local.generator_text import ascii_slug
from local.generator_words import FIRST_NAMES, LANGUAGE_CODES, LAST_NAMES, LINKED_CHANNEL_TITLE

#: Brazil has had no daylight saving time since 2019, so a fixed offset is exact
#: for these dates and needs no tz database.
SAO_PAULO_UTC_OFFSET_SECONDS: Final = -3 * 3600
#: Hour-of-day activity in São Paulo (0-23), 1.0 = the busiest hours.
_HOURLY_ACTIVITY: Final = (
    0.15, 0.06, 0.02, 0.02, 0.02, 0.02, 0.10, 0.30, 0.60, 0.80, 0.90, 0.95,
    1.00, 0.90, 0.80, 0.80, 0.80, 0.85, 0.90, 1.00, 1.00, 0.90, 0.60, 0.35,
)  # fmt: skip
_WEEKEND_ACTIVITY: Final = 0.75
#: Mean seconds between messages at the busiest hour (~900 messages a day).
_PEAK_MEAN_GAP_SECONDS: Final = 60.0
#: The group's linked channel as Telegram shows a channel (a private one: no username).
LINKED_CHANNEL_ID: Final = -1001111111111
LINKED_CHANNEL: Final = {"id": LINKED_CHANNEL_ID, "title": LINKED_CHANNEL_TITLE, "type": "channel"}
_MEMBERS: Final = 50
#: People who read and react but never post: most of any group's members.
_LURKERS: Final = 150
#: Share of people with Telegram Premium (its badge `is_premium`, custom emoji reactions).
#: An assumption: the Premium subscribers Telegram has announced are of the order of
#: 1 % of its monthly users; active members of busy groups have it more often.
_PREMIUM_SHARE: Final = 0.05


class Members:
    """The people (Bot API User objects): who posts and how often, who only reads."""

    def __init__(self, rng: random.Random, count: int = _MEMBERS, lurkers: int = _LURKERS) -> None:
        self.rng = rng
        everyone = _make_users(rng, count + lurkers)
        self.users = everyone[:count]
        self.lurkers = everyone[count:]
        self.by_id = {user["id"]: user for user in everyone}
        self.usernames = [u["username"] for u in self.users if "username" in u]
        # A few members post most of the messages, as in any group.
        self.weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(self.users))]

    def pick(self, among: Collection[int] | None = None) -> dict[str, Any]:
        """A poster, the active ones more often; only one whose id is `among` when given
        (which must hold a poster: the group's owner never leaves)."""
        for _ in range(20):
            user = self.rng.choices(self.users, weights=self.weights)[0]
            if among is None or user["id"] in among:
                return user
        # Most of the active posters are away: draw among the ones who are there.
        assert among is not None
        present = [
            (u, w) for u, w in zip(self.users, self.weights, strict=True) if u["id"] in among
        ]
        user = self.rng.choices([u for u, _ in present], weights=[w for _, w in present])[0]
        return user

    def replace(self, user_id: int) -> dict[str, Any]:
        """Someone new in the place of a person gone for good (banned, or left never to
        return): the pool keeps its size and the newcomer takes the poster's rank."""
        gone = self.by_id.pop(user_id)
        new = _make_users(self.rng, 1)[0]
        while new["id"] in self.by_id:
            new = _make_users(self.rng, 1)[0]
        self.by_id[new["id"]] = new
        for people in (self.users, self.lurkers):
            if gone in people:
                people[people.index(gone)] = new
        self.usernames = [u["username"] for u in self.users if "username" in u]
        return new

    def reactor(self, among: Collection[int] | None = None) -> dict[str, Any]:
        """Someone reacting: a lurker almost half the time, else a poster."""
        if self.rng.random() < 0.45:
            lurkers = [u for u in self.lurkers if among is None or u["id"] in among]
            if lurkers:
                return self.rng.choice(lurkers)
        return self.pick(among)


def _make_users(rng: random.Random, count: int) -> list[dict[str, Any]]:
    ids = rng.sample(range(100_000_000, 7_999_999_999), count)
    codes = [code for code, _ in LANGUAGE_CODES]
    code_weights = [weight for _, weight in LANGUAGE_CODES]
    users: list[dict[str, Any]] = []
    for user_id in ids:
        first = rng.choice(FIRST_NAMES)
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
        last = rng.choice(LAST_NAMES)
        if rng.random() < 0.7:
            user["last_name"] = last
        if rng.random() < 0.6:
            user["username"] = f"{ascii_slug(first)}_{ascii_slug(last)}{rng.randint(1, 99)}"
        code = rng.choices(codes, weights=code_weights)[0]
        if code is not None:
            user["language_code"] = code
        if rng.random() < _PREMIUM_SHARE:
            user["is_premium"] = True  # Telegram leaves the field out when false
        users.append(user)
    return users


def activity(moment: int) -> float:
    """How busy the group is at a moment (epoch seconds), 1.0 at the busiest hours."""
    local = moment + SAO_PAULO_UTC_OFFSET_SECONDS
    hour = local // 3600 % 24
    weekday = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return _HOURLY_ACTIVITY[hour] * (_WEEKEND_ACTIVITY if weekday >= 5 else 1.0)


class Clock:
    """Send times (epoch seconds), ascending, denser in the busy hours."""

    def __init__(self, rng: random.Random, start: int) -> None:
        self.rng = rng
        self.now = start

    def after(self, seconds: int) -> int:
        """A moment `seconds` after the last one (what follows an event), now the last."""
        self.now += seconds
        return self.now

    def tick(self) -> int:
        """The next send time."""
        # Thinning of a Poisson process: propose gaps at the peak rate, keep a
        # moment with the probability of that hour's activity.
        moment = self.now
        while True:
            moment += max(1, round(self.rng.expovariate(1.0 / _PEAK_MEAN_GAP_SECONDS)))
            if self.rng.random() < activity(moment):
                self.now = moment
                return moment


def forward_origin(rng: random.Random, members: Members, date: int) -> dict[str, Any]:
    """Where a forwarded message first came from: a member, a hidden user, a channel, a chat."""
    origin_date = date - rng.randint(60, 7 * 86400)
    kind = rng.choices(("user", "hidden_user", "channel", "chat"), weights=(5, 2, 4, 1))[0]
    if kind == "user":
        return {"type": "user", "sender_user": members.pick(), "date": origin_date}
    if kind == "hidden_user":
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return {"type": "hidden_user", "sender_user_name": name, "date": origin_date}
    if kind == "channel":
        return {"type": "channel", "chat": LINKED_CHANNEL, "message_id": rng.randint(100, 5000),
                "date": origin_date}  # fmt: skip
    chat = {"id": -1002222222222, "title": "Grupo de Revenda", "type": "supergroup"}
    return {"type": "chat", "sender_chat": chat, "date": origin_date}
