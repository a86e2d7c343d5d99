"""`tgpipe replay`: re-derive `messages` from the raw archive, or re-send it into Firehose.

The raw archive (`<raw>/updates/dt=YYYY-MM-DD/<batch time>-<hash>.ndjson.gz`) holds
every accepted update byte for byte, one per line, grouped by the Firehose batch
that carried it. Two uses:

- ``--lake DIR``: after a fix to the row shaper or a new column, rebuild the
  affected `data/messages/dt=...` partitions of a local lake, each swapped in
  with one rename (scripts/replay_lake.py).
- ``--stream NAME``: put the archived updates into a deployed Firehose stream
  again with `PutRecordBatch`, re-sending only the records a partial failure
  names (scripts/replay_stream.py).

This module is the command: its arguments, where the archive is read from (a
local directory or S3, scripts/replay_archive.py), and what it prints. How
replay sets `received_at`: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from functions import constants as c
from glue_schema import DELIVERED_TABLES
from scripts.cli import CliError
from scripts.common import progress_bar
from scripts.replay_archive import ARCHIVE_SUFFIX, ArchiveObject, local_archive, s3_archive
from scripts.replay_lake import PartitionReport, replay_to_lake
from scripts.replay_stream import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_RECORD_BYTES,
    ReplayError,
    replay_to_stream,
)

EXIT_FAILED: Final = 1


def pseudonym_key_from_env() -> bytes | None:
    """The archiver's pseudonymisation key when PSEUDONYMIZE_USERS is on, else None.

    Read from the same variables as the archiver's, so replayed rows carry the
    same pseudonyms as the rows the stack wrote (docs/privacy.md).
    """
    from functions.settings import ArchiverSettings

    env = dict(os.environ)
    env.setdefault(c.ENV_RAW_BUCKET, "replay")  # the archiver needs it; replay does not
    config = ArchiverSettings.from_env(env)
    if not config.pseudonymize_users:
        return None
    if config.pseudonym_key is not None:
        return config.pseudonym_key.encode("utf-8")
    from aws_lambda_powertools.utilities import parameters

    assert config.pseudonym_key_arn is not None  # settings guarantee one of the two
    return str(parameters.get_secret(config.pseudonym_key_arn)).encode("utf-8")


# -- the command --------------------------------------------------------------------


def _dt(text: str) -> str:
    """argparse type: a YYYY-MM-DD date (the form of the dt partitions)."""
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD")
    return text


def _boto3_client(service: str, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # Our own loop retries (only the failed records); one attempt per call here.
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def _archive(args: argparse.Namespace) -> list[ArchiveObject]:
    from botocore.exceptions import BotoCoreError, ClientError

    source = str(args.raw)
    if source.startswith("s3://"):
        try:
            return s3_archive(source, _boto3_client("s3", args.region), args.dt_from, args.dt_to)
        except (ClientError, BotoCoreError) as error:
            raise CliError(f"cannot list {source}: {_aws_reason(error)}") from None
    return local_archive(Path(source), args.dt_from, args.dt_to)


def _aws_reason(error: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return str(error) or type(error).__name__


def _print_partitions(reports: Sequence[PartitionReport], lake: Path) -> None:
    for r in reports:
        if r.table != "messages" and not r.rows and r.rows_before is None:
            continue  # a table this part of the archive has nothing for
        before = "new" if r.rows_before is None else f"was {r.rows_before}"
        state = "rewritten" if r.written else "no rows, left as it was"
        where = "" if r.table == "messages" else f"{r.table} "
        print(
            f"{where}dt={r.dt}: {r.rows} rows ({before}) from {r.updates} archived updates in "
            f"{r.archive_objects} objects; {state}"
        )
        problems = r.processing_failed + r.conversion_failed
        if r.table == "messages" and (r.dropped or problems):
            print(
                f"  {r.dropped} non-message updates skipped, {r.processing_failed} undecodable, "
                f"{r.conversion_failed} rows not fitting the schema"
            )
        elif r.conversion_failed:
            print(f"  {r.conversion_failed} rows not fitting the schema")
        if r.updates and r.received_at_kept + r.received_at_archived < r.updates:
            print(
                f"  received_at: {r.received_at_kept} kept from the replaced rows, the rest "
                "set to their archive batch's time (see docs/reliability.md)"
            )
    written: dict[str, int] = {}
    for r in reports:
        written[r.table] = written.get(r.table, 0) + int(r.written)
    detail = ", ".join(f"{count} of {table}" for table, count in written.items() if count)
    print(f"lake {lake}: {sum(written.values())} partitions rewritten ({detail or 'none'})")


def run(args: argparse.Namespace) -> int:
    """Replay the raw archive into a lake or a delivery stream; print what was done."""
    if args.table is not None and args.stream is None:
        raise CliError("--table goes with --stream (a lake replay rebuilds every table)")
    if args.dt_from and args.dt_to and args.dt_from > args.dt_to:
        raise CliError(f"--dt-from {args.dt_from} is after --dt-to {args.dt_to}")
    objects = _archive(args)
    if not objects:
        window = f" between {args.dt_from or 'the start'} and {args.dt_to or 'the end'}"
        raise CliError(
            f"no raw archive objects (*{ARCHIVE_SUFFIX} under dt=...) in {args.raw}{window}"
        )
    total = sum(o.size for o in objects)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        with progress_bar(total, "replaying") as advance:
            if args.lake is not None:
                reports = replay_to_lake(objects, args.lake, advance, pseudonym_key_from_env())
            else:
                firehose = _boto3_client("firehose", args.region)
                report = replay_to_stream(
                    objects,
                    firehose,
                    args.stream,
                    advance,
                    max_attempts=args.max_attempts,
                    table=args.table,
                )
    except ReplayError as error:
        raise CliError(str(error), exit_code=EXIT_FAILED) from None
    except (ClientError, BotoCoreError) as error:
        raise CliError(f"replay stopped: {_aws_reason(error)}", EXIT_FAILED) from None
    except OSError as error:
        raise CliError(f"replay failed: {error.strerror or error}", EXIT_FAILED) from None
    if args.lake is not None:
        _print_partitions(reports, args.lake)
        return 0
    print(
        f"sent {report.records} archived updates to {args.stream} in {report.calls} "
        f"PutRecordBatch calls ({report.retried} records re-sent after partial failures)"
    )
    if report.skipped_other_tables:
        print(
            f"skipped {report.skipped_other_tables} archived updates that do not feed {args.table}"
        )
    if report.skipped_too_large:
        print(
            f"tgpipe replay: {report.skipped_too_large} records over {MAX_RECORD_BYTES} bytes "
            "skipped (Firehose cannot take them)",
            file=sys.stderr,
        )
    return 0


def _attempts(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def register(subparsers: Any) -> None:
    """Add `replay`."""
    parser = subparsers.add_parser(
        "replay",
        help="re-derive messages from the raw archive, or re-send it into Firehose",
        description="Rebuild the messages partitions of a local lake from the raw archive "
        "(after a shaper fix or a new column), or put the archived updates into a deployed "
        "Firehose stream again. See docs/reliability.md.",
    )
    parser.add_argument(
        "--raw",
        required=True,
        metavar="SRC",
        help="the raw archive: a local directory (<lake>/raw or its updates/) or s3://bucket/prefix",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--lake", type=Path, metavar="DIR", help="rebuild this local lake's messages"
    )
    target.add_argument("--stream", metavar="NAME", help="re-send into this Firehose stream")
    parser.add_argument(
        "--table",
        choices=[table.name for table in DELIVERED_TABLES],
        help="with --stream: send only the updates that feed this table (e.g. member_events "
        "into the <stack>-member-events stream, to fill it from an older archive)",
    )
    parser.add_argument("--region", help="AWS region for s3:// and --stream (default: boto3's)")
    parser.add_argument("--dt-from", type=_dt, metavar="YYYY-MM-DD", help="first dt to replay")
    parser.add_argument("--dt-to", type=_dt, metavar="YYYY-MM-DD", help="last dt to replay")
    parser.add_argument(
        "--max-attempts",
        type=_attempts,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"PutRecordBatch attempts per batch before giving up (default {DEFAULT_MAX_ATTEMPTS})",
    )
    parser.set_defaults(func=run)
