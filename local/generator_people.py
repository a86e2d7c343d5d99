"""Who posts in the generated group, and when: its members and its clock.

Fifty members with Brazilian names (some without a last name or a username, as
in any group), a few of whom post most of the messages; send times over São
Paulo days, busy at lunch and in the evening, quiet at night and a little quieter
at weekends; and where a forwarded message came from.
"""

from __future__ import annotations

import random
from typing import Any, Final

from local.generator_text import ascii_slug
from local.generator_words import FIRST_NAMES, LANGUAGE_CODES, LAST_NAMES

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
_MEMBERS: Final = 50


class Members:
    """The group's members (Bot API User objects) and how often each posts."""

    def __init__(self, rng: random.Random, count: int = _MEMBERS) -> None:
        self.rng = rng
        self.users = _make_users(rng, count)
        self.usernames = [u["username"] for u in self.users if "username" in u]
        # A few members post most of the messages, as in any group.
        self.weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(self.users))]

    def pick(self) -> dict[str, Any]:
        """A member, the active ones more often."""
        return self.rng.choices(self.users, weights=self.weights)[0]


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
        channel = {"id": -1001111111111, "title": "Canal de Ofertas", "type": "channel"}
        return {"type": "channel", "chat": channel, "message_id": rng.randint(100, 5000),
                "date": origin_date}  # fmt: skip
    chat = {"id": -1002222222222, "title": "Grupo de Revenda", "type": "supergroup"}
    return {"type": "chat", "sender_chat": chat, "date": origin_date}
