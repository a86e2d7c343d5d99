"""The membership shaper: one update → its `member_events` rows (plain dicts).

Pure and total, like the messages shaper: any decoded JSON gives a list of rows
(empty when the update changes no membership), never an exception.

Sources, each kept with `update_type`:
- `chat_member` (other members; the bot must be an admin and ask for it in
  `allowed_updates`) and `my_chat_member` (the bot itself): old and new status,
  who made the change, the invite link, join requests and chat folder links;
- the `new_chat_members` / `left_chat_member` service messages (any bot that sees
  messages): one row per member; the status change they imply (member / left).

Where a chat sends both, each change comes twice; the `member_changes` view keeps
one source per chat (docs/engagement.md).
"""

from __future__ import annotations

from typing import Any, Final

from functions.rows import (
    chat_columns,
    format_timestamp_ms,
    string_or_none,
    timestamp_from_seconds,
    user_columns,
)
from functions.telegram import as_int64, as_object, update_id

MEMBER_UPDATE_KINDS: Final = ("chat_member", "my_chat_member")
#: Statuses that are membership (ChatMemberRestricted counts only with is_member).
MEMBER_STATUSES: Final = frozenset({"creator", "administrator", "member"})
ADMIN_STATUSES: Final = frozenset({"creator", "administrator"})
EVENTS: Final = (
    "joined",
    "left",
    "removed",
    "banned",
    "unbanned",
    "promoted",
    "demoted",
    "restricted",
    "unrestricted",
    "changed",
)
JOIN_SOURCES: Final = ("invite_link", "join_request", "chat_folder", "added", "direct")


def is_member(chat_member: dict[str, Any]) -> bool | None:
    """Whether a ChatMember is in the chat; None when the status is missing."""
    status = chat_member.get("status")
    if not isinstance(status, str):
        return None
    if status == "restricted":
        return chat_member.get("is_member") is True
    return status in MEMBER_STATUSES


def event_name(
    old_status: str | None,
    new_status: str | None,
    was: bool | None,
    now: bool | None,
    by_self: bool,
) -> str:
    """What happened, from the two statuses and whether the member did it themselves."""
    if not was and now:
        return "joined"
    if was and not now:
        if new_status == "kicked":
            return "banned"
        return "left" if by_self else "removed"
    if not was and not now:
        if old_status == "kicked" and new_status != "kicked":
            return "unbanned"
        return "banned" if new_status == "kicked" and old_status != "kicked" else "changed"
    if new_status in ADMIN_STATUSES and old_status not in ADMIN_STATUSES:
        return "promoted"
    if old_status in ADMIN_STATUSES and new_status not in ADMIN_STATUSES:
        return "demoted"
    if new_status == "restricted" and old_status != "restricted":
        return "restricted"
    if old_status == "restricted" and new_status != "restricted":
        return "unrestricted"
    return "changed"


def _status_change_row(update: dict[str, Any], kind: str, received_at_ms: int) -> dict[str, Any]:
    change: dict[str, Any] = update[kind]
    old = as_object(change.get("old_chat_member"))
    new = as_object(change.get("new_chat_member"))
    user = as_object(new.get("user")) or as_object(old.get("user"))
    user_id = as_int64(user.get("id"))
    actor_id = as_int64(as_object(change.get("from")).get("id"))
    old_status, new_status = string_or_none(old.get("status")), string_or_none(new.get("status"))
    was, now = is_member(old), is_member(new)
    event = event_name(old_status, new_status, was, now, actor_id is None or actor_id == user_id)
    link = as_object(change.get("invite_link"))
    source = None
    if event == "joined":
        if change.get("via_join_request") is True:
            source = "join_request"
        elif change.get("via_chat_folder_invite_link") is True:
            source = "chat_folder"
        elif link:
            source = "invite_link"
        elif actor_id is not None and actor_id != user_id:
            source = "added"
        else:
            source = "direct"
    return {
        "update_id": update_id(update),
        "update_type": kind,
        **chat_columns(as_object(change.get("chat"))),
        **user_columns(user),
        "actor_user_id": actor_id,
        "old_status": old_status,
        "new_status": new_status,
        "was_member": was,
        "is_member": now,
        "event": event,
        "join_source": source,
        "invite_link": string_or_none(link.get("invite_link")),
        "invite_link_name": string_or_none(link.get("name")),
        "invite_link_creator_id": as_int64(as_object(link.get("creator")).get("id")),
        "added_by_user_id": actor_id if source == "added" else None,
        "changed_at": timestamp_from_seconds(change.get("date")),
        "received_at": format_timestamp_ms(received_at_ms),
    }


def _service_rows(update: dict[str, Any], kind: str, received_at_ms: int) -> list[dict[str, Any]]:
    message: dict[str, Any] = update[kind]
    joined = message.get("new_chat_members")
    if not isinstance(joined, list):
        # Before Bot API 2.0 one member came as new_chat_participant / new_chat_member.
        single = message.get("new_chat_participant") or message.get("new_chat_member")
        joined = [single] if isinstance(single, dict) else []
    left = message.get("left_chat_member") or message.get("left_chat_participant")
    changes = [(member, True) for member in joined if isinstance(member, dict)]
    if isinstance(left, dict):
        changes.append((left, False))
    actor_id = as_int64(as_object(message.get("from")).get("id"))
    rows = []
    for member, joins in changes:
        user_id = as_int64(member.get("id"))
        by_self = actor_id is None or actor_id == user_id
        source = ("direct" if by_self else "added") if joins else None
        rows.append(
            {
                "update_id": update_id(update),
                "update_type": kind,
                **chat_columns(as_object(message.get("chat"))),
                **user_columns(member),
                "actor_user_id": actor_id,
                "old_status": None,
                "new_status": "member" if joins else "left",
                "was_member": not joins,
                "is_member": joins,
                "event": "joined" if joins else ("left" if by_self else "removed"),
                "join_source": source,
                "added_by_user_id": actor_id if source == "added" else None,
                "changed_at": timestamp_from_seconds(message.get("date")),
                "received_at": format_timestamp_ms(received_at_ms),
            }
        )
    return rows


def member_rows(update: Any, received_at_ms: int) -> list[dict[str, Any]]:
    """The `member_events` rows of an update: none unless it changes a membership."""
    if not isinstance(update, dict):
        return []
    for kind in MEMBER_UPDATE_KINDS:
        if isinstance(update.get(kind), dict):
            return [_status_change_row(update, kind, received_at_ms)]
    # Only new messages: an edit or a channel post never changes a membership.
    if isinstance(update.get("message"), dict):
        return _service_rows(update, "message", received_at_ms)
    return []
