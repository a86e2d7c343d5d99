"""Which chats a bot's updates come from, for `tgpipe poll` without --chat-ids.

Before anything is stored the user picks the chats to keep: the first updates
are summarised as a table of chat ids, types and titles (a private chat's name
is never shown), with the command to run next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from functions.telegram import CHAT_KINDS, as_int64, as_object


@dataclass(frozen=True)
class SeenChat:
    """A chat some updates came from (the title is a group name: shown, never logged)."""

    id: int
    type: str
    title: str
    updates: int


def _update_chat(update: dict[str, Any]) -> dict[str, Any]:
    for kind in CHAT_KINDS:
        payload = update.get(kind)
        if isinstance(payload, dict):
            return as_object(payload.get("chat"))
    callback = as_object(update.get("callback_query"))
    return as_object(as_object(callback.get("message")).get("chat"))


def chats_in(updates: Sequence[dict[str, Any]]) -> list[SeenChat]:
    """The chats the updates are about, groups first, in order of first appearance."""
    seen: dict[int, SeenChat] = {}
    for update in updates:
        chat = _update_chat(update)
        chat_id = as_int64(chat.get("id"))
        if chat_id is None:
            continue
        chat_type = str(chat.get("type") or "?")
        # A private chat's "title" would be a person's name: never shown.
        title = "(private chat)" if chat_type == "private" else str(chat.get("title") or "")
        known = seen.get(chat_id)
        count = known.updates + 1 if known else 1
        seen[chat_id] = SeenChat(chat_id, chat_type, title, count)
    return sorted(seen.values(), key=lambda chat: chat.type == "private")


def describe_chats(chats: Sequence[SeenChat], received: int, example_command: str) -> list[str]:
    """The chats as a table, and how to choose among them."""
    if not chats:
        return [
            f"{received} update(s), none from a chat: send a message in the group "
            "(with the bot in it) and run this again"
        ]
    lines = [f"chats in the first {received} update(s) (nothing was stored):", ""]
    lines.append(f"  {'chat id':<16}  {'type':<10}  {'updates':>7}  title")
    for chat in chats:
        lines.append(f"  {chat.id:<16}  {chat.type:<10}  {chat.updates:>7}  {chat.title}")
    groups = [str(chat.id) for chat in chats if chat.id < 0]
    pick = ",".join(groups) if groups else str(chats[0].id)
    lines += [
        "",
        "Group and channel ids are negative; supergroup and channel ids start with -100.",
        "Pick the chats to keep (comma-separated) and run:",
        "",
        f"  {example_command} --chat-ids {pick}",
        "",
        "These updates were not confirmed to Telegram, so that run reads them again.",
    ]
    return lines
