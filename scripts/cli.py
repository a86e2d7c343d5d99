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
from typing import Any

from functions.errors import SettingsError

#: Subcommand modules, in the order `tgpipe --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "scripts.demo",
    "scripts.serve",
    "scripts.ingest",
    "scripts.send_updates",
    "scripts.query_cmd",
    "scripts.dashboard",
    "scripts.replay",
    "scripts.chats",
    "scripts.status",
    "scripts.template_cmd",
    "scripts.package",
    "scripts.deploy",
    "scripts.set_webhook",
    "scripts.poll",
)

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix: printed as one line, exit code 2 by default."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Chat ids are negative: let "-1001234567890,-1001111111111" be a value,
        # not an unknown option (argparse only allows plain negative numbers).
        self._negative_number_matcher = re.compile(r"^-\d+(,-?\d+)*$|^-\d*\.\d+$")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered subcommand."""
    parser = _Parser(
        prog="tgpipe",
        description="Capture Telegram group messages into an analytics lake (AWS or local).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; user errors become one line on stderr and a non-zero exit."""
    args = build_parser().parse_args(argv)
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
