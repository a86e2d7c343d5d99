"""`tgpipe send-updates`: POST updates to a webhook URL as Telegram does, and measure.

The updates come from the realistic generator (``--count``) or from a file
(``--file``: one update JSON or NDJSON); scripts/webhook_sender.py sends them
(keep-alive connections, the secret header) and measures.

The webhook secret is not a bot token, but it still guards the endpoint, so it
is read from the environment by default (``TGPIPE_WEBHOOK_SECRET``, or the
variable named by ``--secret-env``) rather than typed on a command line that
lands in shell history and ``ps``. ``--secret`` overrides it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from functions import jsoncodec
from functions.constants import SECRET_HEADER
from local.generator import DEFAULT_CHAT_ID, DEFAULT_FOREIGN_CHAT_ID, iter_updates
from scripts.cli import CliError
from scripts.webhook_sender import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT_SECONDS,
    SendReport,
    TargetUnreachable,
    send_updates,
    url_origin,
)

DEFAULT_SECRET_ENV: Final = "TGPIPE_WEBHOOK_SECRET"  # noqa: S105 - a variable name
DEFAULT_COUNT: Final = 1000
EXIT_FAILED: Final = 1

#: The numeric options, in --help's order: (flag, type, default, help).
_NUMBER_OPTIONS: Final[tuple[tuple[str, Callable[[str], float], float, str], ...]] = (
    ("--chat-id", int, DEFAULT_CHAT_ID,
     f"the group generated updates belong to (default {DEFAULT_CHAT_ID})"),
    ("--foreign-chat-id", int, DEFAULT_FOREIGN_CHAT_ID,
     f"the other group a share of updates comes from (default {DEFAULT_FOREIGN_CHAT_ID})"),
    ("--seed", int, 0, "generator seed: same seed, same bytes (default 0)"),
    ("--concurrency", int, DEFAULT_CONCURRENCY,
     f"parallel keep-alive connections (default {DEFAULT_CONCURRENCY})"),
    ("--timeout", float, DEFAULT_TIMEOUT_SECONDS,
     f"seconds to wait for each connection and answer (default {DEFAULT_TIMEOUT_SECONDS:g})"),
)  # fmt: skip


def _file_updates(path: Path) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """How many updates a file holds and a way to stream their bodies.

    NDJSON lines are sent byte for byte; a single pretty-printed document is sent
    compact, as Telegram sends it. A line that is not JSON is a CliError naming it.
    """
    try:
        with path.open("rb") as source:
            count, bad_line, bad_reason = 0, 0, ""
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    jsoncodec.loads(line)
                except jsoncodec.InvalidJson as error:
                    bad_line, bad_reason = number, str(error)
                    break
                count += 1
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from None
    if not bad_line:
        if count == 0:
            raise CliError(f"{path}: no updates in the file")

        def lines() -> Iterator[bytes]:
            with path.open("rb") as source:
                for line in source:
                    if line.strip():
                        yield line.strip()

        return count, lines
    try:
        document = jsoncodec.loads(path.read_bytes())
    except jsoncodec.InvalidJson:
        raise CliError(f"{path}:{bad_line}: not valid JSON ({bad_reason})") from None
    body = jsoncodec.dumps(document)
    return 1, lambda: iter((body,))


def _secret(args: argparse.Namespace) -> str | None:
    if args.secret is not None:
        return str(args.secret)
    variable = args.secret_env or DEFAULT_SECRET_ENV
    value = os.environ.get(variable)
    if value:
        return value
    if args.secret_env:
        raise CliError(f"environment variable {variable} is not set")
    print(
        f"tgpipe send-updates: no secret (--secret, ${DEFAULT_SECRET_ENV}): "
        f"sending without {SECRET_HEADER}",
        file=sys.stderr,
    )
    return None


def _format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_report(report: SendReport, origin: str) -> None:
    """The summary: counts by status, connection errors, throughput and latency."""
    print(
        f"sent {report.sent} updates to {origin} in {report.elapsed_seconds:.2f} s "
        f"({report.updates_per_second:.0f} updates/s, {report.connections_opened} connections)"
    )
    for status, count in report.status_counts.items():
        print(f"  HTTP {status}: {count}")
    print(f"  connection errors: {report.connection_errors}")
    print(
        f"  latency ms: p50 {_format_ms(report.latency_p50_ms)}  "
        f"p95 {_format_ms(report.latency_p95_ms)}  p99 {_format_ms(report.latency_p99_ms)}"
    )


def run(args: argparse.Namespace) -> int:
    """Send the updates and print the summary; exit 1 when any request failed."""
    if args.count is not None and args.count < 1:
        raise CliError("--count must be at least 1")
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    try:
        origin = url_origin(args.url)
    except ValueError as error:
        raise CliError(str(error)) from None
    secret = _secret(args)
    if args.file is not None:
        total, bodies = _file_updates(args.file)
        source = bodies()
    else:
        total = args.count if args.count is not None else DEFAULT_COUNT
        source = (
            update.body
            for update in iter_updates(
                total,
                chat_id=args.chat_id,
                seed=args.seed,
                foreign_chat_id=args.foreign_chat_id,
            )
        )
    try:
        report = send_updates(
            args.url,
            source,
            secret=secret,
            concurrency=args.concurrency,
            timeout=args.timeout,
            total=total,
            progress=sys.stderr.isatty(),
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except TargetUnreachable as error:
        raise CliError(str(error), exit_code=EXIT_FAILED) from None
    print_report(report, origin)
    if report.failed:
        print(
            f"tgpipe send-updates: {report.failed} of {report.sent} requests failed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def register(subparsers: Any) -> None:
    """Add `tgpipe send-updates` to the command line."""
    parser = subparsers.add_parser(
        "send-updates",
        help="POST realistic test updates to a webhook URL",
        description=(
            "POST updates to a webhook URL as Telegram does (JSON body, "
            f"{SECRET_HEADER} header, keep-alive connections) and print status counts "
            "and latency percentiles. Exit code 1 when any request failed."
        ),
    )
    parser.add_argument(
        "--url", required=True, help="the webhook URL, e.g. http://127.0.0.1:8080/webhook"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret",
        help=f"the webhook secret token (prefer the environment: ${DEFAULT_SECRET_ENV})",
    )
    secret.add_argument(
        "--secret-env",
        metavar="VAR",
        help=f"read the secret from this environment variable (default {DEFAULT_SECRET_ENV})",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--count", type=int, help=f"generate this many realistic updates (default {DEFAULT_COUNT})"
    )
    source.add_argument(
        "--file", type=Path, help="send the updates in this file (one update JSON, or NDJSON)"
    )
    for flag, kind, default, help_text in _NUMBER_OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=help_text)
    parser.set_defaults(func=run)
