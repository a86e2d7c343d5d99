"""`tgpipe import-export result.json (--lake DIR | --stack NAME)`: a group's past from
Telegram Desktop's JSON export.

A bot sees nothing from before it joined a group; the export (Telegram Desktop:
the chat's ⋮ menu → Export chat history → JSON) has everything. This command
picks the chat (a single chat's export, or `--chat-id` in an account export),
reads it as a stream and lands its rows in the lake all at once (local/export_import.py).
The mapping onto the tables and the rule that keeps one row per message where live
capture overlaps: docs/import.md.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scripts.cli import CliError
from scripts.common import add_lake_argument, progress_bar

EXIT_FAILED = 1


def _zone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CliError(
            f"--export-tz {name!r} is not a time zone; give the exporting computer's zone "
            "as an IANA name such as Europe/Berlin or America/Sao_Paulo"
        ) from None


def _describe(chats: list[Any]) -> str:
    return "; ".join(
        f"{chat.chat_id if chat.is_group else chat.export_id} {chat.export_type} "
        f"{chat.name or '(no name)'!r}"
        for chat in chats
    )


def choose_chat(path: Path, wanted: int | None, advance: Any = None) -> tuple[Any, str]:
    """The chat to import and the export's layout; CliError naming the chats otherwise."""

    from local.export_format import ExportFormatError
    from local.export_reader import ACCOUNT, account_chats, read_layout

    try:
        layout = read_layout(path)
        if layout.kind == ACCOUNT:
            chats = account_chats(path, advance)
        else:
            assert layout.chat is not None  # a single chat's export has its header
            chats = [layout.chat]
    except ExportFormatError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}", EXIT_FAILED) from None
    if wanted is not None:
        matching = [chat for chat in chats if chat.matches(wanted)]
        if not matching:
            raise CliError(
                f"no chat {wanted} in {path}; it holds: {_describe(chats) or 'no chats'}",
                EXIT_FAILED,
            )
        chosen = matching[0]
    elif len(chats) == 1:
        chosen = chats[0]
    else:
        groups = [chat for chat in chats if chat.is_group]
        raise CliError(
            f"{path} is an account export with {len(chats)} chats; pick one with --chat-id: "
            f"{_describe(groups or chats)}",
            EXIT_FAILED,
        )
    if not chosen.is_group:
        raise CliError(
            f"chat {chosen.export_id} ({chosen.export_type}, {chosen.name or 'no name'!r}) is "
            "not a group or channel; the lake keeps groups (export a group's history)",
            EXIT_FAILED,
        )
    return chosen, layout.kind


def _stack_target(stack: str, region: str | None) -> Any:
    from infra import names as n
    from local.export_import import S3Target
    from scripts.chats import described_stack
    from scripts.deploy import aws_client

    described = described_stack(stack, region)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = [name for name in (n.O_DATA_BUCKET, n.O_RAW_BUCKET) if name not in outputs]
    if missing:
        raise CliError(f"stack {stack} has no output {', '.join(missing)}: is it a tgpipe stack?")
    return S3Target(aws_client("s3", region), outputs[n.O_DATA_BUCKET], outputs[n.O_RAW_BUCKET])


def run(args: argparse.Namespace) -> int:
    """Import the chosen chat; one line per outcome, non-zero on any failure."""
    from pyarrow import ArrowException

    from local.export_format import ExportFormatError
    from local.export_import import LakeTarget, import_chat
    from local.export_reader import MessageStream
    from scripts.replay import pseudonym_key_from_env

    path: Path = args.export
    if not path.is_file():
        raise CliError(f"no export file at {path} (Telegram Desktop writes result.json)")
    zone = _zone(args.export_tz)
    chat, kind = choose_chat(path, args.chat_id)
    if args.lake is not None:
        if args.lake.exists() and not args.lake.is_dir():
            raise CliError(f"--lake {args.lake} is a file, not a lake directory")
        args.lake.mkdir(parents=True, exist_ok=True)
        target: Any = LakeTarget(args.lake)
        where = f"lake {args.lake}"
    else:
        target = _stack_target(args.stack, args.region)
        where = f"stack {args.stack}"
    size = os.path.getsize(path)
    try:
        with progress_bar(size, "importing") as advance:
            report = import_chat(
                MessageStream(path, chat, kind, advance),
                target,
                zone=zone,
                pseudonym_key=pseudonym_key_from_env(),
            )
    except ExportFormatError as error:
        raise CliError(f"{error}; nothing was imported", EXIT_FAILED) from None
    except OSError as error:
        raise CliError(f"import failed, nothing was imported: {error}", EXIT_FAILED) from None
    except (ValueError, TypeError, AttributeError, KeyError, ArrowException) as error:
        # A message shaped unlike any export seen so far: say so, keep the lake as it was.
        raise CliError(
            f"{path} holds a message this version cannot read ({type(error).__name__}); "
            "nothing was imported — please report it with the message's shape, not its text",
            EXIT_FAILED,
        ) from None
    span = f"{report.first_dt} to {report.last_dt}" if report.first_dt else "no dates"
    print(
        f"imported chat {chat.chat_id} ({chat.chat_type}, {chat.name or 'no name'!r}) into "
        f"{where}: {report.messages:,} messages ({span}), "
        f"{report.rows['member_events']:,} member events, "
        f"{report.rows['reactions']:,} reaction counts in "
        f"{sum(report.files.values()):,} files, {report.seconds:.1f} s"
    )
    if report.skipped:
        print(f"  {report.skipped:,} entries without a date (unsupported media) skipped")
    print(f"  export kept as {report.raw_key}")
    return 0


def chat_id_value(text: str) -> int:
    """argparse type: a chat id, Bot API form (-100…) or the export's bare id."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a chat id") from None


def register(subparsers: Any) -> None:
    """Add `import-export` to the CLI."""
    parser = subparsers.add_parser(
        "import-export",
        help="load a group's history from Telegram Desktop's JSON export (result.json)",
        description="Load a group's or channel's history from Telegram Desktop's JSON export "
        "(chat ⋮ → Export chat history → JSON) into the lake: the same tables as live "
        "capture, source 'export', partitioned by each message's date. Importing again "
        "replaces the earlier import; messages the bot also captured live count once "
        "(docs/import.md).",
    )
    parser.add_argument("export", type=Path, metavar="result.json", help="the export file")
    parser.add_argument(
        "--chat-id",
        type=chat_id_value,
        metavar="ID",
        help="the chat to import from an account export (Bot API id -100… or the export's id)",
    )
    parser.add_argument(
        "--export-tz",
        metavar="ZONE",
        help="the exporting computer's time zone, for older exports without date_unixtime "
        "(e.g. Europe/Berlin)",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    add_lake_argument(where, required=False)
    where.add_argument("--stack", metavar="NAME", help="a deployed stack (its S3 buckets)")
    parser.add_argument("--region", metavar="R", help="AWS region (with --stack)")
    parser.set_defaults(func=run)
