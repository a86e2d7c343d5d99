"""The alarm topic and the alarms that say the pipeline is losing or delaying messages."""

from __future__ import annotations

from typing import Any

from troposphere import Ref
from troposphere.cloudwatch import Alarm, MetricDimension
from troposphere.sns import SubscriptionResource, Topic

from functions import constants as c
from infra import names as n
from infra.common import checkov_skips

_PERIOD_SECONDS = 300


def _alarm(
    logical_id: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, Any],
    *,
    statistic: str = "Sum",
    threshold: Any = 1,
    comparison: str = "GreaterThanOrEqualToThreshold",
    evaluation_periods: int = 1,
) -> Alarm:
    return Alarm(
        logical_id,
        AlarmDescription=description,
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[MetricDimension(Name=k, Value=v) for k, v in dimensions.items()],
        Statistic=statistic,
        Period=_PERIOD_SECONDS,
        EvaluationPeriods=evaluation_periods,
        Threshold=threshold,
        ComparisonOperator=comparison,
        # No traffic means no data points, which is not a failure.
        TreatMissingData="notBreaching",
        AlarmActions=[Ref(n.R_ALARM_TOPIC)],
        OKActions=[Ref(n.R_ALARM_TOPIC)],
    )


def stream_alarms(stream: n.DeliveredStream) -> list[Alarm]:
    """One delivery stream's alarms: sustained throttling, freshness, processing, conversion."""
    dimensions = {"DeliveryStreamName": Ref(stream.stream_id)}
    table = stream.table.name
    errors = stream.errors_prefix
    return [
        _alarm(
            stream.alarm_id("FirehoseThrottledAlarm"),
            f"Firehose throttled puts to the {table} stream for 15 minutes: the stream's "
            "request quota is the ceiling (docs/deploy.md, Ceilings). Telegram redelivers "
            "the 503s for about 24 hours; raise the quota before then.",
            "AWS/Firehose",
            "ThrottledRecords",
            dimensions,
            evaluation_periods=3,
        ),
        _alarm(
            stream.alarm_id("DataFreshnessAlarm"),
            f"Records wait in the {table} stream longer than expected: S3 delivery is "
            "failing or slow.",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            dimensions,
            statistic="Maximum",
            threshold=Ref(n.P_FRESHNESS_THRESHOLD),
            comparison="GreaterThanThreshold",
        ),
        _alarm(
            stream.alarm_id("ProcessingFailedAlarm"),
            f"The {table} stream could not invoke the archiver (records go to "
            f"{errors}processing-failed/).",
            "AWS/Firehose",
            "ExecuteProcessing.Success",
            dimensions,
            statistic="Minimum",
            threshold=1,
            comparison="LessThanThreshold",
        ),
        _alarm(
            stream.alarm_id("ConversionFailedAlarm"),
            f"Rows of {table} failed Parquet conversion (see {errors}format-conversion-failed/).",
            "AWS/Firehose",
            "FailedConversion.Records",
            dimensions,
        ),
    ]


def alarms() -> list[Any]:
    """SNS topic (+ e-mail subscription when given) and the alarms."""
    topic = Topic(
        n.R_ALARM_TOPIC,
        DisplayName="telegram-pipeline alarms",
        Metadata=checkov_skips(
            (
                "CKV_AWS_26",
                "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed "
                "SNS key, and alarm texts hold no message content",
            )
        ),
    )
    subscription = SubscriptionResource(
        n.R_ALARM_SUBSCRIPTION,
        Condition=n.C_HAS_ALARM_EMAIL,
        TopicArn=Ref(n.R_ALARM_TOPIC),
        Protocol="email",
        Endpoint=Ref(n.P_ALARM_EMAIL),
    )
    webhook = {"FunctionName": Ref(n.R_WEBHOOK_FUNCTION)}
    archiver = {"FunctionName": Ref(n.R_ARCHIVER_FUNCTION)}
    return [
        topic,
        subscription,
        _alarm(
            "WebhookErrorsAlarm",
            "The webhook failed (Telegram retries, but look at its logs).",
            "AWS/Lambda",
            "Errors",
            webhook,
        ),
        _alarm(
            "WebhookThrottlesAlarm",
            "The webhook hit its reserved concurrency; Telegram retries throttled updates.",
            "AWS/Lambda",
            "Throttles",
            webhook,
        ),
        _alarm(
            "WebhookDeliveryFailedAlarm",
            "Firehose refused records within the retry budget (answered 5xx to Telegram).",
            c.METRICS_NAMESPACE,
            c.METRIC_DELIVERY_FAILED,
            {"service": c.WEBHOOK_SERVICE},
        ),
        _alarm(
            "WebhookAllowListFailedAlarm",
            "A group migration could not be written to the allow-list (SSM); Telegram "
            "redelivers the update, but look at the webhook's logs.",
            c.METRICS_NAMESPACE,
            c.METRIC_ALLOW_LIST_FAILED,
            {"service": c.WEBHOOK_SERVICE},
        ),
        _alarm(
            "Api5xxAlarm",
            "The HTTP API answered 5xx to Telegram.",
            "AWS/ApiGateway",
            "5xx",
            {"ApiId": Ref(n.R_HTTP_API), "Stage": "$default"},
        ),
        *(alarm for stream in n.DELIVERY_STREAMS for alarm in stream_alarms(stream)),
        _alarm(
            "ArchiverErrorsAlarm",
            "The archiver failed; Firehose retries the batch, then writes it to errors/.",
            "AWS/Lambda",
            "Errors",
            archiver,
        ),
        _alarm(
            "ArchiverRecordsFailedAlarm",
            "The archiver marked records ProcessingFailed (undecodable updates).",
            c.METRICS_NAMESPACE,
            c.METRIC_RECORDS_FAILED,
            {"service": c.ARCHIVER_SERVICE},
        ),
    ]
