"""`tgpipe chats list|allow|disallow`: the chat allow-list, shown and edited without a redeploy.

The same store the webhook reads: a folder of the lake locally, SSM parameters
under /tgpipe/<stack>/ for a deployed stack. `list` also shows the groups the
bot hears from but does not keep, so an operator finds a group's id there.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions import constants as c
from functions.allowlist import AllowListStore, describe, entry_for_operator
from functions.errors import AllowListUnavailable
from functions.settings import parse_chat_ids
from scripts.cli import CliError
from scripts.common import tgpipe_command

if TYPE_CHECKING:
    from functions.allowlist import SeenChat


@dataclass(frozen=True)
class Target:
    """Where the allow-list lives: the store, the ids configured beside it, and how to name it."""

    store: AllowListStore
    configured: frozenset[int]
    where: str


def chat_id_argument(text: str) -> int:
    """argparse type: one chat id (negative for groups)."""
    try:
        (chat_id,) = parse_chat_ids(text, variable="chat id")
    except (ValueError, RuntimeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a chat id (groups are negative, supergroups start with -100)"
        ) from None
    return chat_id


def _local_target(lake: Path) -> Target:
    from local.allowlist_store import DirectoryStore

    if lake.exists() and not lake.is_dir():
        raise CliError(f"--lake {lake} is a file, not a lake directory")
    return Target(DirectoryStore(lake), frozenset(), f"--lake {lake}")


def described_stack(stack: str, region: str | None) -> dict[str, Any]:
    """describe_stacks' answer for the stack; one clear line when there is none."""
    from scripts.deploy import aws_call, aws_client

    cloudformation = aws_client("cloudformation", region)
    stacks: list[dict[str, Any]] = aws_call(
        f"reading stack {stack}", lambda: cloudformation.describe_stacks(StackName=stack)["Stacks"]
    )
    return stacks[0]


def stack_target(described: dict[str, Any], stack: str, region: str | None) -> Target:
    """The deployed allow-list: the stack's AllowedChatIds and its SSM entries."""
    from functions.adapters import SsmAllowListStore
    from infra import names as n
    from scripts.deploy import aws_client

    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])
    }
    raw = parameters.get(n.P_ALLOWED_CHAT_IDS, "")
    configured = parse_chat_ids(raw) if raw.strip() else frozenset()
    path = c.ALLOW_LIST_PATH_FORMAT.format(stack=stack)
    where = f"--stack {stack}" + (f" --region {region}" if region else "")
    return Target(SsmAllowListStore(path, aws_client("ssm", region)), configured, where)


def target(args: argparse.Namespace) -> Target:
    """The store named by --lake or --stack."""
    if args.lake is not None:
        return _local_target(args.lake)
    return stack_target(described_stack(args.stack, args.region), args.stack, args.region)


def _print_table(rows: list[dict[str, Any]], seen: list[SeenChat], where: str) -> None:
    if rows:
        print("chats kept (or explicitly not):")
        for row in rows:
            state = "kept" if row["kept"] else "NOT kept"
            since = f", since {row['since']}" if row["since"] else ""
            print(f"  {row['chat_id']:>16}  {state:8}  {row['reason']}{since}")
    else:
        print("no chats are kept yet")
    if seen:
        print("groups the bot hears from but does not keep:")
        for chat in seen:
            kind = chat.chat_type or "?"
            title = chat.title or ""
            print(f"  {chat.chat_id:>16}  {kind:10}  {title}  (last seen {chat.last_seen})")
        print(f"keep one with: {tgpipe_command()} chats allow ID {where}")


def run(args: argparse.Namespace) -> int:
    """list / allow / disallow."""
    where = target(args)
    try:
        if args.action == "list":
            rows = describe(where.store.entries(), where.configured)
            kept = {row["chat_id"] for row in rows}
            seen = [
                chat for chat_id, chat in sorted(where.store.seen().items()) if chat_id not in kept
            ]
            if args.format == "json":
                print(
                    json.dumps(
                        {
                            "chats": rows,
                            "seen": [
                                {
                                    "chat_id": s.chat_id,
                                    "chat_type": s.chat_type,
                                    "title": s.title,
                                    "last_seen": s.last_seen,
                                }
                                for s in seen
                            ],
                        },
                        ensure_ascii=False,
                        indent=2,
                    )
                )
            else:
                _print_table(rows, seen, where.where)
            return 0
        allowed = args.action == "allow"
        where.store.put(entry_for_operator(args.chat_id, allowed))
        if allowed:
            where.store.forget_seen(args.chat_id)
    except AllowListUnavailable as error:
        raise CliError(
            f"the allow-list could not be {'read' if args.action == 'list' else 'written'}: {error}",
            1,
        ) from None
    state = "kept from now on" if allowed else "no longer kept"
    print(f"chat {args.chat_id}: {state} ({where.where}; running webhooks see it within a minute)")
    return 0


def register(subparsers: Any) -> None:
    """Add `tgpipe chats`."""
    parser = subparsers.add_parser(
        "chats",
        help="show and edit which chats are kept (no redeploy)",
        description=__doc__,
    )
    parser.add_argument("action", choices=("list", "allow", "disallow"))
    parser.add_argument(
        "chat_id",
        nargs="?",
        type=chat_id_argument,
        metavar="ID",
        help="the chat id for allow / disallow, e.g. -1001234567890",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--lake", type=Path, metavar="DIR", help="the local lake directory")
    where.add_argument("--stack", metavar="NAME", help="the deployed stack")
    parser.add_argument("--region", metavar="R", help="AWS region (with --stack)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=_checked_run)


def _checked_run(args: argparse.Namespace) -> int:
    if args.action == "list" and args.chat_id is not None:
        raise CliError("list takes no chat id")
    if args.action != "list" and args.chat_id is None:
        raise CliError(f"which chat? tgpipe chats {args.action} -1001234567890 ...")
    return run(args)
