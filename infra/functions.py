"""The webhook and archiver Lambda functions, each with its own role and log group."""

from __future__ import annotations

from typing import Any

from troposphere import AWS_NO_VALUE, GetAtt, If, Ref, Sub
from troposphere.awslambda import Code, Environment, Function, LoggingConfig
from troposphere.logs import LogGroup
from troposphere.secretsmanager import GenerateSecretString, Secret

from functions import constants as c
from infra import names as n
from infra.common import allow, checkov_skips, log_group_write, service_role

WEBHOOK_MEMORY_MB = 256
ARCHIVER_MEMORY_MB = 256

#: Checks that do not fit a function fronted by API Gateway / called by Firehose.
_FUNCTION_SKIPS = [
    (
        "CKV_AWS_116",
        "invoked synchronously (API Gateway, Firehose); a DLQ only serves async invokes",
    ),
    ("CKV_AWS_117", "reaches only public AWS endpoints; a VPC would add NAT cost and nothing else"),
    (
        "CKV_AWS_173",
        "the environment holds names and ARNs, no secrets; the secret stays in Secrets Manager",
    ),
]
_LOG_GROUP_SKIPS = [
    (
        "CKV_AWS_158",
        "CloudWatch Logs encrypts at rest by default; a KMS key adds cost, no protection here",
    ),
    ("CKV_AWS_66", "retention is set, from the LogRetentionDays parameter checkov cannot resolve"),
]


def log_group(logical_id: str, name_suffix: str) -> LogGroup:
    """A log group named after the stack, kept for LogRetentionDays."""
    return LogGroup(
        logical_id,
        LogGroupName=Sub("/tgpipe/${AWS::StackName}/" + name_suffix),
        RetentionInDays=Ref(n.P_LOG_RETENTION_DAYS),
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        Metadata=checkov_skips(*_LOG_GROUP_SKIPS),
    )


def powertools_layer() -> Sub:
    """The public Powertools layer for the stack's region, runtime and architecture."""
    return Sub(
        "arn:${AWS::Partition}:lambda:${AWS::Region}:%s:layer:%s:${%s}"
        % (n.POWERTOOLS_LAYER_ACCOUNT, n.POWERTOOLS_LAYER_NAME, n.P_POWERTOOLS_LAYER_VERSION)
    )


ALLOW_LIST_PATH = c.ALLOW_LIST_PATH_FORMAT.format(stack="${AWS::StackName}")


def allow_list_parameter_arns() -> list[Sub]:
    """The allow-list's two folders (chats/, seen/) and the parameters in them."""
    base = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    return [
        Sub(f"{base}{ALLOW_LIST_PATH}{folder}{suffix}")
        for folder in ("chats", "seen")
        for suffix in ("", "/*")
    ]


#: The webhook's variable naming each delivered table's stream (functions.settings).
STREAM_NAME_VARIABLES = (
    (c.ENV_DELIVERY_STREAM_NAME, n.MESSAGES_STREAM),
    (c.ENV_MEMBER_EVENTS_STREAM_NAME, n.MEMBER_EVENTS_STREAM),
    (c.ENV_REACTIONS_STREAM_NAME, n.REACTIONS_STREAM),
)


def stream_tables() -> Sub:
    """STREAM_TABLES: `<stream name>=<table>` for each stream named after the stack.

    From the names, not Refs: the streams reference the archiver, so its environment
    referencing them would be a cycle. The messages stream is left out (the default).
    """
    return Sub(
        ",".join(
            f"{stream.name_expression}={stream.table.name}"
            for stream in n.DELIVERY_STREAMS
            if stream.name_expression is not None
        )
    )


def webhook_environment() -> dict[str, Any]:
    """The webhook's environment, by the names functions.settings reads."""
    return {
        c.ENV_ALLOWED_CHAT_IDS: Ref(n.P_ALLOWED_CHAT_IDS),
        **{variable: Ref(stream.stream_id) for variable, stream in STREAM_NAME_VARIABLES},
        c.ENV_WEBHOOK_SECRET_ARN: Ref(n.R_WEBHOOK_SECRET),
        c.ENV_DELIVERY_BUDGET_SECONDS: f"{c.DEFAULT_DELIVERY_BUDGET_SECONDS:g}",
        c.ENV_SECRET_MAX_AGE_SECONDS: str(c.DEFAULT_SECRET_MAX_AGE_SECONDS),
        c.ENV_RESTRICT_SOURCE_IPS: Ref(n.P_RESTRICT_SOURCE_IPS),
        c.ENV_ALLOW_LIST_PATH: Sub(ALLOW_LIST_PATH),
        c.ENV_POWERTOOLS_LOG_LEVEL: Ref(n.P_FUNCTION_LOG_LEVEL),
        c.ENV_POWERTOOLS_SERVICE_NAME: c.WEBHOOK_SERVICE,
        c.ENV_POWERTOOLS_METRICS_NAMESPACE: c.METRICS_NAMESPACE,
    }


def archiver_environment() -> dict[str, Any]:
    """The archiver's environment, by the names functions.settings reads."""
    return {
        c.ENV_RAW_BUCKET: Ref(n.R_RAW_BUCKET),
        c.ENV_STREAM_TABLES: stream_tables(),
        c.ENV_PSEUDONYMIZE_USERS: Ref(n.P_PSEUDONYMIZE_USERS),
        # Only a pseudonymising stack has a key; the variable is absent otherwise.
        c.ENV_PSEUDONYM_KEY_ARN: If(
            n.C_PSEUDONYMIZE_USERS, Ref(n.R_PSEUDONYM_KEY), Ref(AWS_NO_VALUE)
        ),
        c.ENV_POWERTOOLS_LOG_LEVEL: Ref(n.P_FUNCTION_LOG_LEVEL),
        c.ENV_POWERTOOLS_SERVICE_NAME: c.ARCHIVER_SERVICE,
        c.ENV_POWERTOOLS_METRICS_NAMESPACE: c.METRICS_NAMESPACE,
    }


class _LoggingConfig(LoggingConfig):  # type: ignore[misc]  # troposphere is untyped
    """LoggingConfig with LogFormat, which CloudFormation has and this troposphere lacks."""

    props = {**LoggingConfig.props, "LogFormat": (str, False)}  # noqa: RUF012 - troposphere's shape


#: Lambda's own filter: INFO, the level it gives metric lines (see _function).
LAMBDA_APPLICATION_LOG_LEVEL = "INFO"


def _function(
    logical_id: str,
    *,
    handler: str,
    role_id: str,
    log_group_id: str,
    timeout: int,
    memory: int,
    environment: dict[str, Any],
    description: str,
    skips: list[tuple[str, str]],
    **extra: Any,
) -> Function:
    return Function(
        logical_id,
        Description=description,
        Runtime=n.LAMBDA_RUNTIME,
        Architectures=[n.LAMBDA_ARCHITECTURE],
        Handler=handler,
        Code=Code(S3Bucket=Ref(n.P_CODE_BUCKET), S3Key=Ref(n.P_CODE_KEY)),
        Role=GetAtt(role_id, "Arn"),
        Timeout=timeout,
        MemorySize=memory,
        Layers=[powertools_layer()],
        Environment=Environment(Variables=environment),
        # JSON + levels. Lambda gives a JSON line without a `level` key the level INFO,
        # and Powertools' metric (EMF) lines carry none: below INFO here, every metric
        # would be dropped and no alarm could fire. So Lambda's filter stays at INFO and
        # Powertools' own level (POWERTOOLS_LOG_LEVEL, the FunctionLogLevel parameter)
        # quiets the application's lines. Lambda's START/END/REPORT lines: WARN.
        LoggingConfig=_LoggingConfig(
            LogGroup=Ref(log_group_id),
            LogFormat="JSON",
            ApplicationLogLevel=LAMBDA_APPLICATION_LOG_LEVEL,
            SystemLogLevel="WARN",
        ),
        Metadata=checkov_skips(*_FUNCTION_SKIPS, *skips),
        **extra,
    )


def webhook_secret() -> Secret:
    """The secret_token Telegram sends with each update: 64 characters Telegram allows."""
    return Secret(
        n.R_WEBHOOK_SECRET,
        Description="secret_token given to Telegram setWebhook; the webhook checks it.",
        # ExcludePunctuation leaves A-Z a-z 0-9 only, a subset of the A-Z a-z 0-9 _ -
        # that Telegram accepts, at 64 characters (~381 bits).
        GenerateSecretString=GenerateSecretString(
            PasswordLength=64,
            ExcludePunctuation=True,
            IncludeSpace=False,
            RequireEachIncludedType=True,
        ),
        Metadata=checkov_skips(
            ("CKV_AWS_149", "the AWS-managed key suffices for one token; a CMK adds a monthly fee"),
        ),
    )


def pseudonym_key() -> list[Any]:
    """The pseudonymisation key (pseudonymising stacks only); the archiver's role reads it."""
    secret = Secret(
        n.R_PSEUDONYM_KEY,
        Condition=n.C_PSEUDONYMIZE_USERS,
        Description="HMAC key of the user pseudonyms in the messages rows (docs/privacy.md).",
        # 64 alphanumerics (~381 bits): far beyond brute force over all user ids.
        GenerateSecretString=GenerateSecretString(
            PasswordLength=64,
            ExcludePunctuation=True,
            IncludeSpace=False,
            RequireEachIncludedType=True,
        ),
        # Deleting the key would make the pseudonyms in the lake unlinkable to new ones.
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        Metadata=checkov_skips(
            ("CKV_AWS_149", "the AWS-managed key suffices for one key; a CMK adds a monthly fee"),
        ),
    )
    return [secret]


def webhook() -> list[Any]:
    """The webhook function, its role (Firehose put, secret read, own logs) and log group."""
    role = service_role(
        n.R_WEBHOOK_ROLE,
        "lambda.amazonaws.com",
        [
            allow(
                ["firehose:PutRecord"],
                [GetAtt(stream.stream_id, "Arn") for stream in n.DELIVERY_STREAMS],
            ),
            allow(["secretsmanager:GetSecretValue"], [Ref(n.R_WEBHOOK_SECRET)]),
            # Its own allow-list only: one parameter per chat under /tgpipe/<stack>/.
            allow(
                ["ssm:GetParameter", "ssm:GetParametersByPath", "ssm:PutParameter"],
                allow_list_parameter_arns(),
            ),
            log_group_write(n.R_WEBHOOK_LOG_GROUP),
        ],
    )
    function = _function(
        n.R_WEBHOOK_FUNCTION,
        description="Telegram webhook: checks the secret, keeps allowed chats, puts to Firehose.",
        handler=c.WEBHOOK_HANDLER,
        role_id=n.R_WEBHOOK_ROLE,
        log_group_id=n.R_WEBHOOK_LOG_GROUP,
        timeout=c.WEBHOOK_TIMEOUT_SECONDS,
        memory=WEBHOOK_MEMORY_MB,
        environment=webhook_environment(),
        skips=[],
        ReservedConcurrentExecutions=Ref(n.P_WEBHOOK_CONCURRENCY),
    )
    return [log_group(n.R_WEBHOOK_LOG_GROUP, "webhook"), role, function]


def archiver() -> list[Any]:
    """The archiver function, its role (write under updates/ of the raw bucket) and log group."""
    role = service_role(
        n.R_ARCHIVER_ROLE,
        "lambda.amazonaws.com",
        [
            allow(
                ["s3:PutObject"],
                [Sub("${%s.Arn}/%s*" % (n.R_RAW_BUCKET, c.RAW_UPDATES_PREFIX))],
            ),
            # In the role's own policy, not a separate AWS::IAM::Policy: the function
            # depends on its role, so it never runs before the grant is attached.
            If(
                n.C_PSEUDONYMIZE_USERS,
                allow(["secretsmanager:GetSecretValue"], [Ref(n.R_PSEUDONYM_KEY)]),
                Ref(AWS_NO_VALUE),
            ),
            log_group_write(n.R_ARCHIVER_LOG_GROUP),
        ],
    )
    function = _function(
        n.R_ARCHIVER_FUNCTION,
        description="Firehose processor: archives raw updates, returns its stream's table's rows.",
        handler=c.ARCHIVER_HANDLER,
        role_id=n.R_ARCHIVER_ROLE,
        log_group_id=n.R_ARCHIVER_LOG_GROUP,
        timeout=c.ARCHIVER_TIMEOUT_SECONDS,
        memory=ARCHIVER_MEMORY_MB,
        environment=archiver_environment(),
        skips=[
            (
                "CKV_AWS_115",
                "only Firehose invokes it, one batch at a time per shard; its concurrency is "
                "bounded by the delivery streams",
            )
        ],
    )
    return [log_group(n.R_ARCHIVER_LOG_GROUP, "archiver"), role, function]
