"""The stack's parameters: what a deployment may tune without a code change."""

from __future__ import annotations

from troposphere import Equals, Not, Parameter, Ref

from functions import constants as c
from glue_schema import DATABASE_DEFAULT
from infra import names as n

#: The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]  # fmt: skip


def parameters() -> list[Parameter]:
    """Every parameter, with defaults that deploy a working, cheap stack."""
    return [
        Parameter(
            n.P_CODE_BUCKET,
            Type="String",
            Description="S3 bucket holding the function package (tgpipe deploy uploads it).",
            MinLength=3,
        ),
        Parameter(
            n.P_CODE_KEY,
            Type="String",
            Description="S3 key of the function package (content-hash named).",
            MinLength=1,
        ),
        Parameter(
            n.P_ALLOWED_CHAT_IDS,
            Type="String",
            Description="Comma-separated chat ids whose updates are kept, e.g. -1001234567890.",
            AllowedPattern=r"^-?[0-9]+( *, *-?[0-9]+)*$",
        ),
        Parameter(
            n.P_ALARM_EMAIL,
            Type="String",
            Default="",
            Description="E-mail address that receives the alarms (empty: no subscription).",
        ),
        Parameter(
            n.P_FUNCTION_LOG_LEVEL,
            Type="String",
            Default="WARN",
            AllowedValues=["DEBUG", "INFO", "WARN", "ERROR"],
            Description="Log level of both functions' own lines (POWERTOOLS_LOG_LEVEL; "
            "Lambda's filter stays at INFO so metric lines always pass). WARN keeps "
            "CloudWatch Logs, the largest per-message cost after the API, to errors; "
            "metrics still reach CloudWatch. INFO adds one line per update (ids and "
            "outcome, never text).",
        ),
        Parameter(
            n.P_API_ACCESS_LOGS,
            Type="String",
            Default="false",
            AllowedValues=["true", "false"],
            Description="One access-log line per request in CloudWatch Logs (~0.4 KB, about "
            "$0.19 per million updates). Off by default: API Gateway already counts "
            "requests, 4xx, 5xx and latency for free, and the webhook counts what it refuses.",
        ),
        Parameter(
            n.P_WEBHOOK_CONCURRENCY,
            Type="Number",
            Default=10,
            MinValue=1,
            MaxValue=1000,
            Description="Reserved concurrency of the webhook (caps cost under a flood).",
        ),
        Parameter(
            n.P_THROTTLE_BURST,
            Type="Number",
            Default=100,
            MinValue=1,
            Description="API burst limit (requests).",
        ),
        Parameter(
            n.P_THROTTLE_RATE,
            Type="Number",
            Default=50,
            MinValue=1,
            Description="API steady-state rate limit (requests per second).",
        ),
        Parameter(
            n.P_LOG_RETENTION_DAYS,
            Type="Number",
            Default=30,
            AllowedValues=LOG_RETENTION_DAYS,
            Description="Days CloudWatch keeps the functions', API's and Firehose's logs.",
        ),
        Parameter(
            n.P_BUFFER_MB,
            Type="Number",
            Default=n.DEFAULT_BUFFER_MB,
            MinValue=n.MIN_BUFFER_MB_WITH_CONVERSION,
            MaxValue=128,
            Description="Firehose buffer size in MiB (format conversion needs at least 64).",
        ),
        Parameter(
            n.P_BUFFER_SECONDS,
            Type="Number",
            Default=300,
            MinValue=60,
            MaxValue=900,
            Description="Firehose buffer interval: the longest a message waits before S3.",
        ),
        Parameter(
            n.P_PROCESSOR_BUFFER_MB,
            Type="Number",
            Default=1,
            MinValue=1,
            MaxValue=c.MAX_PROCESSOR_BUFFER_MB,
            Description="MiB Firehose hands the archiver per invocation. At most "
            f"{c.MAX_PROCESSOR_BUFFER_MB}: the archiver's response to a batch of the smallest "
            f"updates is up to {c.WORST_RESPONSE_TO_INPUT_RATIO:g}x the batch, and Lambda "
            "refuses responses over 6 MB (the batch would fail whole).",
        ),
        Parameter(
            n.P_PROCESSOR_BUFFER_SECONDS,
            Type="Number",
            Default=60,
            MinValue=60,
            MaxValue=900,
            Description="Seconds Firehose buffers before invoking the archiver.",
        ),
        Parameter(
            n.P_DATABASE_NAME,
            Type="String",
            Default="",
            AllowedPattern=r"^[a-z0-9_]{0,255}$",
            Description="Glue database name (lower case, digits, underscore). Empty: "
            f"{DATABASE_DEFAULT}_<stack name> (hyphens as underscores), one per stack.",
        ),
        Parameter(
            n.P_PROJECTION_START,
            Type="String",
            Default="2024-01-01",
            AllowedPattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            Description="First dt partition Athena projects (yyyy-MM-dd); the range ends at NOW.",
        ),
        Parameter(
            n.P_RAW_TRANSITION_DAYS,
            Type="Number",
            Default=30,
            MinValue=30,
            Description="Days before the raw archive moves to the colder storage class.",
        ),
        Parameter(
            n.P_RAW_STORAGE_CLASS,
            Type="String",
            Default="STANDARD_IA",
            AllowedValues=["STANDARD_IA", "GLACIER_IR", "INTELLIGENT_TIERING"],
            Description="Colder storage class of the raw archive (all stay readable by Athena).",
        ),
        Parameter(
            n.P_RESULTS_EXPIRATION_DAYS,
            Type="Number",
            Default=7,
            MinValue=1,
            Description="Days Athena query results are kept.",
        ),
        Parameter(
            n.P_ACCESS_LOG_EXPIRATION_DAYS,
            Type="Number",
            Default=90,
            MinValue=1,
            Description="Days S3 server access logs are kept.",
        ),
        Parameter(
            n.P_BYTES_SCANNED_CUTOFF,
            Type="Number",
            Default=10 * 1024**3,
            MinValue=10_000_000,
            Description="Athena cancels a query of the workgroup that scans more bytes.",
        ),
        Parameter(
            n.P_FRESHNESS_THRESHOLD,
            Type="Number",
            Default=1800,
            MinValue=300,
            Description="Alarm when the oldest record in Firehose is older (must exceed the buffer interval).",
        ),
        Parameter(
            n.P_RESTRICT_SOURCE_IPS,
            Type="String",
            Default="false",
            AllowedValues=["false", "true"],
            Description="true: the webhook answers 403 to sources outside Telegram's published "
            "webhook ranges (149.154.160.0/20, 91.108.4.0/22).",
        ),
        Parameter(
            n.P_PSEUDONYMIZE_USERS,
            Type="String",
            Default="false",
            AllowedValues=["false", "true"],
            Description="true: rows carry keyed pseudonyms instead of user ids, no names "
            "(the raw archive keeps the updates unchanged; docs/privacy.md).",
        ),
        Parameter(
            n.P_POWERTOOLS_LAYER_VERSION,
            Type="Number",
            Default=n.POWERTOOLS_LAYER_VERSION,
            MinValue=1,
            Description=f"Version of the public {n.POWERTOOLS_LAYER_NAME} layer.",
        ),
    ]


def has_alarm_email() -> Not:
    """Condition: an alarm e-mail address was given."""
    return Not(Equals(Ref(n.P_ALARM_EMAIL), ""))


def pseudonymize_users() -> Equals:
    """Condition: rows are pseudonymised (a key secret and the archiver's read of it exist)."""
    return Equals(Ref(n.P_PSEUDONYMIZE_USERS), "true")


def has_database_name() -> Not:
    """Condition: a Glue database name was given (else one is derived from the stack name)."""
    return Not(Equals(Ref(n.P_DATABASE_NAME), ""))


def api_access_logs() -> Equals:
    """Condition: the API stage writes an access-log line per request."""
    return Equals(Ref(n.P_API_ACCESS_LOGS), "true")
