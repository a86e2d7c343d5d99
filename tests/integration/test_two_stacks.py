"""Two local stacks in one process, with different settings, keep to their own.

Nothing of a stack lives in the environment or in module state: each passes its
own settings, clients, metrics and loggers to the unchanged handlers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from functions import constants as c
from functions.privacy import pseudonym
from functions.settings import ArchiverSettings
from local.delivery_stream import RAW_BUCKET
from local.http_api import build_event
from local.stack import LocalStack, StackConfig
from tests.helpers import event as fixture_event

KEY = "two-stacks-pseudonym-key-0123456789abcdef"
UPDATE = fixture_event("message_text")
CHAT = int(UPDATE["message"]["chat"]["id"])
USER = int(UPDATE["message"]["from"]["id"])
OTHER_CHAT = CHAT - 1


def body(chat_id: int, update_id: int) -> bytes:
    update = json.loads(json.dumps(UPDATE))
    update["update_id"] = update_id
    update["message"]["chat"]["id"] = chat_id
    return json.dumps(update).encode()


def with_secret(stack: LocalStack, secret: str, update: bytes) -> int:
    headers = [("Content-Type", "application/json"), (c.SECRET_HEADER, secret)]
    event = build_event("POST", c.WEBHOOK_PATH, headers, update, "127.0.0.1")
    return int(stack.handler(event, None)["statusCode"])


def user_ids(lake: Path) -> list[int]:
    table = ds.dataset(lake / "data" / "messages", format="parquet", partitioning="hive")
    return sorted(table.to_table(columns=["user_id"]).column("user_id").to_pylist())


def test_two_stacks_in_one_process_keep_their_own_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environment = dict(os.environ)
    plain = StackConfig(
        tmp_path / "plain",
        frozenset({CHAT}),
        secret="secret-of-the-plain-stack",
        archiver=ArchiverSettings(RAW_BUCKET),
        log_level="ERROR",
    )
    hidden = StackConfig(
        tmp_path / "hidden",
        frozenset({CHAT, OTHER_CHAT}),
        secret="secret-of-the-hidden-stack",
        archiver=ArchiverSettings(RAW_BUCKET, True, KEY, None),
        log_level="INFO",
    )
    with LocalStack(plain) as first, LocalStack(hidden) as second:
        # GIVEN the same update sent to both, and one chat only the second allows
        assert first.handle(body(CHAT, 1)) == 200
        assert second.handle(body(CHAT, 1)) == 200
        assert second.handle(body(OTHER_CHAT, 2)) == 200
        assert first.handle(body(OTHER_CHAT, 2)) == 200  # ignored: not in its list
        # THEN each secret opens only its own stack
        assert with_secret(second, first.config.secret, body(CHAT, 3)) == 401
        first.flush()
        second.flush()
        # AND each stack counts only what it handled
        assert first.metrics.count(c.METRIC_ACCEPTED) == 1
        assert first.metrics.count(c.METRIC_IGNORED) == 1
        assert first.metrics.count(c.METRIC_ROWS_OK) == 1
        assert second.metrics.count(c.METRIC_ACCEPTED) == 2
        assert second.metrics.count(c.METRIC_REJECTED_SECRET) == 1
        assert second.metrics.count(c.METRIC_ROWS_OK) == 2
    # AND each lake has its own rows: real ids in one, pseudonyms in the other
    assert user_ids(tmp_path / "plain") == [USER]
    assert user_ids(tmp_path / "hidden") == [pseudonym(USER, KEY.encode())] * 2
    # AND each logged at its own level: only the INFO stack's archiver said so
    logged = capsys.readouterr().err
    assert logged.count('"batch archived"') == 1
    assert '"service":"archiver"' in logged
    # AND nothing was written to the process's environment
    assert dict(os.environ) == environment


def test_a_put_naming_no_stream_of_the_stack_is_resource_not_found(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError

    with LocalStack(StackConfig(tmp_path, frozenset({CHAT}))) as stack:
        router = stack._dependencies.firehose
        with pytest.raises(ClientError) as raised:
            router.put_record(DeliveryStreamName="no-such-stream", Record={"Data": b"{}\n"})
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.operation_name == "PutRecord"
