"""`tgpipe poll`: a real bot, no public URL: long-poll getUpdates into the local stack.

The command: read the token, then either list the chats the first updates come
from (no --chat-ids; nothing is stored) or poll into the lake until Ctrl-C /
SIGTERM and print what was stored. The loop itself, and why it never skips an
update, is scripts/poll_loop.py; the chat listing scripts/poll_chats.py; the live
line scripts/poll_status.py; the clean stop scripts/poll_stop.py.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import replace
from typing import Any, Final

from local.stack import LocalStack, StackConfig, archiver_settings_from_env
from scripts.botapi import BotApi, add_token_arguments, read_token
from scripts.cli import CliError
from scripts.common import (
    CHAT_IDS_ENV,
    add_chat_ids_argument,
    add_lake_argument,
    chat_ids,
    writable_lake,
)
from scripts.poll_chats import chats_in, describe_chats
from scripts.poll_loop import DEFAULT_POLL_TIMEOUT, Poller
from scripts.poll_status import StatusLine
from scripts.poll_stop import PollStopped, StopRequest

#: The HTTP read timeout outlasts the long-poll wait by this much.
HTTP_GRACE_SECONDS: Final = 15


def token_hint(args: argparse.Namespace) -> str:
    """How the user gave the token, to repeat in suggested commands (never the token)."""
    if args.token_file is not None:
        return f"--token-file {shlex.quote(str(args.token_file))}"
    return f"--token-env {shlex.quote(args.token_env)}"


def list_chats(poller: Poller, args: argparse.Namespace) -> int:
    """Wait for the first updates, print their chats and how to choose; store nothing."""
    print(
        "no --chat-ids: waiting for updates to show which chats the bot is in. Send a message "
        "in the group (or add the bot to it now). Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    try:
        updates = poller.first_batch()
    except PollStopped:
        print("stopped before any update came", file=sys.stderr)
        return 0
    lake = shlex.quote(str(args.lake)) if args.lake is not None else "my-lake"
    command = f"tgpipe poll --lake {lake} {token_hint(args)}"
    for line in describe_chats(chats_in(updates), len(updates), command):
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    """Poll into the lake until Ctrl-C / SIGTERM, then flush; or list chats without --chat-ids."""
    if args.timeout < 1:
        raise CliError(f"--timeout must be at least 1 second, got {args.timeout}")
    token = read_token(args)
    api = BotApi(token, args.api_base, timeout=args.timeout + HTTP_GRACE_SECONDS)
    choosing = not (args.chat_ids or os.environ.get(CHAT_IDS_ENV, "").strip())
    with StopRequest().installed() as stop:
        if choosing:
            return list_chats(
                Poller(api, timeout=args.timeout, stop=stop, token_hint=token_hint(args)), args
            )
        if args.lake is None:
            raise CliError("--lake DIR is required to store updates (it is created if missing)")
        # Rows say they were read with getUpdates, not pushed to a webhook.
        archiver = replace(archiver_settings_from_env(), source="poll")
        config = StackConfig(writable_lake(args.lake), chat_ids(args), archiver=archiver)
        with StatusLine() as status:
            poller = Poller(
                api, timeout=args.timeout, stop=stop, status=status, token_hint=token_hint(args)
            )
            with LocalStack(config) as stack:
                recovered = stack.stats().records_recovered
                if recovered:
                    status.note(f"recovered {recovered} spooled updates from an earlier run")
                status.note(
                    f"polling for chats {','.join(str(i) for i in sorted(config.chat_ids))} "
                    f"into {args.lake}; Ctrl-C to stop"
                )
                counts = poller.run(stack)
                status.note("stopping: flushing buffered updates ...")
            stats = stack.stats()
    print(
        f"{counts.line()}; lake {args.lake}: {stats.rows_written} rows, "
        f"{stats.raw_objects} raw objects, "
        f"{stats.processing_failed + stats.conversion_failed} error records",
        flush=True,
    )
    return 0


def positive_int(text: str) -> int:
    """argparse type: a whole number of seconds."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds")
    return int(text)


def register(subparsers: Any) -> None:
    """Add `poll`."""
    parser = subparsers.add_parser(
        "poll",
        help="capture a real bot's updates without a public URL (long-polls getUpdates)",
        description=(
            "Long-polls getUpdates and pushes each update through the webhook handler and the "
            "local delivery stream into the lake; the offset advances only after a batch is "
            "durably accepted. Without --chat-ids, lists the chats the first updates come "
            "from and stores nothing. Works only while the bot has no webhook."
        ),
    )
    add_lake_argument(parser, required=False)
    add_token_arguments(parser)
    add_chat_ids_argument(parser)
    parser.add_argument(
        "--timeout",
        type=positive_int,
        default=DEFAULT_POLL_TIMEOUT,
        metavar="S",
        help=f"long-poll wait per getUpdates call, seconds (default {DEFAULT_POLL_TIMEOUT})",
    )
    parser.set_defaults(func=run)
