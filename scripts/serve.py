"""`tgpipe serve --lake DIR`: the local stack as a long-running server."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from local.http_api import PortInUse
from local.stack import SECRET_ENV, LocalStack, StackConfig, new_secret
from scripts.cli import CliError
from scripts.common import (
    add_chat_ids_argument,
    add_fault_arguments,
    add_lake_argument,
    chat_ids,
    fault_config,
    port_number,
    positive_float,
    tgpipe_command,
    writable_lake,
)

DEFAULT_PORT = 8080


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM, then flush and print what was received."""
    writable_lake(args.lake)
    allowed = chat_ids(args)
    secret = args.secret or os.environ.get(SECRET_ENV) or new_secret()
    config = StackConfig(
        args.lake,
        allowed,
        secret,
        buffer_mb=args.buffer_mb,
        buffer_seconds=args.buffer_seconds,
        faults=fault_config(args),
        delivery_process=True,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with LocalStack(config) as stack:
        recovered = stack.stats().records_recovered
        try:
            http = stack.serve_http(args.port)
        except PortInUse as error:
            raise CliError(str(error)) from None
        print(f"webhook URL: {http.url}")
        print(f"secret:      {secret}   (header X-Telegram-Bot-Api-Secret-Token)")
        print(f"chats:       {','.join(str(i) for i in sorted(allowed))}")
        print(f"lake:        {args.lake.resolve()}")
        if config.faults.enabled:
            print(f"faults:      {config.faults.describe()}  (injected, see docs/reliability.md)")
        if recovered:
            print(f"recovered {recovered} spooled updates from an earlier run")
        print(
            f"try: TGPIPE_WEBHOOK_SECRET={secret} {tgpipe_command()} send-updates "
            f"--url {http.url} --count 100",
            flush=True,
        )
        stop.wait()
        print("stopping: flushing buffered updates ...", file=sys.stderr, flush=True)
        counts = http.status_counts
    stats = stack.stats()
    print(
        f"served {sum(counts.values())} requests {dict(sorted(counts.items()))}; "
        f"{stats.rows_written} rows, {stats.raw_objects} raw objects, "
        f"{stats.processing_failed + stats.conversion_failed} error records",
        flush=True,
    )
    if config.faults.enabled:
        print(f"injected faults: {stack.faults.counts()}", flush=True)
    from local.delivery_stream import spooled_record_count

    waiting = spooled_record_count(args.lake)
    kept = "every acknowledged update is in the lake"
    if waiting:
        kept = (
            f"{waiting} acknowledged updates wait in the spool and are delivered on the next start"
        )
    print(
        f"stopped: {kept}; running serve again on {args.lake} is safe "
        "(nothing is lost or doubled in messages_unique)",
        flush=True,
    )
    return 0


def register(subparsers: Any) -> None:
    """Add `serve`."""
    parser = subparsers.add_parser(
        "serve",
        help="run the local stack (HTTP API → webhook → delivery stream → lake)",
        description="Run the local stack on 127.0.0.1 until interrupted; flushes on exit.",
    )
    add_lake_argument(parser)
    add_chat_ids_argument(parser)
    parser.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help="0 picks a free port (default 8080)"
    )
    parser.add_argument(
        "--secret",
        help=f"the webhook secret to require (default: ${SECRET_ENV}, else a new random one)",
    )
    parser.add_argument("--buffer-mb", type=positive_float, default=1.0, help="flush at this size")
    parser.add_argument(
        "--buffer-seconds", type=positive_float, default=5.0, help="flush at this age"
    )
    add_fault_arguments(parser)
    parser.set_defaults(func=run)
