"""Names shared by the functions, the template (infra/) and the local stack.

One source of truth: infra/ wires environment variables and resources with these
names, and the functions read them, so the two cannot drift.
"""

from typing import Final

# Environment variables: webhook.
ENV_ALLOWED_CHAT_IDS: Final = "ALLOWED_CHAT_IDS"
ENV_DELIVERY_STREAM_NAME: Final = "DELIVERY_STREAM_NAME"
#: The engagement tables' delivery streams (unset: those updates go to the messages
#: stream, archived but not shaped, as before the tables existed).
ENV_MEMBER_EVENTS_STREAM_NAME: Final = "MEMBER_EVENTS_STREAM_NAME"
ENV_REACTIONS_STREAM_NAME: Final = "REACTIONS_STREAM_NAME"
#: The archiver's `stream name=table` pairs, comma-separated; other streams shape messages.
ENV_STREAM_TABLES: Final = "STREAM_TABLES"
ENV_WEBHOOK_SECRET: Final = "WEBHOOK_SECRET"
ENV_WEBHOOK_SECRET_ARN: Final = "WEBHOOK_SECRET_ARN"
ENV_DELIVERY_BUDGET_SECONDS: Final = "DELIVERY_BUDGET_SECONDS"
ENV_SECRET_MAX_AGE_SECONDS: Final = "SECRET_MAX_AGE_SECONDS"
#: SSM path of the chat allow-list store (`<path>chats/<id>`, `<path>seen/<id>`);
#: unset: migrations are followed in memory only (docs/migrations.md).
ENV_ALLOW_LIST_PATH: Final = "ALLOW_LIST_PATH"
ENV_ALLOW_LIST_MAX_AGE_SECONDS: Final = "ALLOW_LIST_MAX_AGE_SECONDS"
DEFAULT_ALLOW_LIST_MAX_AGE_SECONDS: Final = 60
#: The allow-list store's path for a stack: /tgpipe/<stack name>/.
ALLOW_LIST_PATH_FORMAT: Final = "/tgpipe/{stack}/"

# Environment variables: archiver.
ENV_RAW_BUCKET: Final = "RAW_BUCKET"

# Optional hardening (both off by default; docs/privacy.md).
#: "true": the webhook answers 403 to any source address outside TELEGRAM_WEBHOOK_CIDRS.
ENV_RESTRICT_SOURCE_IPS: Final = "RESTRICT_SOURCE_IPS"
#: "true": the archiver replaces user ids in rows by keyed pseudonyms, drops names.
ENV_PSEUDONYMIZE_USERS: Final = "PSEUDONYMIZE_USERS"
ENV_PSEUDONYM_KEY: Final = "PSEUDONYM_KEY"
ENV_PSEUDONYM_KEY_ARN: Final = "PSEUDONYM_KEY_ARN"

# Powertools (set by infra/ on both functions).
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
#: The functions' own log level. Lambda's advanced logging controls would override it
#: inside Powertools, so the handlers apply it themselves (functions.logs).
ENV_POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
METRICS_NAMESPACE: Final = "TelegramPipeline"
WEBHOOK_SERVICE: Final = "webhook"
ARCHIVER_SERVICE: Final = "archiver"

# Entry points.
WEBHOOK_HANDLER: Final = "functions.webhook.handler.lambda_handler"
ARCHIVER_HANDLER: Final = "functions.archiver.handler.lambda_handler"

# HTTP.
WEBHOOK_PATH: Final = "/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
#: Firehose's record limit (API Record: "Maximum length of 1024000", before base64).
FIREHOSE_MAX_RECORD_BYTES: Final = 1_024_000
#: The largest body the webhook takes: its record (body + "\n") must fit one Firehose
#: record, or Firehose would refuse it for good and the webhook answer 503 forever.
MAX_BODY_BYTES: Final = FIREHOSE_MAX_RECORD_BYTES - 1
#: The ranges Telegram sends webhooks from (Bot API docs, "Marvin's Marvellous Guide
#: to All Things Webhook"): the optional source allow-list admits only these.
TELEGRAM_WEBHOOK_CIDRS: Final = ("149.154.160.0/20", "91.108.4.0/22")

# Timing budget: the webhook's delivery retries must end well before its own
# Lambda timeout, which must end before API Gateway's 30 s integration timeout.
DEFAULT_DELIVERY_BUDGET_SECONDS: Final = 6.0
WEBHOOK_TIMEOUT_SECONDS: Final = 10
API_GATEWAY_TIMEOUT_SECONDS: Final = 30
#: After a manual rotation (then `tgpipe set-webhook`), Telegram's new secret is refused
#: for up to this long; it retries (401) and nothing is lost. 15 minutes: ~$0.014 per month.
DEFAULT_SECRET_MAX_AGE_SECONDS: Final = 900

# Metric names.
METRIC_ACCEPTED: Final = "UpdatesAccepted"
METRIC_IGNORED: Final = "UpdatesIgnored"
METRIC_REJECTED_SECRET: Final = "RequestsRejectedSecret"
METRIC_BAD_REQUEST: Final = "RequestsBad"
METRIC_REJECTED_SOURCE: Final = "RequestsRejectedSource"
METRIC_DELIVERY_FAILED: Final = "DeliveryFailed"
METRIC_CHAT_MIGRATED: Final = "ChatMigrated"
METRIC_ALLOW_LIST_FAILED: Final = "AllowListFailed"
METRIC_ROWS_OK: Final = "RowsShaped"
METRIC_RECORDS_DROPPED: Final = "RecordsDropped"
METRIC_RECORDS_FAILED: Final = "RecordsProcessingFailed"

# Lake layout (S3 and local alike).
MESSAGES_PREFIX: Final = "messages/"
RAW_UPDATES_PREFIX: Final = "updates/"
ERRORS_PREFIX: Final = "errors/"

# Per-attempt Firehose timeouts: budget + one attempt must fit the webhook timeout.
FIREHOSE_CONNECT_TIMEOUT_SECONDS: Final = 1.0
FIREHOSE_READ_TIMEOUT_SECONDS: Final = 2.0

# The archiver runs inside Firehose's processing call, which waits up to 5 minutes;
# one minute is ample for one gzip put of a batch of at most a few MB.
ARCHIVER_TIMEOUT_SECONDS: Final = 60

# Lambda's synchronous response limit, and the archiver's worst measured response size
# per byte of batch (small service updates; tests/infra/test_batch_limits.py measures
# the captured ones): the processor buffer may not exceed what fits.
LAMBDA_RESPONSE_LIMIT_BYTES: Final = 6 * 1024 * 1024
WORST_RESPONSE_TO_INPUT_RATIO: Final = 4.0
MAX_PROCESSOR_BUFFER_MB: Final = int(
    LAMBDA_RESPONSE_LIMIT_BYTES / WORST_RESPONSE_TO_INPUT_RATIO / 2**20
)
