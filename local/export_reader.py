"""Reading Telegram Desktop's `result.json` as a stream: which chats it holds, then one
chat's messages one at a time, in memory that does not grow with the file.

ijson (its C backend, yajl2_c) parses the file in fixed-size reads. A single chat's
export (Export chat history) keeps `name`, `type` and `id` before `messages`, so its
header is read with an early-stopping pass and its messages straight from
`messages.item` (all in C); a full account export (Export Telegram data) lists chats
under `chats.list` and `left_chats.list`, and its chosen chat's messages are picked
from the event stream. Every byte read goes through `ExportFile`, which hashes it
(the raw archive's key) and reports progress.

Errors the user can fix (not JSON, truncated, not an export, no such chat) are
ExportFormatError with one line saying what is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from local.export_format import ExportChat, ExportFormatError, chat_from_header

#: Bytes per read: big enough that ijson's per-read overhead vanishes, small enough
#: to keep memory flat.
READ_BYTES: Final = 1 << 20
SINGLE: Final = "chat"
ACCOUNT: Final = "account"
_CHAT_LISTS: Final = ("chats.list.item", "left_chats.list.item")


class ExportFile:
    """A file read for ijson: counts and hashes what is read, and reports progress."""

    def __init__(self, handle: BinaryIO, advance: Callable[[float], None] | None = None) -> None:
        self._handle = handle
        self._advance = advance
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        """Read like a file; every chunk is hashed and counted."""
        chunk = self._handle.read(READ_BYTES if size is None or size < 0 else size)
        if chunk:
            self.sha256.update(chunk)
            self.bytes_read += len(chunk)
            if self._advance is not None:
                self._advance(len(chunk))
        return chunk


def _ijson() -> Any:
    import ijson

    return ijson


def _json_error(error: Exception, path: Path, where: int) -> ExportFormatError:
    """The one line for a parse error: truncated, or not JSON at all."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "incomplete" in text.lower() or "premature" in text.lower():
        return ExportFormatError(
            f"{path} ends early (truncated after {where:,} bytes?): {text}; export it again"
        )
    return ExportFormatError(f"{path} is not valid JSON (near byte {where:,}): {text}")


@dataclass(frozen=True)
class ExportLayout:
    """What kind of export a file is, and for a single chat's export its header."""

    kind: str
    chat: ExportChat | None


def read_layout(path: Path) -> ExportLayout:
    """Whether `path` is a single chat's export or an account's, reading as little as needed."""
    ijson = _ijson()
    header: dict[str, Any] = {}
    with path.open("rb") as handle:
        source = ExportFile(handle)
        try:
            events = ijson.parse(source, buf_size=64 * 1024)
            first = next(events, None)
            if first is None or first[1] != "start_map":
                raise ExportFormatError(
                    f"{path} is not a Telegram Desktop export (a JSON object with "
                    '"messages", from Export chat history → JSON)'
                )
            for prefix, event, value in events:
                if prefix != "" or event != "map_key":
                    if prefix in ("name", "type", "id") and event in ("string", "number", "null"):
                        header[prefix] = value
                    continue
                if value == "messages":
                    return ExportLayout(SINGLE, _single_chat(header, path))
                if value in ("chats", "left_chats"):
                    return ExportLayout(ACCOUNT, None)
        except ijson.JSONError as error:
            raise _json_error(error, path, source.bytes_read) from None
    raise ExportFormatError(
        f'{path} is not a Telegram Desktop export: it has no "messages" list and no "chats"; '
        "export the group with Telegram Desktop: ⋮ → Export chat history → JSON"
    )


def _single_chat(header: dict[str, Any], path: Path) -> ExportChat:
    header = {key: int(value) if key == "id" and _integral(value) else value
              for key, value in header.items()}  # fmt: skip
    try:
        return chat_from_header(header)
    except ExportFormatError:
        raise ExportFormatError(
            f'{path} has "messages" but no chat "id" and "type" before them: '
            "not a Telegram Desktop export"
        ) from None


def _integral(value: Any) -> bool:
    try:
        return bool(int(value) == value)
    except (TypeError, ValueError):
        return False


def account_chats(path: Path, advance: Callable[[float], None] | None = None) -> list[ExportChat]:
    """Every chat of an account export (`chats` then `left_chats`), in file order."""
    ijson = _ijson()
    chats: list[ExportChat] = []
    header: dict[str, Any] = {}
    with path.open("rb") as handle:
        source = ExportFile(handle, advance)
        try:
            for prefix, event, value in ijson.parse(source, buf_size=READ_BYTES):
                if prefix in _CHAT_LISTS:
                    if event == "start_map":
                        header = {}
                    elif event == "end_map":
                        with contextlib.suppress(ExportFormatError):  # no id/type: not a chat
                            chats.append(chat_from_header(header))
                elif event in ("string", "number", "null"):
                    base, _, key = prefix.rpartition(".")
                    if base in _CHAT_LISTS and key in ("name", "type", "id"):
                        header[key] = int(value) if key == "id" and _integral(value) else value
        except ijson.JSONError as error:
            raise _json_error(error, path, source.bytes_read) from None
    return chats


@dataclass
class MessageStream:
    """The chosen chat's messages, one dict at a time, and the file's hash once read."""

    path: Path
    chat: ExportChat
    kind: str
    advance: Callable[[float], None] | None = None
    sha256: str | None = None
    bytes_read: int = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        ijson = _ijson()
        with self.path.open("rb") as handle:
            source = ExportFile(handle, self.advance)
            try:
                if self.kind == SINGLE:
                    items = ijson.items(
                        source, "messages.item", use_float=True, buf_size=READ_BYTES
                    )
                else:
                    items = ijson.items(
                        self._chosen_chat_events(ijson.parse(source, buf_size=READ_BYTES)),
                        "item",
                        use_float=True,
                    )
                for message in items:
                    if isinstance(message, dict):
                        yield message
                while source.read(READ_BYTES):
                    pass  # the rest of the file, hashed: the archive keeps it whole
            except ijson.JSONError as error:
                raise _json_error(error, self.path, source.bytes_read) from None
            self.sha256 = source.sha256.hexdigest()
            self.bytes_read = source.bytes_read

    def _chosen_chat_events(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[Any]:
        """The events of the chosen chat's `messages` array, prefixes made relative to it."""
        header: dict[str, Any] = {}
        for prefix, event, value in events:
            base, _, key = prefix.rpartition(".")
            if prefix in _CHAT_LISTS and event == "start_map":
                header = {}
            elif base in _CHAT_LISTS and key in ("name", "type", "id") and event != "map_key":
                header[key] = int(value) if key == "id" and _integral(value) else value
            elif (
                base in _CHAT_LISTS
                and key == "messages"
                and event == "start_array"
                and header.get("id") == self.chat.export_id
                and header.get("type") == self.chat.export_type
            ):
                yield from self._array_events(events, prefix)
                return

    @staticmethod
    def _array_events(events: Iterator[tuple[str, str, Any]], prefix: str) -> Iterator[Any]:
        yield ("", "start_array", None)
        cut = len(prefix) + 1
        for inner, event, value in events:
            if inner == prefix and event == "end_array":
                yield ("", "end_array", None)
                return
            yield (inner[cut:] if len(inner) > cut else "", event, value)
