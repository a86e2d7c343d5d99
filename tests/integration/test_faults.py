"""Injected faults make the local stack fail as AWS does, and the handlers cope as on AWS."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from functions import constants as c
from functions.routing import tables_for
from glue_schema import DELIVERED_TABLES, MESSAGES
from local.delivery_stream import FUNCTION_ERROR, RAW_BUCKET, LocalDeliveryStream
from local.faults import (
    ARCHIVE_ERRORS,
    BATCH_ENTRY_ERRORS,
    PUT_RECORD_ERRORS,
    Dice,
    FaultConfig,
    FlakyDeliveryStream,
    FlakyObjectStore,
    LambdaTimeout,
    TimingOutProcessor,
    inject,
)
from local.generator import DEFAULT_CHAT_ID, GeneratedUpdate, generate_updates
from local.stack import LocalStack, StackConfig
from scripts.cli import main
from tests.helpers import MESSAGES_ONLY

STREAM = "telegram-updates"


@pytest.fixture
def short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook gives up on the delivery stream after 0.3 s instead of 6 s."""
    monkeypatch.setenv(c.ENV_DELIVERY_BUDGET_SECONDS, "0.3")


def updates(count: int, seed: int = 1) -> list[GeneratedUpdate]:
    """Updates of the allowed chat only, no redeliveries."""
    return generate_updates(
        count, seed=seed, foreign_share=0.0, duplicate_share=0.0, **MESSAGES_ONLY
    )


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[Any]:
    """Build a LocalStack on a fresh lake with the given faults; closed at the end."""
    stacks: list[LocalStack] = []

    def make(faults: FaultConfig, **options: Any) -> LocalStack:
        options.setdefault("buffer_seconds", 3600)
        config = StackConfig(tmp_path / "lake", frozenset({DEFAULT_CHAT_ID}), faults=faults)
        for name, value in options.items():
            setattr(config, name, value)
        stack = LocalStack(config)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


def raw_update_ids(lake: Path) -> list[int]:
    ids: list[int] = []
    for path in sorted((lake / "raw" / c.RAW_UPDATES_PREFIX).rglob("*.ndjson.gz")):
        ids.extend(
            json.loads(line)["update_id"]
            for line in gzip.decompress(path.read_bytes()).splitlines()
        )
    return ids


def parquet_update_ids(lake: Path, prefix: str = c.MESSAGES_PREFIX) -> list[int]:
    files = sorted((lake / "data" / prefix).rglob("*.parquet"))
    return [
        i for f in files for i in pq.read_table(f, columns=["update_id"])["update_id"].to_pylist()
    ]


def processing_failed(lake: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((lake / "data" / c.ERRORS_PREFIX / "processing-failed").rglob("*")):
        if path.is_file():
            records.extend(json.loads(line) for line in path.read_bytes().splitlines())
    return records


class ScriptedDice(Dice):
    """Dice whose rolls and picks follow a script (to show one exact fault sequence)."""

    def __init__(self, rolls: list[bool], picks: list[Any]) -> None:
        super().__init__(0.0, 0)
        self._rolls, self._picks = list(rolls), list(picks)

    def roll(self) -> bool:
        self.rolls += 1
        hit = self._rolls.pop(0) if self._rolls else False
        self.hits += hit
        return hit

    def pick(self, choices: tuple[Any, ...]) -> Any:
        choice = self._picks.pop(0)
        assert choice in choices
        return choice


# -- configuration ------------------------------------------------------------------


def test_no_faults_by_default_leaves_the_stream_untouched(tmp_path: Path) -> None:
    stream = LocalDeliveryStream(tmp_path, STREAM, buffer_interval_s=3600)
    try:
        processor = stream.processor
        client, faults = inject(stream, FaultConfig())
        assert not FaultConfig().enabled
        assert client is stream
        assert stream.processor is processor
        assert faults.counts() == {"put_failures": 0, "archive_failures": 0, "archiver_timeouts": 0}
    finally:
        stream.close()


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultConfig(fail_put_rate=rate)


def test_the_same_seed_injects_the_same_faults() -> None:
    first, second, other = Dice(0.3, 7), Dice(0.3, 7), Dice(0.3, 8)
    draws = [first.roll() for _ in range(200)]
    assert draws == [second.roll() for _ in range(200)]
    assert draws != [other.roll() for _ in range(200)]
    assert 30 <= sum(draws) <= 90  # about 30 % of 200


# -- put failures -------------------------------------------------------------------


def test_a_failed_put_raises_firehose_errors_and_stores_nothing(tmp_path: Path) -> None:
    stream = LocalDeliveryStream(tmp_path, STREAM, buffer_interval_s=3600)
    flaky = FlakyDeliveryStream(stream, Dice(1.0, 3))
    try:
        codes = set()
        for _ in range(20):
            with pytest.raises(ClientError) as raised:
                flaky.put_record(DeliveryStreamName=STREAM, Record={"Data": b"{}\n"})
            codes.add(raised.value.response["Error"]["Code"])
            assert raised.value.operation_name == "PutRecord"
        assert codes == {code for code, _ in PUT_RECORD_ERRORS}
        assert stream.stats().records_put == 0
    finally:
        stream.close()


def test_a_batch_fails_entry_by_entry_with_failed_put_count(tmp_path: Path) -> None:
    stream = LocalDeliveryStream(tmp_path, STREAM, buffer_interval_s=3600)
    flaky = FlakyDeliveryStream(stream, Dice(0.5, 11))
    records = [{"Data": f'{{"n":{n}}}\n'.encode()} for n in range(100)]
    try:
        response = flaky.put_record_batch(DeliveryStreamName=STREAM, Records=records)
        entries = response["RequestResponses"]
        failed = [e for e in entries if "ErrorCode" in e]
        assert len(entries) == 100
        assert 0 < response["FailedPutCount"] == len(failed) < 100
        assert {e["ErrorCode"] for e in failed} <= set(BATCH_ENTRY_ERRORS)
        assert all("RecordId" in e for e in entries if "ErrorCode" not in e)
        assert stream.stats().records_put == 100 - len(failed)
    finally:
        stream.close()


def test_webhook_answers_503_when_every_put_fails(stack_factory: Any, short_budget: None) -> None:
    # GIVEN a stack whose delivery stream refuses every put
    stack = stack_factory(FaultConfig(fail_put_rate=1.0, seed=1))
    # WHEN updates arrive
    statuses = stack.handle_many(u.body for u in updates(3))
    # THEN the webhook retried within its budget and answered 503 (Telegram redelivers)
    assert statuses == [503, 503, 503]
    assert stack.faults.put.hits > 3  # more than one attempt per update
    assert stack.stats().records_put == 0
    assert stack.metrics.count(c.METRIC_DELIVERY_FAILED) == 3


def test_webhook_retries_through_occasional_put_failures(stack_factory: Any) -> None:
    # The default 6 s budget: a run of failures is retried, not answered 503.
    stack = stack_factory(FaultConfig(fail_put_rate=0.3, seed=2))
    sent = updates(50)
    statuses = stack.handle_many(u.body for u in sent)
    assert statuses == [200] * 50
    assert stack.faults.put.hits >= 5
    stack.flush()
    assert sorted(parquet_update_ids(stack.config.lake)) == sorted(u.update_id for u in sent)


# -- archive failures ---------------------------------------------------------------


def test_archive_writes_fail_with_s3_errors_only_for_the_faulty_bucket(tmp_path: Path) -> None:
    from local.delivery_stream import DATA_BUCKET, lake_object_store

    store = FlakyObjectStore(lake_object_store(tmp_path), Dice(1.0, 5), {RAW_BUCKET})
    codes = set()
    for n in range(20):
        with pytest.raises(ClientError) as raised:
            store.put_object(Bucket=RAW_BUCKET, Key=f"updates/{n}", Body=b"x")
        codes.add(raised.value.response["Error"]["Code"])
    assert codes == {code for code, _, _ in ARCHIVE_ERRORS}
    store.put_object(Bucket=DATA_BUCKET, Key="messages/ok", Body=b"x")
    assert store.get_object(Bucket=DATA_BUCKET, Key="messages/ok")["Body"].read() == b"x"
    assert not (tmp_path / "raw").exists()


def test_a_batch_whose_archive_always_fails_goes_to_processing_failed(
    stack_factory: Any,
) -> None:
    # GIVEN a stack whose raw archive refuses every write
    stack = stack_factory(FaultConfig(fail_archive_rate=1.0, seed=3))
    sent = updates(10)
    assert stack.handle_many(u.body for u in sent) == [200] * 10
    # WHEN the stream delivers
    stack.flush()
    # THEN the archiver was invoked 4 times (3 retries), then every record went to
    # processing-failed with its bytes; nothing reached the archive or Parquet
    lake = stack.config.lake
    failed = processing_failed(lake)
    assert stack.stats().invocations == 4
    assert {r["errorCode"] for r in failed} == {FUNCTION_ERROR}
    assert {r["attemptsMade"] for r in failed} == {4}
    assert sorted(base64.b64decode(r["rawData"]) for r in failed) == sorted(
        u.body + b"\n" for u in sent
    )
    assert raw_update_ids(lake) == []
    assert parquet_update_ids(lake) == []


def test_occasional_archive_failures_are_retried_and_nothing_is_lost(
    stack_factory: Any,
) -> None:
    stack = stack_factory(FaultConfig(fail_archive_rate=0.5, seed=4), buffer_mb=0.01)
    sent = updates(200)
    assert stack.handle_many(u.body for u in sent) == [200] * 200
    stack.flush()
    lake = stack.config.lake
    assert stack.faults.archive.hits > 0
    failed_ids = {
        json.loads(base64.b64decode(r["rawData"]))["update_id"] for r in processing_failed(lake)
    }
    archived = set(raw_update_ids(lake))
    assert archived | failed_ids == {u.update_id for u in sent}
    # Every update not in an error record has its rows in every table it feeds (an
    # update feeding two streams may be archived by one and fail in the other).
    delivered = {
        table.name: set(parquet_update_ids(lake, table.prefix)) for table in DELIVERED_TABLES
    }
    for update in sent:
        if update.update_id not in failed_ids:
            for table in tables_for(json.loads(update.body)):
                assert update.update_id in delivered[table], (update.update_id, table)
    assert delivered[MESSAGES.name] <= archived


# -- archiver timeouts --------------------------------------------------------------


def test_a_timeout_after_archiving_is_retried_without_duplicating_the_archive(
    stack_factory: Any,
) -> None:
    # GIVEN an archiver whose first invocation times out after writing its archive object
    stack = stack_factory(FaultConfig())
    handler = stack.stream.processor
    dice = ScriptedDice(rolls=[True, False], picks=[True])
    stack.stream.processor = TimingOutProcessor(handler, dice)
    sent = updates(20)
    stack.handle_many(u.body for u in sent)
    # WHEN the stream delivers
    stack.flush()
    # THEN the retried invocation overwrote the same archive object: one copy of each update
    lake = stack.config.lake
    assert stack.stats().invocations == 2
    assert len(list((lake / "raw").rglob("*.ndjson.gz"))) == 1
    assert sorted(raw_update_ids(lake)) == sorted(u.update_id for u in sent)
    assert sorted(parquet_update_ids(lake)) == sorted(u.update_id for u in sent)
    assert processing_failed(lake) == []


def test_an_archiver_that_always_times_out_sends_records_to_processing_failed(
    stack_factory: Any,
) -> None:
    stack = stack_factory(FaultConfig(archiver_timeout_rate=1.0, seed=5))
    sent = updates(5)
    stack.handle_many(u.body for u in sent)
    stack.flush()
    failed = processing_failed(stack.config.lake)
    assert len(failed) == 5
    assert {r["attemptsMade"] for r in failed} == {4}
    assert stack.faults.timeout.hits == 4
    assert parquet_update_ids(stack.config.lake) == []


def test_a_timeout_before_the_handler_ran_has_no_side_effect() -> None:
    calls: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"records": []}

    processor = TimingOutProcessor(handler, ScriptedDice(rolls=[True], picks=[False]))
    with pytest.raises(LambdaTimeout, match="Task timed out after"):
        processor({"records": []}, None)
    assert calls == []
    assert processor({"records": []}, None) == {"records": []}
    assert len(calls) == 1


# -- the command line ---------------------------------------------------------------


def test_ingest_with_every_put_failing_reports_failures(
    tmp_path: Path, short_budget: None, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "u.ndjson"
    source.write_bytes(b"".join(u.body + b"\n" for u in updates(3)))
    code = main(
        [
            "ingest",
            str(source),
            "--lake",
            str(tmp_path / "lake"),
            "--chat-ids",
            str(DEFAULT_CHAT_ID),
            "--fail-put-rate",
            "1",
            "--fault-seed",
            "1",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "failed 3" in captured.out
    assert "HTTP 503" in captured.err


def test_a_bad_rate_flag_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ingest", "x", "--lake", str(tmp_path), "--fail-archive-rate", "20"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "between 0 and 1" in err
    assert err.count("\n") == 1
