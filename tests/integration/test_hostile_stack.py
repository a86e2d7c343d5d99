"""The hostile corpus through the real handlers, the local delivery stream and moto.

The webhook answers each body as documented and forwards only what it accepts;
a 5xx comes only from a delivery failure. The archiver answers every record and
archives the bytes unchanged. The local conversion turns whatever it is handed
into rows or Firehose error records, never a crash.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from functions import constants as c
from functions.archiver.handler import lambda_handler as archiver_handler
from local.delivery_stream import (
    DATA_BUCKET,
    ERROR_FORMAT_CONVERSION_FAILED,
    MAX_RECORD_BYTES,
    LocalDeliveryStream,
)
from local.lambda_runtime import LambdaContext
from local.stack import LocalStack, StackConfig
from tests.events.hostile.make_corpus import ACCEPTED, GROUP_ID, OK, corpus
from tests.integration.conftest import RAW_BUCKET

SECRET = "hostile-stack-secret_0123456789"
CASES = corpus()
STATUS = {"ACCEPTED": 200, "IGNORED": 200, "BAD_REQUEST": 400, "TOO_LARGE": 413}


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """A local stack that flushes only when asked; delivery gives up quickly."""
    monkeypatch.setenv(c.ENV_DELIVERY_BUDGET_SECONDS, "0.01")
    config = StackConfig(
        tmp_path / "lake",
        frozenset({GROUP_ID}),
        secret=SECRET,
        buffer_mb=64,
        buffer_seconds=3600,
    )
    local = LocalStack(config)
    yield local
    local.close()


def raw_lines(lake: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted((lake / "raw").rglob("*.ndjson.gz")):
        lines += gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    return lines


def test_every_hostile_body_gets_its_answer_and_only_accepted_ones_reach_the_lake(
    stack: LocalStack,
) -> None:
    statuses = {case.name: stack.handle(case.body) for case in CASES}
    assert statuses == {case.name: STATUS[case.webhook] for case in CASES}

    accepted = [case for case in CASES if case.webhook == ACCEPTED]
    assert stack.stats().records_put == len(accepted)
    report = stack.stream.flush()
    assert report.records == len(accepted)
    assert report.rows_written == sum(1 for case in accepted if case.archiver == OK)
    assert report.processing_failed == 0
    assert report.conversion_failed == 0
    # The raw archive holds each accepted body byte for byte.
    assert sorted(raw_lines(stack.config.lake)) == sorted(case.body + b"\n" for case in accepted)
    rows = sum(
        pq.read_metadata(path).num_rows
        for path in (stack.config.lake / "data" / c.MESSAGES_PREFIX).rglob("*.parquet")
    )
    assert rows == report.rows_written


def test_only_a_delivery_failure_gives_a_5xx(stack: LocalStack) -> None:
    stack.stream.close()  # the stream now refuses every put as unavailable
    for case in CASES:
        status = stack.handle(case.body)
        expected = 503 if case.webhook == ACCEPTED else STATUS[case.webhook]
        assert status == expected, case.name


def passthrough(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A processor that hands every record to the conversion unchanged, as a row."""
    return {
        "records": [
            {"recordId": record["recordId"], "result": "Ok", "data": record["data"]}
            for record in event["records"]
        ]
    }


def test_hostile_rows_become_format_conversion_error_records(tmp_path: Path) -> None:
    bodies = [case.body for case in CASES if len(case.body) <= MAX_RECORD_BYTES]
    with LocalDeliveryStream(
        tmp_path / "lake", processor=passthrough, buffer_size_mb=64, buffer_interval_s=3600
    ) as stream:
        for body in bodies:
            stream.put_record(DeliveryStreamName=stream.name, Record={"Data": body})
        report = stream.flush()
        errors = [
            line
            for key in report.keys
            if key.startswith(f"{c.ERRORS_PREFIX}{ERROR_FORMAT_CONVERSION_FAILED}/")
            for line in stream.store.get_object(Bucket=DATA_BUCKET, Key=key)["Body"]
            .read()
            .splitlines()
        ]
    assert report.records == len(bodies)
    assert report.conversion_failed == len(errors) > 0
    # Every record is a row (a record of several documents, several) or an error record.
    assert report.rows_written >= len(bodies) - report.conversion_failed
    assert report.processing_failed == 0
    failed_bodies = [base64.b64decode(json.loads(line)["rawData"]) for line in errors]
    assert set(failed_bodies) <= set(bodies)
    assert b"" in failed_bodies  # the empty record: "The record was empty ..."


CONTEXT = LambdaContext(function_name="archiver")


def test_the_archiver_answers_every_hostile_record_and_archives_it_unchanged(
    archiver_env: Any,
) -> None:
    small = [case for case in CASES if len(case.body) < 64 * 1024]
    event = {
        "invocationId": "inv-hostile",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        "region": "us-east-1",
        "records": [
            {
                "recordId": f"r{i}",
                "approximateArrivalTimestamp": 1767254600123,
                "data": base64.b64encode(case.body).decode(),
            }
            for i, case in enumerate(small)
        ],
    }
    response = archiver_handler(event, CONTEXT)
    assert [r["recordId"] for r in response["records"]] == [f"r{i}" for i in range(len(small))]
    assert [r["result"] for r in response["records"]] == [case.archiver for case in small]
    (key,) = [o["Key"] for o in archiver_env.list_objects_v2(Bucket=RAW_BUCKET)["Contents"]]
    archived = gzip.decompress(archiver_env.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read())
    assert archived == b"".join(
        case.body if case.body.endswith(b"\n") else case.body + b"\n" for case in small if case.body
    )
