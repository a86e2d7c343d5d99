"""`tgpipe status (--lake DIR | --stack NAME)`: is the pipeline healthy, and what to do if not.

Reports Telegram's side (getWebhookInfo, getMe's privacy mode, admin rights in the
kept groups) when a token is given, then the lake's or the stack's side: the newest
data and its age, what waits to be delivered, error records, alarms and the
allow-list. Each finding is `ok`, `warn` or `FAIL` with what to do; the exit status
is 0 only when nothing failed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from scripts.cli import CliError

Level = Literal["ok", "warn", "FAIL"]
#: A webhook error newer than this is a current problem, not history.
RECENT_ERROR = timedelta(hours=1)
#: More updates than this waiting at Telegram means delivery is stuck.
MAX_PENDING_UPDATES = 100
#: Member and reaction updates reach only administrators (Bot API: chat_member,
#: message_reaction need the bot to be an administrator in the chat).
ADMIN_STATUSES = frozenset({"administrator", "creator"})
MAX_CHATS_CHECKED = 20
#: Firehose's DeliveryToS3.DataFreshness above this means records are stuck (the
#: buffers hold them 900 s at most when healthy).
MAX_FIREHOSE_WAIT_SECONDS = 3600.0


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    level: Level
    subject: str
    detail: str
    advice: str = ""

    def line(self) -> str:
        """The report line: level, subject, detail, and what to do."""
        text = f"{self.level:4}  {self.subject:<12} {self.detail}"
        return f"{text}\n      → {self.advice}" if self.advice else text


@dataclass
class Facts:
    """What was observed; `assess` turns it into findings (pure, testable without I/O)."""

    now: datetime
    where: str
    webhook_info: dict[str, Any] | None = None
    me: dict[str, Any] | None = None
    telegram_error: str | None = None
    member_status: dict[int, str] = field(default_factory=dict)
    #: getChatMemberCount of each kept group checked (Telegram's count, bots included).
    member_count: dict[int, int] = field(default_factory=dict)
    newest_data: datetime | None = None
    backlog: int | None = None
    backlog_what: str = "records waiting to be delivered"
    firehose_wait_seconds: float | None = None
    recent_errors: int = 0
    older_errors: int = 0
    alarms_firing: list[str] = field(default_factory=list)
    alarms_known: int | None = None
    kept_chats: list[int] = field(default_factory=list)
    ignored_groups: int = 0


def _telegram(facts: Facts) -> list[Finding]:
    if facts.telegram_error is not None:
        return [Finding("FAIL", "telegram", facts.telegram_error, "check the token and network")]
    if facts.webhook_info is None and facts.me is None:
        return [Finding("warn", "telegram", "not checked", "pass --token-file to check it")]
    findings = []
    info = facts.webhook_info or {}
    pending = int(info.get("pending_update_count") or 0)
    url = info.get("url") or "(none: updates wait for getUpdates / tgpipe poll)"
    error_date = info.get("last_error_date")
    if error_date and facts.now - datetime.fromtimestamp(int(error_date), UTC) < RECENT_ERROR:
        when = datetime.fromtimestamp(int(error_date), UTC).strftime("%Y-%m-%d %H:%M UTC")
        findings.append(
            Finding(
                "FAIL",
                "webhook",
                f"{url}: last delivery failed {when}: {info.get('last_error_message', '')}",
                "Telegram retries for about 24 hours; fix the endpoint before then "
                "(tgpipe set-webhook re-registers URL and secret)",
            )
        )
    elif pending > MAX_PENDING_UPDATES:
        findings.append(
            Finding(
                "FAIL",
                "webhook",
                f"{url}: {pending} updates waiting at Telegram",
                "delivery is stuck or too slow: look at the alarms and the webhook's logs",
            )
        )
    else:
        findings.append(Finding("ok", "webhook", f"{url}, {pending} pending"))
    if facts.me is not None:
        if facts.me.get("can_read_all_group_messages") is False:
            findings.append(
                Finding(
                    "FAIL",
                    "privacy",
                    "privacy mode is on: in groups the bot receives only commands and "
                    "service messages",
                    "@BotFather → /setprivacy → Disable, then remove the bot from each "
                    "group and add it again",
                )
            )
        else:
            findings.append(Finding("ok", "privacy", "the bot reads all group messages"))
    for chat_id, count in sorted(facts.member_count.items()):
        # Where the member-growth chart's count is known: Telegram's figure today.
        findings.append(Finding("ok", "members", f"{chat_id}: {count:,} members now"))
    for chat_id, status in sorted(facts.member_status.items()):
        if status not in ADMIN_STATUSES:
            findings.append(
                Finding(
                    "warn",
                    "admin",
                    f"not an administrator in {chat_id} ({status})",
                    "joins/leaves (chat_member) and reactions reach only administrators: "
                    "promote the bot in that group",
                )
            )
    return findings


def _lake(facts: Facts, max_age: timedelta) -> list[Finding]:
    findings = []
    if facts.newest_data is None:
        findings.append(
            Finding(
                "FAIL",
                "data",
                f"no messages in {facts.where} yet",
                "send a message in a kept group",
            )
        )
    else:
        age = facts.now - facts.newest_data
        hours = age.total_seconds() / 3600
        detail = (
            f"newest message received {facts.newest_data:%Y-%m-%d %H:%M} UTC ({hours:.1f} h ago)"
        )
        if age > max_age:
            findings.append(
                Finding(
                    "FAIL",
                    "data",
                    detail,
                    f"older than {max_age.total_seconds() / 3600:g} h: is the group quiet, or "
                    "is delivery failing? (--max-age-hours for quiet groups)",
                )
            )
        else:
            findings.append(Finding("ok", "data", detail))
    if facts.backlog:
        findings.append(
            Finding(
                "warn",
                "backlog",
                f"{facts.backlog} {facts.backlog_what}",
                "a running serve delivers them; a stopped one recovers them on its next start",
            )
        )
    elif facts.backlog is not None:
        findings.append(Finding("ok", "backlog", "nothing waiting"))
    if facts.firehose_wait_seconds is not None:
        wait = facts.firehose_wait_seconds
        if wait > MAX_FIREHOSE_WAIT_SECONDS:
            findings.append(
                Finding(
                    "FAIL",
                    "firehose",
                    f"the oldest record has waited {wait:,.0f} s to reach S3",
                    "delivery to S3 is failing or slow: DataFreshnessAlarm, errors/ and the "
                    "archiver's logs say why",
                )
            )
        else:
            findings.append(Finding("ok", "firehose", f"records reach S3 within {wait:,.0f} s"))
    if facts.recent_errors:
        findings.append(
            Finding(
                "FAIL",
                "errors",
                f"{facts.recent_errors} error objects under errors/ in the last day",
                "docs/reliability.md: see why, fix, then tgpipe replay",
            )
        )
    elif facts.older_errors:
        findings.append(
            Finding("warn", "errors", f"{facts.older_errors} older error objects under errors/")
        )
    else:
        findings.append(Finding("ok", "errors", "none"))
    if facts.alarms_firing:
        findings.append(
            Finding(
                "FAIL",
                "alarms",
                f"in ALARM: {', '.join(sorted(facts.alarms_firing))}",
                "each alarm's description says what it means (docs/deploy.md)",
            )
        )
    elif facts.alarms_known is not None:
        findings.append(Finding("ok", "alarms", f"{facts.alarms_known} alarms, none firing"))
    if not facts.kept_chats:
        findings.append(
            Finding(
                "FAIL",
                "chats",
                "no chat is kept",
                "pass the --chat-ids serve/ingest run with, or keep one: tgpipe chats allow ID "
                "(tgpipe chats list shows the groups heard)",
            )
        )
    else:
        ids = ", ".join(str(chat) for chat in facts.kept_chats[:10])
        more = f" (+{len(facts.kept_chats) - 10})" if len(facts.kept_chats) > 10 else ""
        seen = (
            f"; {facts.ignored_groups} other groups heard, not kept" if facts.ignored_groups else ""
        )
        findings.append(Finding("ok", "chats", f"kept: {ids}{more}{seen}"))
    return findings


def assess(facts: Facts, max_age: timedelta) -> list[Finding]:
    """Every finding, Telegram's side first."""
    return [*_telegram(facts), *_lake(facts, max_age)]


# -- gathering -------------------------------------------------------------------------------


def _kept(entries: dict[int, Any], configured: Iterable[int]) -> list[int]:
    from functions.allowlist import effective

    return sorted(effective(configured, entries).allowed)


def gather_telegram(facts: Facts, args: argparse.Namespace) -> None:
    """getWebhookInfo, getMe, the bot's status and the member count in each kept group (≤ 20)."""
    from scripts.botapi import BotApi, BotApiError, read_token

    if args.token_file is None and args.token_env is None:
        return
    api = BotApi(read_token(args), args.api_base)
    try:
        facts.webhook_info = api.call("getWebhookInfo")
        facts.me = api.call("getMe")
        bot_id = facts.me.get("id") if isinstance(facts.me, dict) else None
        for chat_id in [c for c in facts.kept_chats if c < 0][:MAX_CHATS_CHECKED]:
            try:
                member = api.call("getChatMember", {"chat_id": chat_id, "user_id": bot_id})
            except BotApiError as error:
                facts.member_status[chat_id] = f"not readable: {error}"
                continue
            facts.member_status[chat_id] = str(member.get("status", "unknown"))
            try:
                count = api.call("getChatMemberCount", {"chat_id": chat_id})
            except BotApiError:
                continue  # the status line above already says what is wrong with the chat
            if isinstance(count, int) and not isinstance(count, bool):
                facts.member_count[chat_id] = count
    except BotApiError as error:
        facts.telegram_error = str(error)


def gather_lake(facts: Facts, lake: Path, configured: frozenset[int] = frozenset()) -> None:
    """The local lake: newest row, spool backlog, error files, allow-list."""
    from local.allowlist_store import DirectoryStore
    from local.delivery_stream import spooled_record_count
    from local.query import LocalQueryEngine, QueryError
    from scripts.common import checked_lake

    checked_lake(lake)
    try:
        with LocalQueryEngine(lake) as engine:
            _, rows = engine.query("SELECT max(received_at) FROM messages")
    except QueryError as error:
        raise CliError(f"could not read {lake}: {error}") from None
    newest = rows[0][0] if rows else None
    facts.newest_data = newest.replace(tzinfo=UTC) if isinstance(newest, datetime) else None
    facts.backlog = spooled_record_count(lake)
    day_ago = (facts.now - timedelta(days=1)).timestamp()
    for path in (lake / "data" / "errors").rglob("*"):
        if path.is_file():
            if path.stat().st_mtime >= day_ago:
                facts.recent_errors += 1
            else:
                facts.older_errors += 1
    store = DirectoryStore(lake)
    facts.kept_chats = _kept(store.entries(), configured)
    facts.ignored_groups = len(set(store.seen()) - set(facts.kept_chats))


def _firehose_wait(cloudwatch: Any, stream: str, now: datetime) -> float:
    """The longest a record waited in `stream` to reach S3 over the last 30 minutes (0: none)."""
    from scripts.deploy import aws_call

    points = aws_call(
        f"reading Firehose's data freshness ({stream})",
        lambda: cloudwatch.get_metric_statistics(
            Namespace="AWS/Firehose",
            MetricName="DeliveryToS3.DataFreshness",
            Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
            StartTime=now - timedelta(minutes=30),
            EndTime=now,
            Period=300,
            Statistics=["Maximum"],
        ),
    ).get("Datapoints", [])
    return max((float(p["Maximum"]) for p in points), default=0.0)


def gather_stack(facts: Facts, stack: str, region: str | None) -> None:
    """The deployed stack: newest Parquet object, error objects, alarms, allow-list."""
    from functions import constants as c
    from infra import names as n
    from scripts.chats import described_stack, stack_target
    from scripts.deploy import aws_call, aws_client

    described = described_stack(stack, region)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    s3 = aws_client("s3", region)
    bucket = outputs.get(n.O_DATA_BUCKET)
    if bucket is None:
        raise CliError(f"stack {stack} has no output {n.O_DATA_BUCKET}: is it a tgpipe stack?")
    newest: datetime | None = None
    days = aws_call(
        "listing the data bucket",
        lambda: s3.list_objects_v2(Bucket=bucket, Prefix=c.MESSAGES_PREFIX, Delimiter="/"),
    ).get("CommonPrefixes", [])
    if days:
        latest_day = max(p["Prefix"] for p in days)
        objects = aws_call(
            "listing the newest partition",
            lambda: s3.list_objects_v2(Bucket=bucket, Prefix=latest_day),
        ).get("Contents", [])
        newest = max((o["LastModified"] for o in objects), default=None)
    facts.newest_data = newest
    day_ago = facts.now - timedelta(days=1)
    errors = aws_call(
        "listing error objects", lambda: s3.list_objects_v2(Bucket=bucket, Prefix=c.ERRORS_PREFIX)
    ).get("Contents", [])
    facts.recent_errors = sum(1 for o in errors if o["LastModified"] >= day_ago)
    facts.older_errors = len(errors) - facts.recent_errors
    # CloudFormation names the alarms it creates "<stack>-<logical id>-<suffix>".
    cloudwatch = aws_client("cloudwatch", region)
    pages = aws_call(
        "reading the alarms",
        lambda: list(
            cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{stack}-")
        ),
    )
    states = [alarm for page in pages for alarm in page.get("MetricAlarms", [])]
    alarm_names = [alarm["AlarmName"] for alarm in states]
    facts.alarms_known = len(alarm_names)
    # Every delivered table's stream (a stack deployed before they existed has only one).
    streams = [outputs[s.output] for s in n.DELIVERY_STREAMS if outputs.get(s.output)]
    waits = [_firehose_wait(cloudwatch, stream, facts.now) for stream in streams]
    if waits:
        facts.firehose_wait_seconds = max(waits)
    facts.alarms_firing = [a["AlarmName"] for a in states if a.get("StateValue") == "ALARM"]
    allow_list = stack_target(described, stack, region)
    facts.kept_chats = _kept(allow_list.store.entries(), allow_list.configured)
    facts.ignored_groups = len(set(allow_list.store.seen()) - set(facts.kept_chats))


def _configured(args: argparse.Namespace) -> frozenset[int]:
    """--chat-ids / $TGPIPE_CHAT_IDS when given (what serve and ingest run with), else none."""
    import os

    from scripts.common import CHAT_IDS_ENV, chat_ids

    if not (args.chat_ids or os.environ.get(CHAT_IDS_ENV, "").strip()):
        return frozenset()
    return chat_ids(args)


def run(args: argparse.Namespace) -> int:
    """Gather, assess, print; 0 only when nothing failed."""
    from functions.errors import AllowListUnavailable

    if args.max_age_hours <= 0:
        raise CliError("--max-age-hours must be positive")
    where = f"--lake {args.lake}" if args.lake is not None else f"stack {args.stack}"
    facts = Facts(now=datetime.now(tz=UTC), where=where)
    try:
        if args.lake is not None:
            gather_lake(facts, args.lake, _configured(args))
        else:
            gather_stack(facts, args.stack, args.region)
    except AllowListUnavailable as error:
        raise CliError(f"the allow-list could not be read: {error}", 1) from None
    gather_telegram(facts, args)
    findings = assess(facts, timedelta(hours=args.max_age_hours))
    for finding in findings:
        print(finding.line())
    failed = [f for f in findings if f.level == "FAIL"]
    print(f"{'healthy' if not failed else f'{len(failed)} problem(s)'} ({where})")
    return 1 if failed else 0


def register(subparsers: Any) -> None:
    """Add `status`."""
    from scripts.botapi import DEFAULT_API_BASE
    from scripts.common import add_chat_ids_argument

    parser = subparsers.add_parser(
        "status", help="is the pipeline healthy, and what to do if not", description=__doc__
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--lake", type=Path, metavar="DIR", help="the local lake")
    where.add_argument("--stack", metavar="NAME", help="the deployed stack")
    parser.add_argument("--region", metavar="R", help="AWS region (with --stack)")
    add_chat_ids_argument(parser)
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token-file", type=Path, metavar="FILE", help="file holding the bot token")
    token.add_argument("--token-env", metavar="VAR", help="environment variable holding the token")
    parser.add_argument(
        "--api-base", default=DEFAULT_API_BASE, metavar="URL", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=24.0,
        metavar="H",
        help="newest message older than this is a problem (default 24; more for quiet groups)",
    )
    parser.set_defaults(func=run)
