"""Logical ids, parameter names and output names of the stack, shared with the scripts.

`tgpipe deploy` passes parameters and `tgpipe set-webhook` reads outputs by these
names, so the template and the commands cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from functions import constants as c
from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS
from glue_schema import Table as SchemaTable

# Lambda runtime and the public Powertools layer built for it (same Python, same arch).
LAMBDA_RUNTIME: Final = "python3.12"
LAMBDA_ARCHITECTURE: Final = "arm64"
POWERTOOLS_LAYER_ACCOUNT: Final = "017000801446"
POWERTOOLS_LAYER_NAME: Final = "AWSLambdaPowertoolsPythonV3-python312-arm64"
#: Layer version published with Powertools v3 (docs, "Lambda Layer" table); a parameter
#: lets a deployment pin another one without a code change.
POWERTOOLS_LAYER_VERSION: Final = 27

# Firehose requires at least 64 MiB of buffer when it converts the record format.
MIN_BUFFER_MB_WITH_CONVERSION: Final = 64
DEFAULT_BUFFER_MB: Final = 128

# --- Parameters -------------------------------------------------------------
P_CODE_BUCKET: Final = "CodeBucket"
P_CODE_KEY: Final = "CodeKey"
P_ALLOWED_CHAT_IDS: Final = "AllowedChatIds"
P_ALARM_EMAIL: Final = "AlarmEmail"
P_FUNCTION_LOG_LEVEL: Final = "FunctionLogLevel"
P_WEBHOOK_CONCURRENCY: Final = "WebhookReservedConcurrency"
P_THROTTLE_BURST: Final = "ApiThrottleBurst"
P_THROTTLE_RATE: Final = "ApiThrottleRate"
P_API_ACCESS_LOGS: Final = "ApiAccessLogs"
P_LOG_RETENTION_DAYS: Final = "LogRetentionDays"
P_BUFFER_MB: Final = "BufferSizeMB"
P_BUFFER_SECONDS: Final = "BufferIntervalSeconds"
P_PROCESSOR_BUFFER_MB: Final = "ProcessorBufferSizeMB"
P_PROCESSOR_BUFFER_SECONDS: Final = "ProcessorBufferIntervalSeconds"
P_DATABASE_NAME: Final = "GlueDatabaseName"
P_PROJECTION_START: Final = "PartitionStartDate"
P_RAW_TRANSITION_DAYS: Final = "RawTransitionDays"
P_RAW_STORAGE_CLASS: Final = "RawTransitionStorageClass"
P_RESULTS_EXPIRATION_DAYS: Final = "AthenaResultsExpirationDays"
P_ACCESS_LOG_EXPIRATION_DAYS: Final = "AccessLogExpirationDays"
P_BYTES_SCANNED_CUTOFF: Final = "BytesScannedCutoffPerQuery"
P_FRESHNESS_THRESHOLD: Final = "DataFreshnessAlarmSeconds"
P_POWERTOOLS_LAYER_VERSION: Final = "PowertoolsLayerVersion"
P_RESTRICT_SOURCE_IPS: Final = "RestrictToTelegramIps"
P_PSEUDONYMIZE_USERS: Final = "PseudonymizeUsers"

# --- Conditions -------------------------------------------------------------
C_HAS_ALARM_EMAIL: Final = "HasAlarmEmail"
C_PSEUDONYMIZE_USERS: Final = "PseudonymizeUsersOn"
C_HAS_DATABASE_NAME: Final = "HasGlueDatabaseName"
C_API_ACCESS_LOGS: Final = "ApiAccessLogsOn"

# --- Resources --------------------------------------------------------------
R_ACCESS_LOGS_BUCKET: Final = "AccessLogsBucket"
R_DATA_BUCKET: Final = "DataBucket"
R_RAW_BUCKET: Final = "RawBucket"
R_RESULTS_BUCKET: Final = "AthenaResultsBucket"
R_WEBHOOK_SECRET: Final = "WebhookSecret"
R_WEBHOOK_FUNCTION: Final = "WebhookFunction"
R_WEBHOOK_ROLE: Final = "WebhookRole"
R_WEBHOOK_LOG_GROUP: Final = "WebhookLogGroup"
R_ARCHIVER_FUNCTION: Final = "ArchiverFunction"
R_ARCHIVER_ROLE: Final = "ArchiverRole"
R_ARCHIVER_LOG_GROUP: Final = "ArchiverLogGroup"
R_PSEUDONYM_KEY: Final = "PseudonymKey"
R_DELIVERY_STREAM: Final = "DeliveryStream"
R_DELIVERY_ROLE: Final = "DeliveryStreamRole"
R_DELIVERY_LOG_GROUP: Final = "DeliveryStreamLogGroup"
R_DELIVERY_LOG_STREAM: Final = "DeliveryStreamLogStream"
R_DATABASE: Final = "GlueDatabase"
R_MESSAGES_TABLE: Final = "MessagesTable"
R_MEMBER_EVENTS_TABLE: Final = "MemberEventsTable"
R_REACTIONS_TABLE: Final = "ReactionsTable"
R_RAW_UPDATES_TABLE: Final = "RawUpdatesTable"
R_HTTP_API: Final = "HttpApi"
R_API_INTEGRATION: Final = "WebhookIntegration"
R_API_ROUTE: Final = "WebhookRoute"
R_API_STAGE: Final = "DefaultStage"
R_API_ACCESS_LOG_GROUP: Final = "ApiAccessLogGroup"
R_API_INVOKE_PERMISSION: Final = "WebhookInvokePermission"
R_WORKGROUP: Final = "AthenaWorkGroup"
R_ALARM_TOPIC: Final = "AlarmTopic"
R_ALARM_SUBSCRIPTION: Final = "AlarmEmailSubscription"

# --- Outputs ----------------------------------------------------------------
O_WEBHOOK_URL: Final = "WebhookUrl"
O_DATA_BUCKET: Final = "DataBucketName"
O_RAW_BUCKET: Final = "RawBucketName"
O_RESULTS_BUCKET: Final = "AthenaResultsBucketName"
O_ACCESS_LOGS_BUCKET: Final = "AccessLogsBucketName"
O_DELIVERY_STREAM: Final = "DeliveryStreamName"
O_WORKGROUP: Final = "AthenaWorkGroupName"
O_DATABASE: Final = "GlueDatabaseName"
O_SECRET_ARN: Final = "WebhookSecretArn"
O_ALARM_TOPIC: Final = "AlarmTopicArn"
O_PSEUDONYM_KEY_ARN: Final = "PseudonymKeyArn"

#: Firehose's S3 key prefixes; the Glue projection templates must agree with them.
FIREHOSE_TIMESTAMP: Final = "!{timestamp:yyyy-MM-dd}"
FIREHOSE_ERROR_OUTPUT_TYPE: Final = "!{firehose:error-output-type}"
#: The error output types an ExtendedS3 stream with a Lambda processor and record format
#: conversion writes (Firehose developer guide, "Custom prefixes": error-output-type).
FIREHOSE_ERROR_OUTPUT_TYPES: Final = ("processing-failed", "format-conversion-failed")
#: Firehose stream names: 1 to 64 characters of [a-zA-Z0-9_.-] (API DeliveryStreamName).
FIREHOSE_NAME_MAX_CHARS: Final = 64


@dataclass(frozen=True)
class DeliveredStream:
    """One delivered table's Firehose stream: logical ids, name, S3 prefixes, output.

    Firehose converts records to one schema per stream, so each table in
    glue_schema.DELIVERED_TABLES has a stream of its own. The messages stream keeps
    the logical ids, generated name and error prefix it had before the others
    existed (renaming a stream replaces it); the others are named after the stack,
    because the archiver's STREAM_TABLES must name them and cannot Ref them (they
    reference the archiver).
    """

    table: SchemaTable
    #: Prepended to the logical ids ("" keeps the messages stream's).
    id_prefix: str
    table_id: str
    #: After /tgpipe/<stack>/ in the log group's name.
    log_name: str
    #: Where Firehose writes the stream's error records (before the error output type).
    errors_prefix: str
    #: The stream's name after the stack name; None: CloudFormation generates a name.
    name_suffix: str | None = None
    #: Logical ids: the stream, its role, log group and log stream; its output's name.
    stream_id: str = field(init=False)
    role_id: str = field(init=False)
    log_group_id: str = field(init=False)
    log_stream_id: str = field(init=False)
    output: str = field(init=False)

    def __post_init__(self) -> None:
        base = f"{self.id_prefix}DeliveryStream"
        suffixes = {
            "stream_id": "",
            "role_id": "Role",
            "log_group_id": "LogGroup",
            "log_stream_id": "LogStream",
            "output": "Name",
        }
        for attribute, suffix in suffixes.items():
            object.__setattr__(self, attribute, base + suffix)

    @property
    def name_expression(self) -> str | None:
        """The explicit name as an Fn::Sub string (None when generated)."""
        return None if self.name_suffix is None else "${AWS::StackName}" + self.name_suffix

    @property
    def prefix_expression(self) -> str:
        """Firehose's Prefix: the table's folder, then the dt partition."""
        return f"{self.table.prefix}dt={FIREHOSE_TIMESTAMP}/"

    @property
    def errors_prefix_expression(self) -> str:
        """Firehose's ErrorOutputPrefix: errors by output type, then dt."""
        return f"{self.errors_prefix}{FIREHOSE_ERROR_OUTPUT_TYPE}/dt={FIREHOSE_TIMESTAMP}/"

    def alarm_id(self, name: str) -> str:
        """Logical id of one of the stream's alarms."""
        return f"{self.id_prefix}{name}"


def _own_stream(table: SchemaTable, id_prefix: str, table_id: str) -> DeliveredStream:
    """A stream added beside the messages one: named <stack>-<table>, errors/<table>/..."""
    return DeliveredStream(
        table,
        id_prefix=id_prefix,
        table_id=table_id,
        log_name=f"firehose/{table.name}",
        errors_prefix=f"{c.ERRORS_PREFIX}{table.prefix}",
        name_suffix="-" + table.name.replace("_", "-"),
    )


MESSAGES_STREAM: Final = DeliveredStream(
    MESSAGES,
    id_prefix="",
    table_id=R_MESSAGES_TABLE,
    log_name="firehose",
    errors_prefix=c.ERRORS_PREFIX,
)
MEMBER_EVENTS_STREAM: Final = _own_stream(MEMBER_EVENTS, "MemberEvents", R_MEMBER_EVENTS_TABLE)
REACTIONS_STREAM: Final = _own_stream(REACTIONS, "Reactions", R_REACTIONS_TABLE)
#: One per glue_schema.DELIVERED_TABLES, in that order.
DELIVERY_STREAMS: Final = (MESSAGES_STREAM, MEMBER_EVENTS_STREAM, REACTIONS_STREAM)

#: The longest stack name whose explicitly named streams stay within Firehose's limit.
MAX_STACK_NAME_CHARS: Final = FIREHOSE_NAME_MAX_CHARS - max(
    len(stream.name_suffix) for stream in DELIVERY_STREAMS if stream.name_suffix is not None
)
