"""The allow-list store of a local lake: one small JSON file per chat, as SSM holds one parameter.

`<lake>/state/chats/<chat id>.json` holds a ChatEntry and `<lake>/state/seen/<chat
id>.json` a SeenChat. A new entry is linked into place only if none exists
(`os.link` fails on an existing name), a replaced one is renamed over the old:
processes sharing a lake (serve, ingest, poll) never lose each other's entries
and never read half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from functions.allowlist import ChatEntry, SeenChat, chat_id_from_name
from functions.errors import AllowListUnavailable

STATE_DIR = "state"


class DirectoryStore:
    """The allow-list store under `<lake>/state/`."""

    def __init__(self, lake: Path) -> None:
        self.root = lake / STATE_DIR

    def _folder(self, name: str) -> Path:
        return self.root / name

    def _path(self, folder: str, chat_id: int) -> Path:
        return self._folder(folder) / f"{chat_id}.json"

    def _read_folder(self, folder: str) -> dict[int, str]:
        directory = self._folder(folder)
        items: dict[int, str] = {}
        try:
            paths = list(directory.glob("*.json"))
        except OSError as error:
            raise AllowListUnavailable(f"reading {directory} failed: {error.strerror}") from error
        for path in paths:
            chat_id = chat_id_from_name(path.name)
            if chat_id is None:
                continue
            try:
                items[chat_id] = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue  # removed since the listing
            except OSError as error:
                raise AllowListUnavailable(f"reading {path} failed: {error.strerror}") from error
        return items

    def _write(self, path: Path, value: str, *, replace: bool) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(value)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                if replace:
                    os.replace(temporary, path)
                    return True
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    return False
                return True
            finally:
                if not replace:
                    os.unlink(temporary)
        except OSError as error:
            raise AllowListUnavailable(f"writing {path} failed: {error.strerror}") from error

    def entries(self) -> dict[int, ChatEntry]:
        """Every chat's entry."""
        found = (ChatEntry.from_json(i, v) for i, v in self._read_folder("chats").items())
        return {entry.chat_id: entry for entry in found if entry is not None}

    def entry(self, chat_id: int) -> ChatEntry | None:
        """One chat's entry, read now."""
        path = self._path("chats", chat_id)
        try:
            return ChatEntry.from_json(chat_id, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise AllowListUnavailable(f"reading {path} failed: {error.strerror}") from error

    def add_if_absent(self, entry: ChatEntry) -> bool:
        """Write the entry unless the chat has one."""
        return self._write(self._path("chats", entry.chat_id), entry.to_json(), replace=False)

    def put(self, entry: ChatEntry) -> None:
        """Write the entry, replacing the chat's previous one."""
        self._write(self._path("chats", entry.chat_id), entry.to_json(), replace=True)

    def _remove(self, path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise AllowListUnavailable(f"deleting {path} failed: {error.strerror}") from error
        return True

    def remove(self, chat_id: int) -> bool:
        """Delete the chat's entry."""
        return self._remove(self._path("chats", chat_id))

    def seen(self) -> dict[int, SeenChat]:
        """The ignored groups noted so far."""
        return {i: SeenChat.from_json(i, v) for i, v in self._read_folder("seen").items()}

    def note_seen(self, chat: SeenChat) -> None:
        """Remember an ignored group."""
        self._write(self._path("seen", chat.chat_id), chat.to_json(), replace=True)

    def forget_seen(self, chat_id: int) -> None:
        """Drop the note of a chat."""
        self._remove(self._path("seen", chat_id))
