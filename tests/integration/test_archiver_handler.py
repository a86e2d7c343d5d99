"""The archiver Lambda against moto S3: one archive object per batch, rows per message."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.archiver.handler import cold_start, lambda_handler, make_handler
from functions.errors import ArchiveUnavailable
from local.lambda_runtime import LambdaContext
from tests.helpers import compact_bytes
from tests.integration.conftest import RAW_BUCKET, REGION

CONTEXT = LambdaContext(function_name="archiver")
ARRIVAL_MS = 1767254600123


def firehose_event(bodies: list[bytes], first_id: int = 0) -> dict[str, Any]:
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/telegram-updates",
        "region": REGION,
        "records": [
            {
                "recordId": f"49546986683135544286507457936321625675700192471156785154-{first_id + i}",
                "approximateArrivalTimestamp": ARRIVAL_MS + i,
                "data": base64.b64encode(body).decode(),
            }
            for i, body in enumerate(bodies)
        ],
    }


def archive_objects(s3: Any) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=RAW_BUCKET, Key=o["Key"])["Body"].read() for o in listed}


BATCH = [
    compact_bytes("message_text") + b"\n",
    compact_bytes("chat_member") + b"\n",
    b"not json\n",
    compact_bytes("channel_post") + b"\n",
]


def test_batch_is_archived_as_one_gzip_object_with_unchanged_bytes(archiver_env: Any) -> None:
    lambda_handler(firehose_event(BATCH), CONTEXT)
    objects = archive_objects(archiver_env)
    assert len(objects) == 1
    [(key, body)] = objects.items()
    assert key.startswith("updates/dt=2026-01-01/")
    assert key.endswith(".ndjson.gz")
    assert gzip.decompress(body) == b"".join(BATCH)


def test_each_record_gets_its_result(archiver_env: Any) -> None:
    response = lambda_handler(firehose_event(BATCH), CONTEXT)
    results = [r["result"] for r in response["records"]]
    assert results == ["Ok", "Dropped", "ProcessingFailed", "Ok"]
    row = json.loads(base64.b64decode(response["records"][0]["data"]))
    assert row["update_type"] == "message"
    assert row["received_at"] == "2026-01-01 08:03:20.123"
    ids = [r["recordId"] for r in response["records"]]
    assert ids == [r["recordId"] for r in firehose_event(BATCH)["records"]]


def test_retried_batch_overwrites_instead_of_duplicating(archiver_env: Any) -> None:
    lambda_handler(firehose_event(BATCH), CONTEXT)
    first = archive_objects(archiver_env)
    lambda_handler(firehose_event(BATCH), CONTEXT)
    assert archive_objects(archiver_env) == first
    lambda_handler(firehose_event(BATCH[:1], first_id=100), CONTEXT)
    assert len(archive_objects(archiver_env)) == 2


def test_archive_failure_raises_so_firehose_retries_the_batch(archiver_env: Any) -> None:
    client = boto3.client("s3", region_name=REGION)
    stub = Stubber(client)
    stub.add_client_error("put_object", "SlowDown", "Please reduce your request rate.", 503)
    archiver = make_handler(lambda: replace(cold_start(), s3=client))
    with stub, pytest.raises(ArchiveUnavailable):
        archiver(firehose_event(BATCH), CONTEXT)


def test_missing_bucket_raises(archiver_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.archiver import handler

    monkeypatch.setenv("RAW_BUCKET", "no-such-bucket")
    handler.settings.cache_clear()
    with pytest.raises(ArchiveUnavailable):
        lambda_handler(firehose_event(BATCH), CONTEXT)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bodies=st.lists(st.binary(max_size=200), min_size=1, max_size=8))
def test_any_record_bytes_give_a_valid_response_for_every_record(
    archiver_env: Any, bodies: list[bytes]
) -> None:
    event = firehose_event(bodies)
    response = lambda_handler(event, CONTEXT)
    assert [r["recordId"] for r in response["records"]] == [r["recordId"] for r in event["records"]]
    for record in response["records"]:
        assert record["result"] in {"Ok", "Dropped", "ProcessingFailed"}
        base64.b64decode(record["data"], validate=True)
