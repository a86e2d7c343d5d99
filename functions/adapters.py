"""The AWS edges: Firehose put with a bounded retry budget, S3 put of the archive.

Every function takes its client as an argument (tests and the local stack pass
their own); the Lambda entry points' clients are created once, lazily, never at
import. There is no registry of clients: whoever calls a handler passes them.
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

from functions import allowlist
from functions import constants as c
from functions.errors import AllowListUnavailable, ArchiveUnavailable, DeliveryUnavailable

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient

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


@functools.cache
def firehose_client() -> FirehoseClient:
    """The Lambda's Firehose client, made once per container; our own loop does the retrying."""
    import boto3

    config = Config(
        connect_timeout=c.FIREHOSE_CONNECT_TIMEOUT_SECONDS,
        read_timeout=c.FIREHOSE_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.client("firehose", config=config)


@functools.cache
def s3_client() -> S3Client:
    """The Lambda's S3 client, made once per container."""
    import boto3

    return boto3.client("s3")


def full_jitter(attempt: int, base_seconds: float, cap_seconds: float) -> float:
    """A pause before retry `attempt`: uniform up to min(cap, base × 2^attempt).

    Full jitter, the AWS Architecture Blog's recommendation for contended retries;
    the webhook's Firehose puts and `tgpipe replay --stream` both use it.
    """
    return random.uniform(0, min(cap_seconds, base_seconds * 2**attempt))  # noqa: S311 - jitter, not crypto


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
            pause = full_jitter(attempt, _BACKOFF_BASE_SECONDS, _BACKOFF_CAP_SECONDS)
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


@functools.cache
def ssm_client() -> SSMClient:
    """The Lambda's SSM client (the allow-list store), made once per container."""
    import boto3

    return boto3.client("ssm")


class SsmAllowListStore:
    """The allow-list in SSM Parameter Store: one String parameter per chat under a path.

    `<path>chats/<chat id>` holds a ChatEntry, `<path>seen/<chat id>` a SeenChat.
    Reads of the whole list go through Powertools' SSMProvider (paginated
    GetParametersByPath); the AllowList in front of the store does the caching.
    """

    def __init__(self, path: str, ssm: Any) -> None:
        self.path = path if path.endswith("/") else path + "/"
        self._ssm = ssm
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        self._provider = SSMProvider(boto3_client=ssm)

    def _name(self, folder: str, chat_id: int) -> str:
        return f"{self.path}{folder}/{chat_id}"

    def _read_folder(self, folder: str) -> dict[int, str]:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            values = self._provider.get_multiple(
                f"{self.path}{folder}", force_fetch=True, raise_on_transform_error=False
            )
        except GetParameterError as error:
            raise AllowListUnavailable(f"reading {self.path}{folder} failed") from error
        items: dict[int, str] = {}
        for name, value in values.items():
            chat_id = allowlist.chat_id_from_name(name)
            if chat_id is not None and isinstance(value, str):
                items[chat_id] = value
        return items

    def entries(self) -> dict[int, allowlist.ChatEntry]:
        """Every chat's entry."""
        found = (
            allowlist.ChatEntry.from_json(chat_id, value)
            for chat_id, value in self._read_folder("chats").items()
        )
        return {entry.chat_id: entry for entry in found if entry is not None}

    def entry(self, chat_id: int) -> allowlist.ChatEntry | None:
        """One chat's entry, read now."""
        try:
            response = self._ssm.get_parameter(Name=self._name("chats", chat_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise AllowListUnavailable(f"reading chat {chat_id} failed") from error
        except BotoCoreError as error:
            raise AllowListUnavailable(f"reading chat {chat_id} failed") from error
        return allowlist.ChatEntry.from_json(chat_id, response["Parameter"]["Value"])

    def _put(self, name: str, value: str, overwrite: bool) -> bool:
        try:
            self._ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=overwrite)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterAlreadyExists":
                return False
            raise AllowListUnavailable(f"writing {name} failed") from error
        except BotoCoreError as error:
            raise AllowListUnavailable(f"writing {name} failed") from error
        return True

    def add_if_absent(self, entry: allowlist.ChatEntry) -> bool:
        """Write the entry unless the chat has one (SSM refuses an existing name)."""
        return self._put(self._name("chats", entry.chat_id), entry.to_json(), overwrite=False)

    def put(self, entry: allowlist.ChatEntry) -> None:
        """Write the entry, replacing the chat's previous one."""
        self._put(self._name("chats", entry.chat_id), entry.to_json(), overwrite=True)

    def _delete(self, name: str) -> bool:
        try:
            self._ssm.delete_parameter(Name=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return False
            raise AllowListUnavailable(f"deleting {name} failed") from error
        except BotoCoreError as error:
            raise AllowListUnavailable(f"deleting {name} failed") from error
        return True

    def remove(self, chat_id: int) -> bool:
        """Delete the chat's entry."""
        return self._delete(self._name("chats", chat_id))

    def seen(self) -> dict[int, allowlist.SeenChat]:
        """The ignored groups noted so far."""
        return {
            chat_id: allowlist.SeenChat.from_json(chat_id, value)
            for chat_id, value in self._read_folder("seen").items()
        }

    def note_seen(self, chat: allowlist.SeenChat) -> None:
        """Remember an ignored group."""
        self._put(self._name("seen", chat.chat_id), chat.to_json(), overwrite=True)

    def forget_seen(self, chat_id: int) -> None:
        """Drop the note of a chat."""
        self._delete(self._name("seen", chat_id))
