"""One helper to load the realistic payloads under tests/events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

EVENTS_DIR = Path(__file__).parent / "events"
#: Updates captured from Telegram by public Bot API libraries (sources: real/INDEX.md).
REAL_EVENTS_DIR = EVENTS_DIR / "real"
#: Telegram Desktop exports from public repositories (sources: exports/INDEX.md).
EXPORTS_DIR = EVENTS_DIR / "exports"

#: The chats the fixtures use (see tests/events/INDEX.md).
GROUP_ID = -1001234567890
CHANNEL_ID = -1001111111111
FOREIGN_GROUP_ID = -1009876543210
PRIVATE_CHAT_ID = 123456789
ALLOWED_CHAT_IDS = frozenset({GROUP_ID, CHANNEL_ID})


def event_names() -> list[str]:
    """Names (without .json) of every payload file."""
    return sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def event_bytes(name: str) -> bytes:
    """The payload file's exact bytes."""
    return (EVENTS_DIR / f"{name}.json").read_bytes()


def event(name: str) -> dict[str, Any]:
    """The payload file decoded."""
    decoded: dict[str, Any] = json.loads(event_bytes(name))
    return decoded


def compact_bytes(name: str) -> bytes:
    """The payload as Telegram sends it: compact JSON, UTF-8."""
    return json.dumps(event(name), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def export_path(name: str) -> Path:
    """The path of an export fixture (`tests/events/exports/<name>.json`)."""
    return EXPORTS_DIR / f"{name}.json"


def export_messages(name: str) -> list[dict[str, Any]]:
    """The messages of a single chat's export fixture, decoded."""
    decoded: dict[str, Any] = json.loads(export_path(name).read_bytes())
    messages: list[dict[str, Any]] = decoded["messages"]
    return messages


def real_event_names() -> list[str]:
    """Names (without .json) of the captured payloads under events/real/."""
    return sorted(path.stem for path in REAL_EVENTS_DIR.glob("*.json"))


def real_event(name: str) -> dict[str, Any]:
    """A captured payload decoded."""
    decoded: dict[str, Any] = json.loads((REAL_EVENTS_DIR / f"{name}.json").read_bytes())
    return decoded


#: Generator options for message traffic only (no membership or reaction updates), for
#: tests that count one `messages` row per update sent.
MESSAGES_ONLY: Final = {
    "member_share": 0.0,
    "reaction_share": 0.0,
    "channel_share": 0.0,
    "bot_changes": False,
}
