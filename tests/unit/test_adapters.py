"""Delivery retries: transient errors retried within the budget, others fail at once."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from functions import adapters
from functions.errors import ArchiveUnavailable, DeliveryUnavailable


class FakeClock:
    """Time that moves only when the code sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def stubbed_firehose() -> tuple[object, Stubber]:
    client = boto3.client("firehose", region_name="us-east-1")
    return client, Stubber(client)


def test_throttling_is_retried_then_delivered() -> None:
    client, stub = stubbed_firehose()
    for _ in range(3):
        stub.add_client_error("put_record", "ServiceUnavailableException", "Slow down.")
    stub.add_response("put_record", {"RecordId": "r-1", "Encrypted": False})
    clock = FakeClock()
    with stub:
        record_id = adapters.put_record(client, "s", b"x\n", 5.0, clock=clock, sleep=clock.sleep)
    assert record_id == "r-1"
    assert len(clock.sleeps) == 3
    stub.assert_no_pending_responses()


def test_backoff_grows_and_stops_at_the_budget() -> None:
    client, stub = stubbed_firehose()
    for _ in range(200):
        stub.add_client_error("put_record", "ServiceUnavailableException", "Slow down.")
    clock = FakeClock()
    with stub, pytest.raises(DeliveryUnavailable, match="gave up"):
        adapters.put_record(client, "s", b"x\n", 2.0, clock=clock, sleep=clock.sleep)
    assert clock.now < 2.0
    assert all(pause <= 1.0 for pause in clock.sleeps)


@pytest.mark.parametrize(
    "code", ["ResourceNotFoundException", "InvalidArgumentException", "AccessDeniedException"]
)
def test_non_retryable_errors_fail_at_once(code: str) -> None:
    client, stub = stubbed_firehose()
    stub.add_client_error("put_record", code, "no")
    clock = FakeClock()
    with stub, pytest.raises(DeliveryUnavailable, match="not retryable"):
        adapters.put_record(client, "s", b"x\n", 5.0, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


def test_archive_write_failure_becomes_archive_unavailable() -> None:
    client = boto3.client("s3", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error("put_object", "InternalError", "boom", http_status_code=500)
    with stub, pytest.raises(ArchiveUnavailable):
        adapters.put_archive(client, "raw", "updates/x.ndjson.gz", b"")
