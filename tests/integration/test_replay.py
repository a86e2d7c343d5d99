"""`tgpipe replay`: rebuild messages partitions from the raw archive, or re-send it to Firehose."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber

from functions import constants as c
from functions import routing
from functions.routing import tables_for
from local.delivery_stream import RAW_BUCKET, LocalDeliveryStream
from local.generator import DEFAULT_CHAT_ID, generate_updates
from local.stack import LocalStack, StackConfig
from scripts import replay_archive, replay_lake, replay_stream
from scripts.cli import main
from tests.helpers import MESSAGES_ONLY
from tests.integration.conftest import REGION

STREAM = "telegram-updates"
DAY1, DAY2 = "2026-01-01", "2026-01-02"
#: Arrivals: day 1 from 10:00 UTC, day 2 from 09:00 UTC, 0.37 s apart, a flush every 40.
STARTS = {DAY1: datetime(2026, 1, 1, 10, tzinfo=UTC), DAY2: datetime(2026, 1, 2, 9, tzinfo=UTC)}
PER_DAY = 200
FLUSH_EVERY = 40


class Clock:
    """A settable clock for the delivery stream (arrival times decide dt and received_at)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake with two days of updates (redeliveries included) put through the local stream."""
    root = tmp_path_factory.mktemp("replay") / "lake"
    clock = Clock()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(c.ENV_RAW_BUCKET, RAW_BUCKET)
        monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        stream = LocalDeliveryStream(
            root, STREAM, clock=clock, buffer_size_mb=64, buffer_interval_s=3600
        )
        updates = generate_updates(2 * PER_DAY, seed=21, duplicate_share=0.1, **MESSAGES_ONLY)
        try:
            for day_number, day in enumerate((DAY1, DAY2)):
                start = STARTS[day].timestamp()
                today = updates[day_number * PER_DAY : (day_number + 1) * PER_DAY]
                for n, update in enumerate(today):
                    clock.now = start + n * 0.37
                    stream.put_record(
                        DeliveryStreamName=STREAM, Record={"Data": update.body + b"\n"}
                    )
                    if (n + 1) % FLUSH_EVERY == 0:
                        stream.flush()
            stream.flush()
        finally:
            stream.close()
    shutil.rmtree(root / ".spool")
    return root


@pytest.fixture
def lake(built_lake: Path, tmp_path: Path) -> Path:
    """A fresh copy of the two-day lake for one test."""
    return Path(shutil.copytree(built_lake, tmp_path / "lake"))


def partition(lake: Path, dt: str) -> Path:
    return lake / "data" / "messages" / f"dt={dt}"


def rows(lake: Path, dt: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(partition(lake, dt).glob("*.parquet")):
        found.extend(pq.read_table(path).to_pylist())
    return found


def canonical(row: dict[str, Any], *, without: tuple[str, ...] = ()) -> str:
    return json.dumps(
        {k: v for k, v in row.items() if k not in without}, default=str, sort_keys=True
    )


def same_rows(
    a: list[dict[str, Any]], b: list[dict[str, Any]], without: tuple[str, ...] = ()
) -> bool:
    return sorted(canonical(r, without=without) for r in a) == sorted(
        canonical(r, without=without) for r in b
    )


def batch_times(lake: Path, dt: str) -> set[datetime]:
    """The batch time in each raw archive object's name for one dt."""
    names = (lake / "raw" / "updates" / f"dt={dt}").glob("*.ndjson.gz")
    return {
        datetime.strptime(p.name.split("-")[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for p in names
    }


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def run_replay(*args: str) -> int:
    return main(["replay", *args])


# -- --lake ---------------------------------------------------------------------------


def test_a_deleted_partition_is_rebuilt_with_identical_rows(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a lake whose day-1 partition of messages is lost
    before = rows(lake, DAY1)
    untouched = files(partition(lake, DAY2))
    assert len(before) == PER_DAY
    for path in partition(lake, DAY1).iterdir():
        path.unlink()
    partition(lake, DAY1).rmdir()
    # WHEN it is replayed from the raw archive
    code = run_replay(
        "--raw", str(lake / "raw"), "--lake", str(lake), "--dt-from", DAY1, "--dt-to", DAY1
    )
    # THEN every row is back, identical in every column, received_at included: the
    # archive's gzip header carries each line's arrival time
    assert code == 0
    after = rows(lake, DAY1)
    assert len(after) == len(before)
    assert same_rows(after, before)
    # AND the other day was not touched
    assert files(partition(lake, DAY2)) == untouched
    assert f"dt={DAY1}: {PER_DAY} rows (new)" in capsys.readouterr().out


def test_an_archive_without_arrival_times_falls_back_to_its_batch_time(lake: Path) -> None:
    # GIVEN archives as written before arrival times were recorded (plain gzip)
    for archive in (lake / "raw").rglob(f"dt={DAY1}/*.ndjson.gz"):
        archive.write_bytes(gzip.compress(gzip.decompress(archive.read_bytes()), mtime=0))
    before = rows(lake, DAY1)
    shutil.rmtree(partition(lake, DAY1))
    # WHEN the deleted partition is replayed
    code = run_replay(
        "--raw", str(lake / "raw"), "--lake", str(lake), "--dt-from", DAY1, "--dt-to", DAY1
    )
    # THEN every row is back, identical but for received_at: each row gets its archive
    # batch's time (its oldest arrival, whole seconds), never later than the original
    assert code == 0
    after = rows(lake, DAY1)
    assert same_rows(after, before, without=("received_at",))
    assert {r["received_at"] for r in after} <= {
        t.replace(tzinfo=None) for t in batch_times(lake, DAY1)
    }
    original: dict[int, list[datetime]] = defaultdict(list)
    replayed: dict[int, list[datetime]] = defaultdict(list)
    for row in before:
        original[row["update_id"]].append(row["received_at"])
    for row in after:
        replayed[row["update_id"]].append(row["received_at"])
    for update_id, times in original.items():
        pairs = zip(sorted(replayed[update_id]), sorted(times), strict=True)
        assert all(
            0 <= (late - early).total_seconds() < FLUSH_EVERY * 0.37 + 1 for early, late in pairs
        )


def test_replaying_an_existing_partition_keeps_every_row_identical(lake: Path) -> None:
    before = {dt: rows(lake, dt) for dt in (DAY1, DAY2)}
    assert run_replay("--raw", str(lake / "raw" / "updates"), "--lake", str(lake)) == 0
    for dt in (DAY1, DAY2):
        # received_at included: the replaced rows' arrival times are kept
        assert same_rows(rows(lake, dt), before[dt])
        assert [p.name.startswith("replay-") for p in partition(lake, dt).iterdir()] == [True]
    # no staging or retired directory is left next to the partitions
    assert sorted(p.name for p in (lake / "data" / "messages").iterdir()) == [
        f"dt={DAY1}",
        f"dt={DAY2}",
    ]


def test_replay_applies_a_fixed_shaper_to_old_updates(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a "fixed" row shaper (here: chat titles upper-cased)
    shape = routing.shape_row

    def fixed(update: Any, received_at_ms: int) -> dict[str, Any] | None:
        row = shape(update, received_at_ms)
        if row is not None and row["chat_title"]:
            row["chat_title"] = row["chat_title"].upper()
        return row

    monkeypatch.setattr(routing, "shape_row", fixed)
    before = rows(lake, DAY2)
    # WHEN day 2 is replayed
    assert run_replay("--raw", str(lake / "raw"), "--lake", str(lake), "--dt-from", DAY2) == 0
    # THEN its rows carry the fix and nothing else changed; day 1 still has the old shape
    after = rows(lake, DAY2)
    assert same_rows(after, [{**r, "chat_title": r["chat_title"].upper()} for r in before])
    assert all(r["chat_title"] == r["chat_title"].upper() for r in after)
    assert any(r["chat_title"] != r["chat_title"].upper() for r in rows(lake, DAY1))


def test_replay_from_s3(lake: Path, aws: None) -> None:
    # GIVEN the raw archive in an S3 bucket (moto) and a lake that lost day 1
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="tg-raw")
    raw = lake / "raw"
    for path in raw.rglob("*.ndjson.gz"):
        s3.put_object(Bucket="tg-raw", Key=path.relative_to(raw).as_posix(), Body=path.read_bytes())
    s3.put_object(Bucket="tg-raw", Key="updates/dt=2026-01-01/README.txt", Body=b"not an archive")
    before = rows(lake, DAY1)
    for path in partition(lake, DAY1).iterdir():
        path.unlink()
    # WHEN day 1 is replayed from s3://
    code = run_replay(
        "--raw", "s3://tg-raw/updates/", "--lake", str(lake), "--region", REGION, "--dt-to", DAY1
    )
    # THEN it is rebuilt exactly as from the local archive
    assert code == 0
    assert same_rows(rows(lake, DAY1), before, without=("received_at",))


def test_swap_without_an_atomic_exchange_still_replaces_the_whole_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "messages" / "dt=2026-01-01"
    target.mkdir(parents=True)
    for n in range(3):
        (target / f"old-{n}.parquet").write_bytes(b"old")
    table = pa.table({"update_id": [1, 2]})
    monkeypatch.setattr(replay_lake, "_exchange", lambda first, second: False)
    replay_lake.swap_partition(target, table)
    assert [p.name.startswith("replay-2026-01-01-") for p in target.iterdir()] == [True]
    assert pq.read_table(next(target.iterdir())).column("update_id").to_pylist() == [1, 2]
    assert [p.name for p in target.parent.iterdir()] == ["dt=2026-01-01"]


def test_atomic_exchange_swaps_two_directories(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "from-a").touch()
    (second / "from-b").touch()
    if not replay_lake._exchange(first, second):
        pytest.skip("this kernel or filesystem has no renameat2 RENAME_EXCHANGE")
    assert [p.name for p in first.iterdir()] == ["from-b"]
    assert [p.name for p in second.iterdir()] == ["from-a"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dt-from", "2030-01-01"], "no raw archive objects"),
        (["--dt-from", "2026-1-1"], "is not a date YYYY-MM-DD"),
        (["--dt-from", DAY2, "--dt-to", DAY1], "is after"),
    ],
)
def test_replay_mistakes_are_one_clear_line(
    lake: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = run_replay("--raw", str(lake / "raw"), "--lake", str(lake), *args)
    except SystemExit as exited:  # argparse's own errors
        code = int(exited.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_a_missing_source_directory_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_replay("--raw", str(tmp_path / "nope"), "--lake", str(tmp_path)) == 2
    assert "no such directory" in capsys.readouterr().err


# -- --stream -------------------------------------------------------------------------


def archived_lines(lake: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted((lake / "raw").rglob("*.ndjson.gz")):
        lines.extend(line for line in gzip.decompress(path.read_bytes()).split(b"\n") if line)
    return lines


def moto_stream(name: str, bucket: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="firehose", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "landing/",
        },
    )


def delivered(bucket: str) -> list[bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    lines: list[bytes] = []
    for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
        lines.extend(line for line in body.split(b"\n") if line)
    return lines


def test_replay_to_a_deployed_stream_sends_every_archived_update(
    lake: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    moto_stream("tg-updates", "tg-data")
    code = run_replay("--raw", str(lake / "raw"), "--stream", "tg-updates", "--region", REGION)
    assert code == 0
    assert sorted(delivered("tg-data")) == sorted(archived_lines(lake))
    assert f"sent {2 * PER_DAY} archived updates to tg-updates in 1 PutRecordBatch calls" in (
        capsys.readouterr().out
    )


def test_replay_to_a_tables_stream_sends_only_the_updates_that_feed_it(
    tmp_path: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an archive with messages, membership changes and reactions
    lake = tmp_path / "lake"
    with LocalStack(StackConfig(lake, frozenset({DEFAULT_CHAT_ID}))) as stack:
        stack.handle_many(u.body for u in generate_updates(400, seed=8))
    archived = archived_lines(lake)
    feeding = [line for line in archived if "reactions" in tables_for(json.loads(line))]
    assert 0 < len(feeding) < len(archived)
    # WHEN it is replayed into the reactions stream for that table
    moto_stream("tg-reactions", "tg-data")
    code = run_replay(
        "--raw",
        str(lake / "raw"),
        "--stream",
        "tg-reactions",
        "--table",
        "reactions",
        "--region",
        REGION,
    )
    # THEN only the reaction updates were sent
    assert code == 0
    assert sorted(delivered("tg-data")) == sorted(feeding)
    assert f"skipped {len(archived) - len(feeding)} archived updates" in capsys.readouterr().out


def test_table_without_stream_is_one_clear_line(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_replay("--raw", str(lake / "raw"), "--lake", str(lake), "--table", "reactions")
    assert code == 2
    assert "--table goes with --stream" in capsys.readouterr().err


def test_replay_to_a_missing_stream_is_one_clear_line(
    lake: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_replay("--raw", str(lake / "raw"), "--stream", "nope", "--region", REGION)
    err = capsys.readouterr().err
    assert code == 1
    assert "ResourceNotFoundException" in err
    assert err.count("\n") == 1


class Recording:
    """A real (moto) Firehose client that records the size of every PutRecordBatch call."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[int, int]] = []

    def put_record_batch(self, **kwargs: Any) -> Any:
        records = kwargs["Records"]
        self.calls.append((len(records), sum(len(r["Data"]) for r in records)))
        return self.client.put_record_batch(**kwargs)


def archive_of(lines: list[bytes]) -> list[replay_archive.ArchiveObject]:
    body = gzip.compress(b"".join(line + b"\n" for line in lines))
    return [
        replay_archive.ArchiveObject(
            "updates/dt=2026-01-01/x.ndjson.gz", DAY1, 0, len(body), lambda: body
        )
    ]


@pytest.mark.parametrize(
    ("count", "size", "expected_calls"),
    [
        (1201, 10, [500, 500, 201]),  # 500 records per call
        (30, 300_000, [13, 13, 4]),  # 4 MiB per call: 13 x 300 kB fit, 14 do not
    ],
)
def test_batches_respect_put_record_batch_limits(
    aws: None, count: int, size: int, expected_calls: list[int]
) -> None:
    moto_stream("tg-updates", "tg-data")
    client = Recording(boto3.client("firehose", region_name=REGION))
    lines = [f'{{"update_id":{n},"pad":"'.encode() + b"x" * size + b'"}' for n in range(count)]
    report = replay_stream.replay_to_stream(archive_of(lines), client, "tg-updates", lambda n: None)
    assert [records for records, _ in client.calls] == expected_calls
    assert all(size_bytes <= replay_stream.MAX_BATCH_BYTES for _, size_bytes in client.calls)
    assert report.records == count
    assert sorted(delivered("tg-data")) == sorted(lines)


def entries(*failed: bool) -> dict[str, Any]:
    return {
        "FailedPutCount": sum(failed),
        "Encrypted": False,
        "RequestResponses": [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
            if fail
            else {"RecordId": f"id-{n}"}
            for n, fail in enumerate(failed)
        ],
    }


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("firehose", region_name=REGION)
    return client, Stubber(client)


def batch(*records: bytes) -> dict[str, Any]:
    return {"DeliveryStreamName": "s", "Records": [{"Data": r} for r in records]}


def test_a_partial_failure_resends_each_failed_record_exactly_once() -> None:
    # GIVEN a stream that fails records 1 and 3 of a batch of 5, then takes them
    client, stubber = stubbed()
    records = [f"r{n}\n".encode() for n in range(5)]
    stubber.add_response(
        "put_record_batch", entries(False, True, False, True, False), batch(*records)
    )
    stubber.add_response("put_record_batch", entries(False, False), batch(records[1], records[3]))
    report = replay_stream.StreamReport()
    pauses: list[float] = []
    # WHEN the batch is put
    with stubber:
        replay_stream.put_batch(client, "s", records, report, sleep=pauses.append)
    # THEN the second call carried exactly the two failed records (the stubber checks
    # each call's parameters), after one backoff pause
    stubber.assert_no_pending_responses()
    assert (report.records, report.calls, report.retried) == (5, 2, 2)
    assert len(pauses) == 1


def test_a_throttled_call_is_retried_whole() -> None:
    client, stubber = stubbed()
    records = [b"a\n", b"b\n"]
    stubber.add_client_error("put_record_batch", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_response("put_record_batch", entries(False, False), batch(*records))
    report = replay_stream.StreamReport()
    with stubber:
        replay_stream.put_batch(client, "s", records, report, sleep=lambda s: None)
    stubber.assert_no_pending_responses()
    assert report.records == 2


def test_records_that_keep_failing_end_in_a_clear_error_after_n_attempts() -> None:
    client, stubber = stubbed()
    records = [b"a\n", b"b\n"]
    stubber.add_response("put_record_batch", entries(True, False), batch(*records))
    stubber.add_response("put_record_batch", entries(True), batch(records[0]))
    stubber.add_response("put_record_batch", entries(True), batch(records[0]))
    report = replay_stream.StreamReport()
    with stubber, pytest.raises(replay_stream.ReplayError) as raised:
        replay_stream.put_batch(client, "s", records, report, max_attempts=3, sleep=lambda s: None)
    stubber.assert_no_pending_responses()
    assert (
        "1 records still failed after 3 attempts (ServiceUnavailableException); 1 were sent"
        in str(raised.value)
    )


def test_an_error_retrying_cannot_fix_stops_at_once() -> None:
    client, stubber = stubbed()
    stubber.add_client_error("put_record_batch", "InvalidArgumentException", "bad", 400)
    with stubber, pytest.raises(replay_stream.ReplayError, match="InvalidArgumentException"):
        replay_stream.put_batch(
            client, "s", [b"a\n"], replay_stream.StreamReport(), sleep=lambda s: None
        )


def test_archive_time_comes_from_the_key_else_the_fallback() -> None:
    key = "updates/dt=2026-01-01/20260101T100000Z-abc.ndjson.gz"
    assert replay_archive.archive_time_ms(key, DAY1, 5) == 1767261600000
    assert replay_archive.archive_time_ms("updates/dt=2026-01-01/other.ndjson.gz", DAY1, 5) == 5
    assert (
        replay_archive.archive_time_ms("updates/dt=2026-01-01/other.ndjson.gz", DAY1, None)
        == 1767225600000
    )


def test_replay_pseudonymises_rows_as_the_archiver_does(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.privacy import pseudonym

    key = "replay-test-key-0123456789abcdef-0123"
    monkeypatch.setenv(c.ENV_PSEUDONYMIZE_USERS, "true")
    monkeypatch.setenv(c.ENV_PSEUDONYM_KEY, key)
    before = rows(lake, DAY1)
    assert run_replay("--raw", str(lake / "raw"), "--lake", str(lake), "--dt-to", DAY1) == 0
    after = rows(lake, DAY1)
    expected = [
        {
            **r,
            "user_id": None if r["user_id"] is None else pseudonym(r["user_id"], key.encode()),
            "left_chat_member_id": None
            if r["left_chat_member_id"] is None
            else pseudonym(r["left_chat_member_id"], key.encode()),
            "new_chat_member_ids": [pseudonym(i, key.encode()) for i in r["new_chat_member_ids"]],
            "user_first_name": None,
            "user_username": None,
        }
        for r in before
    ]
    assert same_rows(after, expected)
    assert any(r["user_id"] is not None for r in after)


def test_a_network_error_is_retried_and_a_missing_credential_is_not() -> None:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    class Flaky:
        def __init__(self, errors: list[Exception]) -> None:
            self.errors, self.calls = errors, 0

        def put_record_batch(self, **kwargs: Any) -> dict[str, Any]:
            self.calls += 1
            if self.errors:
                raise self.errors.pop(0)
            return entries(*[False] * len(kwargs["Records"]))

    network = Flaky([EndpointConnectionError(endpoint_url="https://firehose")])
    report = replay_stream.StreamReport()
    replay_stream.put_batch(network, "s", [b"a\n"], report, sleep=lambda s: None)
    assert (network.calls, report.records) == (2, 1)
    credentials = Flaky([NoCredentialsError()])
    with pytest.raises(NoCredentialsError):
        replay_stream.put_batch(
            credentials, "s", [b"a\n"], replay_stream.StreamReport(), sleep=lambda s: None
        )
    assert credentials.calls == 1


# -- member_events and reactions ------------------------------------------------------


def table_rows(lake: Path, table: str) -> list[dict[str, Any]]:
    return [
        row
        for path in sorted((lake / "data" / table).rglob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def test_replay_fills_member_events_and_reactions_as_live_capture_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a lake captured live by the local stack (a stream per table) from traffic with
    # joins, leaves, the bot's own changes and reactions
    lake = tmp_path / "lake"
    updates = generate_updates(1500, seed=8, duplicate_share=0.05)
    with LocalStack(StackConfig(lake, frozenset({DEFAULT_CHAT_ID}))) as stack:
        stack.handle_many(u.body for u in updates)
        stack.flush()
    live = {table: table_rows(lake, table) for table in ("member_events", "reactions")}
    assert all(len(rows) > 20 for rows in live.values())
    # WHEN both tables are lost (or never existed: a lake captured before them) and the
    # raw archive is replayed
    for table in live:
        shutil.rmtree(lake / "data" / table)
    assert run_replay("--raw", str(lake / "raw"), "--lake", str(lake)) == 0
    # THEN reactions and chat_member rows come back identical, received_at included
    replayed = {table: table_rows(lake, table) for table in live}
    assert same_rows(replayed["reactions"], live["reactions"])
    primary = [r for r in live["member_events"] if r["update_type"] != "message"]
    assert same_rows(
        [r for r in replayed["member_events"] if r["update_type"] != "message"], primary
    )
    # AND the rows of join/leave messages too, but for received_at: live it is when the
    # member_events stream took the update, replayed the messages stream's arrival, which
    # the archive records (a moment earlier)
    service = [r for r in replayed["member_events"] if r["update_type"] == "message"]
    live_service = [r for r in live["member_events"] if r["update_type"] == "message"]
    assert service
    assert same_rows(service, live_service, without=("received_at",))
    arrived = {(r["update_id"], r["user_id"]): r["received_at"] for r in live_service}
    for row in service:
        lag = arrived[(row["update_id"], row["user_id"])] - row["received_at"]
        assert timedelta(0) <= lag < timedelta(seconds=1)
    printed = capsys.readouterr().out
    assert "member_events dt=" in printed
    assert "reactions dt=" in printed
