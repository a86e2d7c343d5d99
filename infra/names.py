"""Logical ids, parameter names and output names of the stack, shared with the scripts.

`tgpipe deploy` passes parameters and `tgpipe set-webhook` reads outputs by these
names, so the template and the commands cannot drift apart.
"""

from __future__ import annotations

from typing import Final

from functions import constants as c

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
MESSAGES_S3_PREFIX_EXPR: Final = f"{c.MESSAGES_PREFIX}dt={FIREHOSE_TIMESTAMP}/"
ERRORS_S3_PREFIX_EXPR: Final = (
    f"{c.ERRORS_PREFIX}!{{firehose:error-output-type}}/dt={FIREHOSE_TIMESTAMP}/"
)
