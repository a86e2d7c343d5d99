"""Archiver Lambda: archive the batch's raw updates, then return one row per message."""

from __future__ import annotations

import functools
import time
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
from functions.archiver.logic import archive_body, archive_key, read_records, transform
from functions.logs import apply_log_level
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


@functools.cache
def settings() -> ArchiverSettings:
    """Settings read once per container; a bad variable fails the cold start by name."""
    return ArchiverSettings.from_env()


def pseudonym_key() -> bytes | None:
    """The pseudonymisation key, read once per container (None when pseudonymising is off)."""
    return _pseudonym_key(settings())


@functools.cache
def _pseudonym_key(config: ArchiverSettings) -> bytes | None:
    # Keyed by the settings, so tests and the local stack that change them get a fresh read.
    if not config.pseudonymize_users:
        return None
    if config.pseudonym_key is not None:
        return config.pseudonym_key.encode("utf-8")
    from aws_lambda_powertools.utilities import parameters

    assert config.pseudonym_key_arn is not None  # settings guarantee one of the two
    # Never refreshed: a new key would give every user a new pseudonym mid-container.
    secret = parameters.get_secret(config.pseudonym_key_arn, max_age=PSEUDONYM_KEY_MAX_AGE_SECONDS)
    return str(secret).encode("utf-8")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Firehose transformation: raises (Firehose retries the batch) only if archiving fails."""
    batch = KinesisFirehoseEvent(event)
    records = read_records(batch.get("records") or [], now_ms=int(time.time() * 1000))
    if not records:
        return {"records": []}
    pseudonyms = pseudonym_key()  # before any write: no key, no side effect
    key = archive_key(records)
    adapters.put_archive(adapters.s3_client(), settings().raw_bucket, key, archive_body(records))
    transformed = [transform(record, pseudonyms) for record in records]
    for result, metric in _RESULT_METRICS.items():
        count = sum(1 for t in transformed if t.result == result)
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=count)
    logger.info("batch archived", extra={"records": len(records), "archive_key": key})
    response = KinesisFirehoseDataTransformationResponse()
    for t in transformed:
        response.add_record(
            KinesisFirehoseDataTransformationRecord(
                record_id=t.record_id, result=t.result, data=t.data_base64
            )
        )
    return response.asdict()
