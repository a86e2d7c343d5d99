"""The chat allow-list: which chats the webhook keeps, extended without a redeploy.

Configured ids (ALLOWED_CHAT_IDS, or `--chat-ids` locally) are always the start.
A store adds one entry per chat on top: allowed by an operator (`tgpipe chats
allow`), disallowed by one (`tgpipe chats disallow`), or allowed because the
chat is the supergroup an allowed group became (a migration). One entry per chat,
never a read-modify-write of one list, so webhook instances that extend the list
at the same moment cannot lose each other's entries. The store also remembers
the groups the bot hears from but does not keep, so an operator finds their ids.

Backends: SSM Parameter Store on AWS (`functions.adapters.SsmAllowListStore`), a
folder of the lake locally (`local.allowlist_store`), memory in unit tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from functions.errors import AllowListUnavailable
from functions.telegram import as_int64

#: How long a snapshot of the store serves before it is read again.
DEFAULT_MAX_AGE_SECONDS: Final = 60.0
#: How long "not in the store" is believed for one chat: another instance may have
#: just followed a migration to it, so a group id seen again is looked up again.
DEFAULT_MISS_SECONDS: Final = 2.0
#: Ignored chats remembered per process (a bot added to many groups stays bounded).
MAX_NOTED_CHATS: Final = 1000

REASON_CONFIGURED: Final = "configured"
REASON_OPERATOR: Final = "operator"
REASON_MIGRATION: Final = "migrated from {old}"


def _now_iso() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ChatEntry:
    """One chat's decision in the store: allowed or not, why, and since when (UTC)."""

    chat_id: int
    allowed: bool
    reason: str
    since: str

    def to_json(self) -> str:
        """The stored value (the chat id is the entry's name)."""
        return json.dumps(
            {"allowed": self.allowed, "reason": self.reason, "since": self.since},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, chat_id: int, value: str) -> ChatEntry | None:
        """The entry stored under `chat_id`, or None when the value is not one of ours."""
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        if not isinstance(decoded, dict) or not isinstance(decoded.get("allowed"), bool):
            return None
        return cls(
            chat_id,
            decoded["allowed"],
            str(decoded.get("reason", "")),
            str(decoded.get("since", "")),
        )


@dataclass(frozen=True)
class SeenChat:
    """A group or channel the bot received updates from but did not keep."""

    chat_id: int
    chat_type: str | None
    title: str | None
    last_seen: str

    def to_json(self) -> str:
        """The stored value."""
        value = asdict(self)
        del value["chat_id"]
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, chat_id: int, value: str) -> SeenChat:
        """The seen chat stored under `chat_id` (unknown fields left out)."""
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = {}
        decoded = decoded if isinstance(decoded, dict) else {}

        def text(key: str) -> str | None:
            item = decoded.get(key)
            return item if isinstance(item, str) else None

        return cls(chat_id, text("chat_type"), text("title"), text("last_seen") or "")


class AllowListStore(Protocol):
    """Where entries live: one item per chat, written without reading the others."""

    def entries(self) -> dict[int, ChatEntry]:
        """Every chat's entry."""

    def entry(self, chat_id: int) -> ChatEntry | None:
        """One chat's entry, read now (no cache)."""

    def add_if_absent(self, entry: ChatEntry) -> bool:
        """Write the entry unless the chat has one already; True when written."""

    def put(self, entry: ChatEntry) -> None:
        """Write the entry, replacing the chat's previous one."""

    def remove(self, chat_id: int) -> bool:
        """Delete the chat's entry; True when there was one."""

    def seen(self) -> dict[int, SeenChat]:
        """The ignored groups noted so far."""

    def note_seen(self, chat: SeenChat) -> None:
        """Remember an ignored group (replacing an older note of it)."""

    def forget_seen(self, chat_id: int) -> None:
        """Drop the note of a chat (it is allowed now)."""


def chat_id_from_name(name: str) -> int | None:
    """The chat id an item is named by (the last path segment), or None."""
    last = name.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
    try:
        return as_int64(int(last))
    except ValueError:
        return None


class MemoryStore:
    """A store in this process only (unit tests; a webhook without a configured store)."""

    def __init__(self) -> None:
        self._entries: dict[int, ChatEntry] = {}
        self._seen: dict[int, SeenChat] = {}
        self._lock = threading.Lock()

    def entries(self) -> dict[int, ChatEntry]:
        """Every chat's entry."""
        with self._lock:
            return dict(self._entries)

    def entry(self, chat_id: int) -> ChatEntry | None:
        """One chat's entry."""
        with self._lock:
            return self._entries.get(chat_id)

    def add_if_absent(self, entry: ChatEntry) -> bool:
        """Write unless present."""
        with self._lock:
            if entry.chat_id in self._entries:
                return False
            self._entries[entry.chat_id] = entry
            return True

    def put(self, entry: ChatEntry) -> None:
        """Write, replacing."""
        with self._lock:
            self._entries[entry.chat_id] = entry

    def remove(self, chat_id: int) -> bool:
        """Delete."""
        with self._lock:
            return self._entries.pop(chat_id, None) is not None

    def seen(self) -> dict[int, SeenChat]:
        """The noted ignored chats."""
        with self._lock:
            return dict(self._seen)

    def note_seen(self, chat: SeenChat) -> None:
        """Remember an ignored chat."""
        with self._lock:
            self._seen[chat.chat_id] = chat

    def forget_seen(self, chat_id: int) -> None:
        """Drop a note."""
        with self._lock:
            self._seen.pop(chat_id, None)


@dataclass(frozen=True)
class Snapshot:
    """The allow-list as read at one moment: allowed ids and explicitly disallowed ids."""

    allowed: frozenset[int]
    disallowed: frozenset[int]


def effective(configured: Iterable[int], entries: dict[int, ChatEntry]) -> Snapshot:
    """Configured ids plus allowed entries, less disallowed entries (an entry wins)."""
    allowed = set(configured)
    disallowed = set()
    for chat_id, entry in entries.items():
        if entry.allowed:
            allowed.add(chat_id)
        else:
            allowed.discard(chat_id)
            disallowed.add(chat_id)
    return Snapshot(frozenset(allowed), frozenset(disallowed))


class AllowList:
    """`chat_id in allow_list`: configured ids and the store's entries, read through a cache.

    A store that cannot be read keeps the last snapshot (the configured ids at
    least): an outage never turns away a group that was being kept.
    """

    def __init__(
        self,
        configured: frozenset[int],
        store: AllowListStore,
        *,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        miss_seconds: float = DEFAULT_MISS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_store_error: Callable[[str, Exception], None] | None = None,
    ) -> None:
        self.configured = configured
        self.store = store
        self._max_age = max_age_seconds
        self._miss_seconds = miss_seconds
        self._clock = clock
        self._on_store_error = on_store_error or (lambda what, error: None)
        self._lock = threading.Lock()
        self._snapshot = Snapshot(configured, frozenset())
        self._read_at: float | None = None
        self._misses: dict[int, float] = {}
        self._noted: set[int] = set()

    def snapshot(self) -> Snapshot:
        """The current allow-list, read from the store when the cached one is too old."""
        now = self._clock()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._max_age:
                return self._snapshot
        try:
            entries = self.store.entries()
        except AllowListUnavailable as error:
            self._on_store_error("read", error)
            with self._lock:
                # Try again after a short pause, not on every request.
                self._read_at = now - self._max_age + self._miss_seconds
                return self._snapshot
        snapshot = effective(self.configured, entries)
        with self._lock:
            self._snapshot, self._read_at = snapshot, now
            self._misses.clear()
        return snapshot

    def __contains__(self, chat_id: object) -> bool:
        if not isinstance(chat_id, int):
            return False
        snapshot = self.snapshot()
        if chat_id in snapshot.allowed:
            return True
        if chat_id in snapshot.disallowed or chat_id >= 0:
            # Only groups are ever followed to; users' private chats need no lookup.
            return False
        return self._looked_up(chat_id)

    def _looked_up(self, chat_id: int) -> bool:
        now = self._clock()
        with self._lock:
            missed_at = self._misses.get(chat_id)
            if missed_at is not None and now - missed_at < self._miss_seconds:
                return False
        try:
            entry = self.store.entry(chat_id)
        except AllowListUnavailable as error:
            self._on_store_error("lookup", error)
            entry = None
        with self._lock:
            if entry is None or not entry.allowed:
                self._misses[chat_id] = now
                return False
            self._snapshot = Snapshot(
                self._snapshot.allowed | {chat_id}, self._snapshot.disallowed - {chat_id}
            )
            return True

    def follow_migration(self, new_chat_id: int, old_chat_id: int) -> bool:
        """Allow the supergroup `new_chat_id` that `old_chat_id` became; True when newly added.

        An operator's entry for the new chat (allowed or not) is left as it is.
        Raises AllowListUnavailable when the store cannot take it.
        """
        entry = ChatEntry(new_chat_id, True, REASON_MIGRATION.format(old=old_chat_id), _now_iso())
        added = self.store.add_if_absent(entry)
        existing = entry if added else self.store.entry(new_chat_id)
        with self._lock:
            if existing is not None and existing.allowed:
                self._snapshot = Snapshot(
                    self._snapshot.allowed | {new_chat_id},
                    self._snapshot.disallowed - {new_chat_id},
                )
            self._misses.pop(new_chat_id, None)
        return added

    def note_ignored(self, chat_id: int, chat_type: str | None, title: str | None) -> None:
        """Remember a group whose updates are not kept (once per process; never users)."""
        if chat_id >= 0:
            return
        with self._lock:
            if chat_id in self._noted or len(self._noted) >= MAX_NOTED_CHATS:
                return
            self._noted.add(chat_id)
        try:
            self.store.note_seen(SeenChat(chat_id, chat_type, title, _now_iso()))
        except AllowListUnavailable as error:
            with self._lock:
                self._noted.discard(chat_id)
            self._on_store_error("note", error)


def entry_for_operator(chat_id: int, allowed: bool) -> ChatEntry:
    """The entry `tgpipe chats allow/disallow` writes."""
    return ChatEntry(chat_id, allowed, REASON_OPERATOR, _now_iso())


def describe(entries: dict[int, ChatEntry], configured: Iterable[int]) -> list[dict[str, Any]]:
    """One row per chat for `tgpipe chats list`: id, kept or not, and why."""
    rows: dict[int, dict[str, Any]] = {
        chat_id: {"chat_id": chat_id, "kept": True, "reason": REASON_CONFIGURED, "since": ""}
        for chat_id in configured
    }
    for chat_id, entry in entries.items():
        rows[chat_id] = {
            "chat_id": chat_id,
            "kept": entry.allowed,
            "reason": entry.reason,
            "since": entry.since,
        }
    return [rows[chat_id] for chat_id in sorted(rows)]
