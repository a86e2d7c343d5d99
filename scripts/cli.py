"""`tgpipe`: one entry point, one module per subcommand.

Each module listed in COMMAND_MODULES exposes ``register(subparsers)`` which adds
its parser and sets ``func`` (taking the parsed args, returning an exit code).
Errors the user can fix are raised as CliError and printed as one line.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from functions.errors import SettingsError

#: Every subcommand, in the order `tgpipe --help` lists them: (name, module, one-line help).
#: `tgpipe --help` reads only this table; a command's module (and whatever it imports:
#: duckdb, pyarrow, boto3) is imported only when that command is run or asked for help.
#: tests/unit/test_cli.py checks each help line against what its module registers.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("demo", "scripts.demo", "run the whole pipeline locally on generated updates and report"),
    ("serve", "scripts.serve", "run the local stack (HTTP API → webhook → delivery stream → lake)"),
    (
        "ingest",
        "scripts.ingest",
        "push update files (JSON, NDJSON, gzip, arrays, getUpdates answers, directories) "
        "through the handlers into a lake",
    ),
    (
        "import-export",
        "scripts.import_export",
        "load a group's history from Telegram Desktop's JSON export (result.json)",
    ),
    ("send-updates", "scripts.send_updates", "POST realistic test updates to a webhook URL"),
    ("query", "scripts.query_cmd", "run Athena SQL on the local lake"),
    (
        "dashboard",
        "scripts.dashboard",
        "run the dashboard queries (local lake or Athena) into one HTML page",
    ),
    (
        "replay",
        "scripts.replay",
        "re-derive messages from the raw archive, or re-send it into Firehose",
    ),
    ("chats", "scripts.chats", "show and edit which chats are kept (no redeploy)"),
    ("status", "scripts.status", "is the pipeline healthy, and what to do if not"),
    ("template", "scripts.template_cmd", "print or write the CloudFormation template"),
    (
        "package",
        "scripts.package",
        "write the exact Lambda zip deploy uploads (orjson for arm64 included)",
    ),
    ("deploy", "scripts.deploy", "package the functions and deploy the stack to AWS"),
    (
        "set-webhook",
        "scripts.set_webhook",
        "point the bot at the deployed webhook (URL and secret from the stack)",
    ),
    (
        "webhook-info",
        "scripts.set_webhook",
        "show the bot's webhook: URL, pending updates, last error",
    ),
    (
        "delete-webhook",
        "scripts.set_webhook",
        "stop Telegram pushing updates (before tearing the stack down)",
    ),
    (
        "poll",
        "scripts.poll",
        "capture a real bot's updates without a public URL (long-polls getUpdates)",
    ),
)
#: Subcommand modules, each imported at most once.
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for _, module, _ in COMMANDS))
#: A value made of negative numbers (a chat id or a comma list of them), not an option.
_NEGATIVE_VALUE = re.compile(r"^-\d+(,\s*-?\d+)*$")

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix: printed as one line, exit code 2 by default."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv (the first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: `command`'s module fully registered (every one when None, none when
    empty), the other commands as names with their help line."""
    parser = _Parser(
        prog="tgpipe",
        description="Capture Telegram group messages into an analytics lake (AWS or local).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    wanted = {module for name, module, _ in COMMANDS if command is None or name == command}
    for name, module, summary in COMMANDS:  # in table order, which is --help's order
        if name in subparsers.choices:
            continue  # its module registered it with the one before
        if module in wanted:
            importlib.import_module(module).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def joined_negative_values(argv: Sequence[str]) -> list[str]:
    """argv with `--opt -100…[,-100…]` written `--opt=-100…`, so argparse reads a value.

    argparse takes a word starting with "-" for an option unless it is one plain
    negative number; a comma list of chat ids is not.
    """
    words = list(argv)
    joined: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word.startswith("--") and "=" not in word and _NEGATIVE_VALUE.match(following):
            joined.append(f"{word}={following}")
            index += 2
            continue
        joined.append(word)
        index += 1
    return joined


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line, importing only the module of the command it names."""
    words = joined_negative_values(argv)
    # No command named (`tgpipe --help`, or a mistake): the table alone answers.
    return build_parser(_chosen(words) or "").parse_args(words)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; user errors become one line on stderr and a non-zero exit."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except CliError as error:
        print(f"tgpipe {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except SettingsError as error:
        print(f"tgpipe {args.command}: configuration: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"tgpipe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run through the importable module so `python -m scripts.cli` and the `tgpipe`
    # script share one CliError class (subcommands import it from scripts.cli).
    from scripts.cli import main as _main

    sys.exit(_main())
