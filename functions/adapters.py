"""The AWS edges: Firehose put with a bounded retry budget, S3 put of the archive.

Every function takes its client as an argument (tests and the local stack pass
their own); the default clients are created once, lazily, never at import.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from functions import constants as c
from functions.errors import ArchiveUnavailable, DeliveryUnavailable

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_s3 import S3Client

#: Error codes Firehose answers when it may take the record on a later attempt.
RETRYABLE_FIREHOSE_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "ThrottlingException",
        "LimitExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)
_TRANSIENT_NETWORK_ERRORS = (ConnectionError, ConnectTimeoutError, ReadTimeoutError)
_BACKOFF_BASE_SECONDS = 0.05
_BACKOFF_CAP_SECONDS = 1.0


#: Loggers that at DEBUG write whole request and response bodies: a Firehose record
#: (message text, base64) or a GetSecretValue answer (the secret). Lambda's advanced
#: logging controls can put the root logger at DEBUG; these stay at INFO regardless.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


def quiet_wire_logging() -> None:
    """Keep the SDK's wire loggers at INFO or above, whatever the root logger's level."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        # Its own level, not the effective one: NOTSET would follow the root to DEBUG later.
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


quiet_wire_logging()


#: Clients installed by the local stack (its delivery stream, its object store).
_installed: dict[str, Any] = {}


def install_client(service: str, client: Any) -> None:
    """Replace the client the handlers use for `firehose` or `s3` (local stack, tests)."""
    if service not in ("firehose", "s3"):
        raise ValueError(f"no client slot for {service!r}")
    _installed[service] = client


def uninstall_clients() -> None:
    """Go back to the default boto3 clients."""
    _installed.clear()


def firehose_client() -> FirehoseClient | Any:
    """The Firehose client the webhook uses (installed one first)."""
    return _installed.get("firehose") or _default_firehose_client()


def s3_client() -> S3Client | Any:
    """The S3 client the archiver uses (installed one first)."""
    return _installed.get("s3") or _default_s3_client()


@functools.cache
def _default_firehose_client() -> FirehoseClient:
    """The process-wide Firehose client; our own loop does the retrying."""
    import boto3

    config = Config(
        connect_timeout=c.FIREHOSE_CONNECT_TIMEOUT_SECONDS,
        read_timeout=c.FIREHOSE_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.client("firehose", config=config)


@functools.cache
def _default_s3_client() -> S3Client:
    """The process-wide S3 client."""
    import boto3

    return boto3.client("s3")


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") in RETRYABLE_FIREHOSE_CODES
    return isinstance(error, _TRANSIENT_NETWORK_ERRORS)


def put_record(
    firehose: Any,
    stream_name: str,
    record: bytes,
    budget_seconds: float = c.DEFAULT_DELIVERY_BUDGET_SECONDS,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Put one record; retry transient errors with full-jitter backoff within the budget.

    Returns the RecordId. Raises DeliveryUnavailable when the stream refuses for
    good or the budget runs out, so the caller answers 5xx and Telegram redelivers.
    """
    deadline = clock() + budget_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            response = firehose.put_record(DeliveryStreamName=stream_name, Record={"Data": record})
            return str(response["RecordId"])
        except (ClientError, BotoCoreError) as error:
            if not _is_retryable(error):
                raise DeliveryUnavailable(f"{type(error).__name__} (not retryable)") from error
            pause = random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311 - jitter, not crypto
            if clock() + pause >= deadline:
                raise DeliveryUnavailable(
                    f"gave up after {attempt} attempts ({type(error).__name__})"
                ) from error
            sleep(pause)


def put_archive(s3: Any, bucket: str, key: str, body: bytes) -> None:
    """Write one archive object (overwriting a retried batch's); ArchiveUnavailable on failure."""
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/gzip",
        )
    except (ClientError, BotoCoreError) as error:
        raise ArchiveUnavailable(
            f"archive write to {key} failed: {type(error).__name__}"
        ) from error
