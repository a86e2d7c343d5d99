"""Arguments and checks shared by several subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from functions.errors import SettingsError
from functions.settings import parse_chat_ids
from scripts.cli import CliError

if TYPE_CHECKING:
    from local.faults import FaultConfig

CHAT_IDS_ENV = "TGPIPE_CHAT_IDS"


def add_lake_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """--lake DIR: the local lake (data/ and raw/ laid out like the S3 buckets)."""
    parser.add_argument(
        "--lake",
        type=Path,
        required=required,
        metavar="DIR",
        help="the local lake directory (data/ and raw/ laid out like the S3 buckets)",
    )


def add_chat_ids_argument(parser: argparse.ArgumentParser) -> None:
    """--chat-ids IDS, falling back to $TGPIPE_CHAT_IDS."""
    parser.add_argument(
        "--chat-ids",
        metavar="IDS",
        help=f"comma-separated chat ids to keep, e.g. -1001234567890 (default: ${CHAT_IDS_ENV})",
    )


def chat_ids(args: argparse.Namespace) -> frozenset[int]:
    """The chat allow-list from --chat-ids or the environment, or a clear error.

    Empty when neither is given but the lake already keeps chats (`tgpipe chats
    allow`, followed migrations): the lake's store is the allow-list then.
    """
    raw = args.chat_ids or os.environ.get(CHAT_IDS_ENV, "")
    if not raw.strip():
        lake = getattr(args, "lake", None)
        if lake is not None and _lake_keeps_chats(lake):
            return frozenset()
        raise CliError(
            f"which chats? pass --chat-ids -1001234567890[,...], set {CHAT_IDS_ENV}, or "
            "keep one with `tgpipe chats allow ID --lake DIR` "
            "(group ids are negative; supergroups start with -100)"
        )
    try:
        parsed = parse_chat_ids(raw, variable="--chat-ids")
    except SettingsError as error:
        raise CliError(str(error)) from None
    people = sorted(chat for chat in parsed if chat > 0)
    if people:
        print(
            f"warning: --chat-ids {','.join(map(str, people))}: positive ids are private chats "
            "with one person; groups are negative (supergroups and channels start with -100)",
            file=sys.stderr,
        )
    return parsed


def _lake_keeps_chats(lake: Path) -> bool:
    from functions.errors import AllowListUnavailable
    from local.allowlist_store import DirectoryStore

    try:
        return any(entry.allowed for entry in DirectoryStore(lake).entries().values())
    except AllowListUnavailable:
        return False


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def port_number(text: str) -> int:
    """argparse type: 0-65535 (0 picks a free port)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


@contextmanager
def progress_bar(
    total: float | None, description: str = "ingesting", *, items: bool = False
) -> Iterator[Callable[[float], None]]:
    """A rich progress bar on a terminal, of bytes (or `items`) done of total; silent elsewhere.

    The one progress bar of the CLI: ingest and replay count bytes, send-updates updates.
    """
    if not sys.stderr.isatty():
        yield lambda amount: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn() if items else DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
        console=None,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda amount: progress.advance(task, amount)


def rate(text: str) -> float:
    """argparse type: a share between 0 and 1 (e.g. 0.2 for 20 %)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate between 0 and 1 (0.2 = 20 %)")
    return value


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """--fail-put-rate, --fail-archive-rate, --archiver-timeout-rate, --fault-seed (all off)."""
    group = parser.add_argument_group(
        "fault injection", "make the local stack fail as AWS can (docs/reliability.md); all off"
    )
    group.add_argument(
        "--fail-put-rate",
        type=rate,
        default=0.0,
        metavar="R",
        help="share of delivery-stream puts that fail with ServiceUnavailable/Throttling",
    )
    group.add_argument(
        "--fail-archive-rate",
        type=rate,
        default=0.0,
        metavar="R",
        help="share of raw-archive writes that fail with SlowDown/InternalError",
    )
    group.add_argument(
        "--archiver-timeout-rate",
        type=rate,
        default=0.0,
        metavar="R",
        help="share of archiver invocations that end in a Lambda timeout",
    )
    group.add_argument(
        "--fault-seed", type=int, default=None, metavar="N", help="seed of the fault draws"
    )


def fault_config(args: argparse.Namespace) -> FaultConfig:
    """The faults chosen by add_fault_arguments' flags."""
    # Imported here: the stack (pyarrow) only loads for commands that run it.
    from local.faults import FaultConfig

    return FaultConfig(
        fail_put_rate=args.fail_put_rate,
        fail_archive_rate=args.fail_archive_rate,
        archiver_timeout_rate=args.archiver_timeout_rate,
        seed=args.fault_seed,
    )


def tgpipe_command() -> str:
    """How to run tgpipe from a new shell in this directory: `tgpipe` when the shell finds
    this very program, else its path (`.venv/bin/tgpipe` after `make`), so printed next
    steps work copy-pasted."""
    import shutil

    program = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if program is None or program.name != "tgpipe" or not program.is_file():
        return ".venv/bin/tgpipe" if Path(".venv/bin/tgpipe").is_file() else "tgpipe"
    found = shutil.which("tgpipe")
    if found is not None and Path(found).resolve() == program:
        return "tgpipe"
    try:
        return str(program.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(program)


#: What makes a directory a lake: the two bucket folders.
LAKE_FOLDERS = ("data", "raw")


def is_lake(path: Path) -> bool:
    """Whether `path` is a lake directory (it holds data/ or raw/)."""
    return path.is_dir() and any((path / folder).is_dir() for folder in LAKE_FOLDERS)


def checked_lake(lake: Path) -> Path:
    """`lake` when it is a lake; else a CliError naming the lake nearby, if there is one."""
    if is_lake(lake):
        return lake
    if lake.exists() and not lake.is_dir():
        raise CliError(f"--lake {lake} is a file, not a lake directory")
    nearby: list[Path] = []
    for candidate in (lake.parent, lake.parent.parent):
        if candidate != lake and is_lake(candidate):
            nearby.append(candidate)
            break
    if lake.is_dir():
        nearby += sorted(child for child in lake.iterdir() if is_lake(child))[:3]
    if nearby:
        names = " or ".join(f"--lake {path}" for path in nearby)
        raise CliError(f"{lake} is not a lake (no data/ or raw/ in it); did you mean {names}?")
    raise CliError(
        f"no lake at {lake} (a lake holds data/ and raw/; run `{tgpipe_command()} demo` "
        "or `ingest` first)"
    )


def writable_lake(lake: Path) -> Path:
    """`lake`, created if needed, for commands that write one (serve, ingest, poll)."""
    if lake.exists() and not lake.is_dir():
        raise CliError(f"--lake {lake} is a file, not a directory")
    try:
        lake.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create the lake {lake}: {error.strerror}") from None
    return lake
