"""Archiver Lambda: archive the batch's raw updates, then return one row per message.

`handle(event, deps)` does the work with what it is given; the Lambda entry point
builds those dependencies once per container (`cold_start`), and the local stack
builds its own (its object store, its metrics, its logger) without touching the
environment or this module's state.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent
from aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event import (
    KinesisFirehoseDataTransformationRecord,
    KinesisFirehoseDataTransformationResponse,
)

from functions import adapters
from functions import constants as c
from functions.archiver.logic import (
    archive_body,
    archive_key,
    archived_here,
    decode,
    read_records,
    shape,
)
from functions.entry import Handler, lambda_entry
from functions.logs import Log, MetricsSink, apply_log_level
from functions.settings import ArchiverSettings

logger = Logger(service=c.ARCHIVER_SERVICE)
apply_log_level(logger)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.ARCHIVER_SERVICE)
#: Powertools caches a secret for max_age; the key is cached for the container anyway.
PSEUDONYM_KEY_MAX_AGE_SECONDS = 24 * 3600
_RESULT_METRICS = {
    "Ok": c.METRIC_ROWS_OK,
    "Dropped": c.METRIC_RECORDS_DROPPED,
    "ProcessingFailed": c.METRIC_RECORDS_FAILED,
}


@dataclass(frozen=True)
class Dependencies:
    """What one invocation needs; the Lambda builds it at cold start, the local stack its own."""

    settings: ArchiverSettings
    #: The pseudonymisation key (None when pseudonymising is off).
    pseudonym_key: bytes | None = field(repr=False)
    s3: Any
    metrics: MetricsSink = metrics
    logger: Log = logger


@functools.cache
def settings() -> ArchiverSettings:
    """Settings read once per container; a bad variable fails the cold start by name."""
    return ArchiverSettings.from_env()


@functools.cache
def read_pseudonym_key(config: ArchiverSettings) -> bytes | None:
    """The key these settings name: from them, or from Secrets Manager (None when off).

    Cached by the settings: read once per container, and never refreshed, since a
    new key would give every user a new pseudonym mid-container.
    """
    if not config.pseudonymize_users:
        return None
    if config.pseudonym_key is not None:
        return config.pseudonym_key.encode("utf-8")
    from aws_lambda_powertools.utilities import parameters

    assert config.pseudonym_key_arn is not None  # settings guarantee one of the two
    secret = parameters.get_secret(config.pseudonym_key_arn, max_age=PSEUDONYM_KEY_MAX_AGE_SECONDS)
    return str(secret).encode("utf-8")


def cold_start() -> Dependencies:
    """The Lambda's dependencies: settings, key and S3 client, each read once per container."""
    config = settings()
    # Before any write: no key, no side effect (Firehose retries the batch).
    return Dependencies(config, read_pseudonym_key(config), adapters.s3_client())


def handle(event: dict[str, Any], deps: Dependencies) -> dict[str, Any]:
    """Firehose transformation: raises (Firehose retries the batch) only if archiving fails."""
    batch = KinesisFirehoseEvent(event)
    records = read_records(batch.get("records") or [], now_ms=int(time.time() * 1000))
    if not records:
        return {"records": []}
    table = deps.settings.table_for(str(event.get("deliveryStreamArn", "")))
    # Each update is archived once, by the stream of its first table: a join message
    # also sent to member_events is archived by the messages stream.
    updates = [decode(record) for record in records]  # once each: archiving and shaping
    archived = [
        record
        for record, update in zip(records, updates, strict=True)
        if archived_here(update, table)
    ]
    key = archive_key(records)
    if archived:
        adapters.put_archive(deps.s3, deps.settings.raw_bucket, key, archive_body(archived))
    transformed = [
        shape(record, update, deps.pseudonym_key, table, deps.settings.source)
        for record, update in zip(records, updates, strict=True)
    ]
    for result, metric in _RESULT_METRICS.items():
        count = sum(1 for t in transformed if t.result == result)
        deps.metrics.add_metric(name=metric, unit=MetricUnit.Count, value=count)
    deps.logger.info("batch archived", extra={"records": len(records), "archive_key": key})
    response = KinesisFirehoseDataTransformationResponse()
    for t in transformed:
        response.add_record(
            KinesisFirehoseDataTransformationRecord(
                record_id=t.record_id, result=t.result, data=t.data_base64
            )
        )
    return response.asdict()


def make_handler(dependencies: Callable[[], Dependencies]) -> Handler:
    """A Lambda handler (logger context, metrics flush) over `handle` with these dependencies."""
    return lambda_entry(logger, metrics, handle, dependencies)


lambda_handler = make_handler(cold_start)
