"""The hostile input corpus: request bodies no genuine Telegram update looks like.

Each case carries what the pipeline must make of it: the webhook's outcome (for
a request with the right secret) and the archiver's result for the same bytes
as a Firehose record. Small cases are committed next to this script so they can
be read and replayed by hand (`tgpipe ingest tests/events/hostile/*.json`); the
large ones (up to a megabyte) are only generated, in memory, by the tests.

    python tests/events/hostile/make_corpus.py           # rewrite the committed files
    python tests/events/hostile/make_corpus.py --check   # exit 1 if they drifted
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: The allowed group of tests/events/INDEX.md, and a chat that is not allowed.
GROUP_ID = -1001234567890
FOREIGN_ID = -1009876543210
#: The webhook's body cap (functions.constants.MAX_BODY_BYTES) and 1 MiB, Telegram-side.
MAX_BODY_BYTES = 1_024_000 - 1
MIB = 1024 * 1024
#: Files at most this large are committed; larger cases are generated in memory.
COMMITTED_MAX_BYTES = 16 * 1024

# Webhook outcomes (functions.webhook.logic.Outcome names) and archiver results.
ACCEPTED, IGNORED, BAD_REQUEST, TOO_LARGE = "ACCEPTED", "IGNORED", "BAD_REQUEST", "TOO_LARGE"
OK, DROPPED, FAILED = "Ok", "Dropped", "ProcessingFailed"


@dataclass(frozen=True)
class HostileCase:
    """One hostile body, and what the webhook and the archiver must make of it."""

    name: str
    body: bytes
    webhook: str
    archiver: str

    @property
    def file_name(self) -> str:
        """Its file name in the committed corpus."""
        return f"{self.name}.json"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def full_update(chat_id: int = GROUP_ID) -> dict[str, Any]:
    """A message update with every field the row shaper reads, all well formed."""
    return {
        "update_id": 900001,
        "message": {
            "message_id": 77,
            "message_thread_id": 5,
            "from": {
                "id": 4242,
                "is_bot": False,
                "first_name": "Ana",
                "username": "ana_h",
                "language_code": "pt-br",
            },
            "sender_chat": {"id": -1001111111111, "type": "channel", "title": "News"},
            "chat": {"id": chat_id, "type": "supergroup", "title": "Group"},
            "date": 1767254600,
            "edit_date": 1767254700,
            "text": "oi #tag @ana https://x.io",
            "entities": [
                {"type": "hashtag", "offset": 3, "length": 4},
                {"type": "mention", "offset": 8, "length": 4},
                {"type": "url", "offset": 13, "length": 12},
            ],
            "reply_to_message": {"message_id": 70, "chat": {"id": chat_id, "type": "supergroup"}},
            "forward_origin": {"type": "user", "date": 1767254000},
            "media_group_id": "1357",
            "new_chat_members": [{"id": 99, "is_bot": False, "first_name": "Bo"}],
            "left_chat_member": {"id": 98, "is_bot": False, "first_name": "Cy"},
        },
    }


def caption_update() -> dict[str, Any]:
    """The same, with a caption and caption entities instead of text."""
    update = full_update()
    message = update["message"]
    message["caption"] = message.pop("text")
    message["caption_entities"] = message.pop("entities")
    message["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    return update


#: Every path the row shaper (functions.rows) and the webhook's chat lookup read.
SHAPER_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("update_id",),
    ("message",),
    ("message", "message_id"),
    ("message", "message_thread_id"),
    ("message", "from"),
    ("message", "from", "id"),
    ("message", "from", "is_bot"),
    ("message", "from", "first_name"),
    ("message", "from", "username"),
    ("message", "from", "language_code"),
    ("message", "sender_chat"),
    ("message", "sender_chat", "id"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "chat", "title"),
    ("message", "date"),
    ("message", "edit_date"),
    ("message", "text"),
    ("message", "entities"),
    ("message", "entities", 0),
    ("message", "entities", 0, "type"),
    ("message", "entities", 0, "offset"),
    ("message", "entities", 0, "length"),
    ("message", "reply_to_message"),
    ("message", "reply_to_message", "message_id"),
    ("message", "forward_origin"),
    ("message", "forward_origin", "type"),
    ("message", "media_group_id"),
    ("message", "new_chat_members"),
    ("message", "new_chat_members", 0),
    ("message", "new_chat_members", 0, "id"),
    ("message", "left_chat_member"),
    ("message", "left_chat_member", "id"),
)
#: Paths only read when there is no text: applied to caption_update().
CAPTION_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("message", "caption"),
    ("message", "caption_entities"),
    ("message", "caption_entities", 0),
    ("message", "caption_entities", 0, "offset"),
)
#: Values of every JSON type, including the edges of 64-bit integers.
WRONG_VALUES: tuple[tuple[str, Any], ...] = (
    ("null", None),
    ("true", True),
    ("zero", 0),
    ("minus_one", -1),
    ("fraction", 1.5),
    ("int64_max_plus_1", 2**63),
    ("int64_min_minus_1", -(2**63) - 1),
    ("beyond_uint64", 2**64 + 1),
    ("empty_string", ""),
    ("string", "#not-an-object"),
    ("numeric_string", "-1001234567890"),
    ("empty_array", []),
    ("array", [1, "a", None]),
    ("empty_object", {}),
    ("object", {"id": {"id": 1}, "type": []}),
)


def _set(update: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = update
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _is_int64(value: Any) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63


def _wrong_type_expectation(path: tuple[str | int, ...], value: Any) -> tuple[str, str]:
    """What the webhook and archiver must do, reasoned from Telegram's rules, not the code."""
    if path == ("update_id",):
        # update_id must be a 64-bit integer; any other value is no update (400),
        # while the archiver still shapes the message (its row has a null update_id).
        return (ACCEPTED if _is_int64(value) else BAD_REQUEST), OK
    if path == ("message",):
        # Not an object: no message, no chat → ignored; nothing to shape.
        if not isinstance(value, dict):
            return IGNORED, DROPPED
        return IGNORED, OK
    if path in (("message", "chat"), ("message", "chat", "id")):
        # Without the allowed chat's id the update is someone else's (200, dropped).
        return IGNORED, OK
    return ACCEPTED, OK


def wrong_type_cases() -> Iterator[HostileCase]:
    """Every shaper path set to every JSON type (in memory: ~500 cases)."""
    for base, paths in ((full_update, SHAPER_PATHS), (caption_update, CAPTION_PATHS)):
        for path in paths:
            for label, value in WRONG_VALUES:
                update = base()
                _set(update, path, copy.deepcopy(value))
                webhook, archiver = _wrong_type_expectation(path, value)
                name = "wrong_type__" + "_".join(str(step) for step in path) + "__" + label
                yield HostileCase(name, _dumps(update), webhook, archiver)


def _valid(chat_id: int = GROUP_ID, **message: Any) -> bytes:
    update = full_update(chat_id)
    update["message"].update(message)
    return _dumps(update)


def small_cases() -> list[HostileCase]:
    """The committed cases: each small enough to read."""
    group = f'"chat":{{"id":{GROUP_ID},"type":"supergroup"}}'.encode()
    foreign = f'"chat":{{"id":{FOREIGN_ID},"type":"supergroup"}}'.encode()
    valid = _valid()
    cases = [
        HostileCase("empty", b"", BAD_REQUEST, FAILED),
        HostileCase("whitespace_only", b" \r\n\t ", BAD_REQUEST, FAILED),
        HostileCase(
            "invalid_utf8",
            b'{"update_id":1,"message":{' + group + b',"text":"caf\xe9 \xff\xfe"}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "overlong_utf8_slash",
            b'{"update_id":1,"message":{' + group + b',"text":"\xc0\xaf"}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase("utf16_with_bom", valid.decode("utf-8").encode("utf-16"), BAD_REQUEST, FAILED),
        HostileCase("utf16le_without_bom", valid.decode().encode("utf-16-le"), BAD_REQUEST, FAILED),
        HostileCase("utf8_with_bom", b"\xef\xbb\xbf" + valid, BAD_REQUEST, FAILED),
        # Duplicate keys: the last one wins, the same way in the webhook and the archiver.
        HostileCase(
            "duplicate_keys_last_chat_allowed",
            b'{"update_id":1,"update_id":2,"message":{'
            + foreign
            + b',"text":"a"},"message":{'
            + group
            + b',"text":"b"}}',
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "duplicate_keys_last_chat_foreign",
            b'{"update_id":1,"message":{' + group + b"," + foreign + b',"text":"a"}}',
            IGNORED,
            OK,
        ),
        HostileCase(
            "nan_update_id", b'{"update_id":NaN,"message":{' + group + b"}}", BAD_REQUEST, FAILED
        ),
        HostileCase(
            "infinity_date",
            b'{"update_id":1,"message":{' + group + b',"date":Infinity}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "minus_infinity_date",
            b'{"update_id":1,"message":{' + group + b',"date":-Infinity}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "float_overflowing_to_infinity",
            b'{"update_id":1,"message":{' + group + b',"date":1e400}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "update_id_2_pow_63", valid.replace(b"900001", str(2**63).encode(), 1), BAD_REQUEST, OK
        ),
        HostileCase(
            "update_id_2_pow_64", valid.replace(b"900001", str(2**64).encode(), 1), BAD_REQUEST, OK
        ),
        HostileCase(
            "update_id_300_digits", valid.replace(b"900001", b"9" * 300, 1), BAD_REQUEST, OK
        ),  # read as a (finite) double: no update id for the webhook, a null one in the row
        HostileCase(
            "chat_id_beyond_int64",
            b'{"update_id":1,"message":{"chat":{"id":-9223372036854775809},"text":"a"}}',
            IGNORED,
            OK,
        ),
        HostileCase(
            "ids_beyond_int64_in_allowed_chat",
            _valid(message_id=2**63, date=2**64, new_chat_members=[{"id": 2**70}]),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "strings_where_objects_belong",
            _dumps(
                {
                    "update_id": 3,
                    "message": {
                        "chat": {"id": GROUP_ID, "type": "supergroup"},
                        "from": "Ana",
                        "sender_chat": "chat",
                        "entities": "#tag",
                        "text": "#tag",
                        "reply_to_message": "77",
                        "forward_origin": "user",
                        "new_chat_members": "Bo",
                        "left_chat_member": "Cy",
                    },
                }
            ),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "string_where_the_message_belongs",
            b'{"update_id":4,"message":"{\\"chat\\":{\\"id\\":-1001234567890}}"}',
            IGNORED,
            DROPPED,
        ),
        HostileCase("string_where_the_chat_belongs", _valid(chat="-1001234567890"), IGNORED, OK),
        HostileCase("top_level_array", b"[" + valid + b"]", BAD_REQUEST, FAILED),
        HostileCase("top_level_string", b'"update"', BAD_REQUEST, FAILED),
        HostileCase("top_level_null", b"null", BAD_REQUEST, FAILED),
        HostileCase("truncated", valid[: len(valid) // 2], BAD_REQUEST, FAILED),
        HostileCase("trailing_garbage", valid + b"garbage", BAD_REQUEST, FAILED),
        HostileCase("two_documents", valid + valid, BAD_REQUEST, FAILED),
        HostileCase(
            "raw_control_character",
            b'{"update_id":1,"message":{' + group + b',"text":"a\x01b"}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "lone_surrogate_escape",
            b'{"update_id":1,"message":{' + group + b',"text":"\\ud800x"}}',
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase("nul_characters", _valid(text="a\u0000b\u0000", entities=[]), ACCEPTED, OK),
        HostileCase(
            "entities_cutting_surrogate_pairs",
            _valid(
                text="😀#a😀",
                entities=[
                    {"type": "hashtag", "offset": 1, "length": 2},
                    {"type": "hashtag", "offset": 2, "length": 3},
                    {"type": "mention", "offset": 5, "length": 1},
                ],
            ),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "bidi_and_zero_width_text",
            _valid(text="\u202eevil\u202c\u200b\u2066#x\u2069", entities=[]),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "keys_differing_only_in_case",
            _valid(Text="shadow", TEXT="shadow", Chat={"id": 1}),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "nesting_1025_deep",
            b'{"update_id":1,"message":{' + group + b',"x":' + b"[" * 1025 + b"]" * 1025 + b"}}",
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "nesting_1000_deep_in_an_allowed_update",
            b'{"update_id":1,"message":{' + group + b',"x":' + b"[" * 1000 + b"]" * 1000 + b"}}",
            ACCEPTED,
            OK,
        ),
    ]
    assert all(len(case.body) <= COMMITTED_MAX_BYTES for case in cases)
    return cases


def large_cases() -> list[HostileCase]:
    """The cases too big to commit (generated in memory by the tests)."""
    group = f'"chat":{{"id":{GROUP_ID},"type":"supergroup"}}'.encode()
    head = b'{"update_id":1,"message":{' + group + b',"text":"'
    tail = b'"}}'

    def sized(size: int) -> bytes:
        return head + b"a" * (size - len(head) - len(tail)) + tail

    text = "oi #tag"
    out_of_range = [
        {"type": "hashtag", "offset": offset, "length": length}
        for i in range(10_000)
        for offset, length in [
            (
                (7 + i, 1),
                (-1 - i, 4),
                (3, 5 + i),
                (2**63 - 1, 2),
                (3, 0),
            )[i % 5]
        ]
    ]
    return [
        HostileCase("body_1_mib_plus_1", sized(MIB + 1), TOO_LARGE, OK),
        HostileCase("body_one_byte_over_the_cap", sized(MAX_BODY_BYTES + 1), TOO_LARGE, OK),
        HostileCase("body_at_the_cap", sized(MAX_BODY_BYTES), ACCEPTED, OK),
        HostileCase("nested_arrays_100000", b"[" * 100_000 + b"]" * 100_000, BAD_REQUEST, FAILED),
        HostileCase(
            "nested_arrays_100000_in_an_allowed_update",
            b'{"update_id":1,"message":{'
            + group
            + b',"x":'
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            BAD_REQUEST,
            FAILED,
        ),
        HostileCase(
            "entities_10000_out_of_range",
            _valid(text=text, entities=out_of_range),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "new_chat_members_20000",
            _valid(new_chat_members=[{"id": i} for i in range(20_000)]),
            ACCEPTED,
            OK,
        ),
        HostileCase(
            "keys_50000",
            _valid(**{f"k{i}": i for i in range(50_000)}),
            ACCEPTED,
            OK,
        ),
    ]


def all_cases() -> list[HostileCase]:
    """Small, large and wrong-type cases together."""
    return [*small_cases(), *large_cases(), *wrong_type_cases()]


def committed_cases() -> list[HostileCase]:
    """The small cases with their bodies read from the committed files."""
    return [
        HostileCase(case.name, (HERE / case.file_name).read_bytes(), case.webhook, case.archiver)
        for case in small_cases()
    ]


def corpus() -> list[HostileCase]:
    """What the tests run: the committed files as read from disk, plus the generated cases."""
    return [*committed_cases(), *large_cases(), *wrong_type_cases()]


def drift() -> list[str]:
    """Committed files that differ from the generator, or are missing or extra."""
    expected = {case.file_name: case.body for case in small_cases()}
    present = {path.name for path in HERE.glob("*.json")}
    problems = [f"extra file {name}" for name in sorted(present - set(expected))]
    for name, body in expected.items():
        path = HERE / name
        if not path.exists():
            problems.append(f"missing file {name}")
        elif path.read_bytes() != body:
            problems.append(f"stale file {name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Rewrite the committed corpus, or check it (--check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files drifted")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in HERE.glob("*.json"):
        path.unlink()
    for case in small_cases():
        (HERE / case.file_name).write_bytes(case.body)
    print(f"wrote {len(small_cases())} files to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
