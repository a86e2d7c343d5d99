"""Membership of the generated group: who is in it, who joins and leaves, and the bot itself.

The group existed before the bot: its owner, two admins, the thirty most active
posters and a third of the lurkers are in it from the start. Over the walk people
join (by a named invite link such as "Instagram", approved after a join request,
added by a member, or directly), leave, are banned by an admin (and now and then
unbanned), and a few members are promoted. Joins outnumber the rest, so the group
grows; part of the newcomers leave again. Most who leave, and all who stay
banned, never come back: new people take their place in the pool of 200, which
keeps memory bounded (a very long walk fills the group and then stays about full).
Only members post (the walk asks `present`), so everyone's join comes before their
first post.

Each change comes as Telegram sends it to a bot that is an admin: a `chat_member`
update (the old and new ChatMember, who did it, the invite link) and, for joins,
leaves and removals, the `new_chat_members` / `left_chat_member` service message
in the chat (with the legacy `new_chat_participant` / `left_chat_participant`
copies Telegram still adds). Shapes follow telegram-bot-api's serialisers and the
captures in tests/events/real/ (chat_member_*, my_chat_member_*, new_chat_members_*,
left_chat_member_*).

The bot: the walk opens with the owner adding it (`my_chat_member` left → member,
and its own join message) and promoting it to administrator a minute later. With
a known count it is demoted to a plain member from 55 % to 70 % of the updates and
promoted again: meanwhile Telegram sends it no `chat_member` and no reaction
updates (both are for admins only), only messages and service messages (its
privacy mode is assumed off, as an analytics bot's must be), so coverage shows a gap.
"""

from __future__ import annotations

import base64
import random
from collections import deque
from typing import Any, Final

from local.generator_people import Clock, Members
from local.generator_state import ChatState, Emit, GeneratedUpdate, MemberChange, Posted
from local.generator_words import ADMIN_TITLES, BOT_FIRST_NAME, BOT_USERNAME, INVITE_LINK_NAMES

BOT_ID: Final = 6_512_345_678
BOT_USER: Final = {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME,
                   "username": BOT_USERNAME}  # fmt: skip

#: What a membership change is, and how often: joins outnumber leaves and bans, so the
#: group grows over the walk (busy Brazilian sales groups gain members most days).
_CHANGE_WEIGHTS: Final = {"join": 0.62, "leave": 0.22, "ban": 0.11, "promote": 0.05}
#: How people join (functions.members.JOIN_SOURCES).
_JOIN_WEIGHTS: Final = {"invite_link": 0.40, "join_request": 0.12, "added": 0.20, "direct": 0.28}
_FOUNDING_POSTERS: Final = 30
_FOUNDING_LURKER_SHARE: Final = 1 / 3
_TWO_ADDED_SHARE: Final = 0.25  # a member adding two people at once
_UNBAN_SHARE: Final = 0.30  # an admin lifting a ban minutes later ("remove, don't ban")
_NEVER_BACK_SHARE: Final = 0.7  # of those who leave; new people take their place
_NEWCOMER_LEAVE_SHARE: Final = 0.5  # leavers and bans that are recent joiners
_MAX_ADMINS: Final = 5
#: The bot is a plain member for this stretch of a walk of known count (shares of it),
#: when the count is at least _GAP_MIN_COUNT.
_DEMOTED: Final = (0.55, 0.70)
_GAP_MIN_COUNT: Final = 100


def _member(user: dict[str, Any], status: str = "member") -> dict[str, Any]:
    """A ChatMember with nothing but its status (member, left)."""
    return {"user": user, "status": status}


def _administrator(user: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    """ChatMemberAdministrator with the rights Telegram's apps grant by default."""
    member: dict[str, Any] = {
        "user": user,
        "status": "administrator",
        "can_be_edited": False,
        "can_manage_chat": True,
        "can_change_info": True,
        "can_delete_messages": True,
        "can_invite_users": True,
        "can_restrict_members": True,
        "can_pin_messages": True,
        "can_manage_topics": True,
        "can_promote_members": False,
        "can_manage_video_chats": True,
        "can_post_stories": True,
        "can_edit_stories": True,
        "can_delete_stories": True,
        "is_anonymous": False,
        "can_manage_voice_chats": True,
    }
    if title is not None:
        member["custom_title"] = title
    return member


def _invite_link(rng: random.Random, name: str, creator: dict[str, Any]) -> dict[str, Any]:
    """ChatInviteLink as a bot that did not create it sees it: the link cut short with "..."."""
    token = base64.urlsafe_b64encode(rng.randbytes(3)).decode("ascii")
    return {"invite_link": f"https://t.me/+{token}...", "name": name, "creator": creator,
            "creates_join_request": False, "is_primary": False, "is_revoked": False}  # fmt: skip


class Membership:
    """The main group's membership over one walk, and the updates its changes give."""

    def __init__(
        self,
        rng: random.Random,
        members: Members,
        clock: Clock,
        state: ChatState,
        emit: Emit,
        *,
        total: int | None,
        bot_changes: bool,
    ) -> None:
        self.rng, self.members, self.clock, self.state, self.emit = rng, members, clock, state, emit
        posters, lurkers = members.users, members.lurkers
        self.owner = posters[0]
        self.admins = {u["id"]: _administrator(u) for u in posters[1:3]}
        founders = posters[:_FOUNDING_POSTERS]
        founders += rng.sample(lurkers, round(len(lurkers) * _FOUNDING_LURKER_SHARE))
        self.present = {u["id"] for u in founders}
        self.newcomers: deque[int] = deque(maxlen=50)
        staff = [self.owner, *(m["user"] for m in self.admins.values())]
        self.links = [_invite_link(rng, name, rng.choice(staff)) for name in INVITE_LINK_NAMES]
        self.bot_is_admin = not bot_changes
        self.opening = bot_changes
        self.gap: list[int] = []
        if bot_changes and total is not None and total >= _GAP_MIN_COUNT:
            self.gap = [int(total * share) for share in _DEMOTED]

    # -- the bot ------------------------------------------------------------------

    def due(self, position: int) -> list[GeneratedUpdate]:
        """The bot's own changes due before the update at `position` (0 = the first)."""
        if self.opening:
            self.opening = False
            date = self.clock.tick()
            added = self._bot_change(_member(BOT_USER, "left"), _member(BOT_USER), date, "joined")
            joined = self._service(self.owner, date, [BOT_USER], "added")
            return [added, joined, self._bot_promotion(self.clock.after(self.rng.randint(20, 180)))]
        if not self.gap or position < self.gap[0]:
            return []
        self.gap.pop(0)
        if not self.bot_is_admin:
            return [self._bot_promotion(self.clock.tick())]
        self.bot_is_admin = False
        demoted = (_administrator(BOT_USER), _member(BOT_USER))
        return [self._bot_change(*demoted, self.clock.tick(), "demoted")]

    def _bot_promotion(self, date: int) -> GeneratedUpdate:
        self.bot_is_admin = True
        return self._bot_change(_member(BOT_USER), _administrator(BOT_USER), date, "promoted")

    def _bot_change(
        self, old: dict[str, Any], new: dict[str, Any], date: int, event: str
    ) -> GeneratedUpdate:
        change = MemberChange(BOT_ID, event, "added" if event == "joined" else None)
        payload = self._change_payload(self.owner, old, new, date)
        return self.emit(self.state, "my_chat_member", payload, user_id=BOT_ID,
                         member_changes=(change,))  # fmt: skip

    # -- members ------------------------------------------------------------------

    def change(self) -> list[GeneratedUpdate]:
        """One membership change: the updates the bot gets for it (maybe none)."""
        kind = self.rng.choices(list(_CHANGE_WEIGHTS), weights=list(_CHANGE_WEIGHTS.values()))[0]
        date = self.clock.tick()
        if kind == "promote" and len(self.admins) < _MAX_ADMINS:
            return self._promote(date)
        if kind in ("leave", "ban") and self._removable():
            return self._remove(date, banned=kind == "ban")
        return self._join(date)

    def _removable(self) -> list[int]:
        return sorted(self.present - self.admins.keys() - {self.owner["id"]})

    def _join(self, date: int) -> list[GeneratedUpdate]:
        everyone = self.members.users + self.members.lurkers
        outside = [u for u in everyone if u["id"] not in self.present]
        if not outside:
            return self._remove(date, banned=False) if self._removable() else []
        how = self.rng.choices(list(_JOIN_WEIGHTS), weights=list(_JOIN_WEIGHTS.values()))[0]
        two = how == "added" and len(outside) > 1 and self.rng.random() < _TWO_ADDED_SHARE
        people = self.rng.sample(outside, 2 if two else 1)
        adder = self.members.pick(self.present) if how == "added" else None
        updates = []
        for person in people:
            extra: dict[str, Any] = {}
            actor = adder or person
            if how == "invite_link":
                extra["invite_link"] = self.rng.choice(self.links)
            elif how == "join_request":  # approved by an admin: the admin made the change
                actor = self._staff()
                extra["via_join_request"] = True
            change = MemberChange(person["id"], "joined", how)
            old, new = _member(person, "left"), _member(person)
            updates += self._member_update(actor, old, new, date, change, extra)
            self.present.add(person["id"])
            self.newcomers.append(person["id"])
        updates.append(
            self._service(adder or people[0], date, people, "added" if adder else "direct")
        )
        return updates

    def _remove(self, date: int, *, banned: bool) -> list[GeneratedUpdate]:
        candidates = self._removable()
        newcomers = [i for i in self.newcomers if i in candidates]
        if newcomers and self.rng.random() < _NEWCOMER_LEAVE_SHARE:
            user_id = newcomers[-1] if banned else self.rng.choice(newcomers)
        else:
            user_id = self.rng.choice(candidates)
        self.present.discard(user_id)
        person = self.members.by_id[user_id]
        if not banned:
            change = MemberChange(user_id, "left")
            updates = self._member_update(person, _member(person), _member(person, "left"), date,
                                          change)  # fmt: skip
            updates.append(self._service(person, date, [], "left", left=person))
            if self.rng.random() < _NEVER_BACK_SHARE:
                self.members.replace(user_id)
            return updates
        admin = self._staff()
        kicked = {"user": person, "status": "kicked", "until_date": 0}
        updates = self._member_update(admin, _member(person), kicked, date,
                                      MemberChange(user_id, "banned"))  # fmt: skip
        updates.append(self._service(admin, date, [], "removed", left=person))
        if self.rng.random() < _UNBAN_SHARE:
            later = self.clock.after(self.rng.randint(30, 900))
            unban = MemberChange(user_id, "unbanned")
            updates += self._member_update(admin, kicked, _member(person, "left"), later, unban)
        else:  # banned for good: never back, and someone new may come instead
            self.members.replace(user_id)
        return updates

    def _promote(self, date: int) -> list[GeneratedUpdate]:
        regulars = self.present & {u["id"] for u in self.members.users}
        candidates = regulars - self.admins.keys() - {self.owner["id"]}
        if not candidates:
            return self._join(date)
        person = self.members.pick(candidates)
        title = self.rng.choice(ADMIN_TITLES) if self.rng.random() < 0.5 else None
        self.admins[person["id"]] = new = _administrator(person, title)
        change = MemberChange(person["id"], "promoted")
        return self._member_update(self.owner, _member(person), new, date, change)

    def _staff(self) -> dict[str, Any]:
        """Who acts as an admin: the owner half the time, else one of the admins."""
        if self.rng.random() < 0.5:
            return self.owner
        user: dict[str, Any] = self.admins[self.rng.choice(sorted(self.admins))]["user"]
        return user

    # -- updates ------------------------------------------------------------------

    def _change_payload(
        self, actor: dict[str, Any], old: dict[str, Any], new: dict[str, Any], date: int
    ) -> dict[str, Any]:
        """ChatMemberUpdated, in telegram-bot-api's field order."""
        return {"chat": self.state.chat, "from": actor, "date": date, "old_chat_member": old,
                "new_chat_member": new}  # fmt: skip

    def _member_update(
        self,
        actor: dict[str, Any],
        old: dict[str, Any],
        new: dict[str, Any],
        date: int,
        change: MemberChange,
        extra: dict[str, Any] | None = None,
    ) -> list[GeneratedUpdate]:
        """The `chat_member` update of a change: only an admin bot gets one."""
        if not self.bot_is_admin:
            return []
        payload = {**self._change_payload(actor, old, new, date), **(extra or {})}
        update = self.emit(self.state, "chat_member", payload, user_id=change.user_id,
                           member_changes=(change,))  # fmt: skip
        return [update]

    def _service(
        self,
        sender: dict[str, Any],
        date: int,
        joined: list[dict[str, Any]],
        event: str,
        left: dict[str, Any] | None = None,
    ) -> GeneratedUpdate:
        """The service message of a join (`event` = its source) or a leave or removal."""
        message = self.state.header(sender, date)
        if left is None:
            # Telegram still adds the pre-2.0 single-member fields (the first member).
            message["new_chat_participant"] = message["new_chat_member"] = joined[0]
            message["new_chat_members"] = joined
            message_type = "new_chat_members"
            changes = tuple(MemberChange(u["id"], "joined", event) for u in joined)
        else:
            message["left_chat_participant"] = message["left_chat_member"] = left
            message_type = "left_chat_member"
            changes = (MemberChange(left["id"], event),)
        self.state.recent.append(Posted(message, message_type, (), None, None))
        return self.emit(self.state, "message", message, message_type=message_type,
                         member_changes=changes)  # fmt: skip
