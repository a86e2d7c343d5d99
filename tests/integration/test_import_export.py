"""`tgpipe import-export`: real exports into a local lake and into S3 (moto), re-imports,
overlap with live capture, and bad input that leaves the lake as it was.

Sources of the exports: tests/events/exports/INDEX.md.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import names as n
from local.export_import import import_chat
from local.export_reader import MessageStream
from local.query import LocalQueryEngine
from scripts.cli import main
from tests.helpers import export_messages, export_path

SOFTWARE_TESTING = export_path("tgif__software-testing")
SUPERGROUP_ID = -1001712691810
REGION = "us-east-1"


def tree(lake: Path) -> dict[str, str]:
    """Every file of the lake and the hash of its bytes."""
    return {
        str(path.relative_to(lake)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(lake.rglob("*"))
        if path.is_file()
    }


def count(lake: Path, sql: str) -> Any:
    with LocalQueryEngine(lake) as engine:
        _, rows = engine.query(sql)
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


def import_export(*args: str) -> int:
    return main(["import-export", *args])


# -- what lands -------------------------------------------------------------------------


def test_a_real_supergroup_export_lands_in_the_messages_views(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    assert import_export(str(SOFTWARE_TESTING), "--lake", str(lake)) == 0
    files = tree(lake)
    assert f"data/messages/dt=2023-01-20/export-chat{SUPERGROUP_ID}.parquet" in files
    assert any(key.startswith(f"raw/exports/{SUPERGROUP_ID}/") for key in files)
    assert count(lake, "SELECT count(*) FROM messages_unique") == 197
    assert count(lake, "SELECT count(*) FROM posts") == 197
    assert count(lake, "SELECT DISTINCT source FROM messages") == "export"
    assert count(lake, "SELECT count(DISTINCT user_id) FROM messages") == 12
    # Partitioned by the message's own date: a dt filter finds them.
    assert count(lake, "SELECT count(*) FROM messages WHERE dt = '2023-01-20'") == 197


def test_an_old_export_lands_with_the_exporting_time_zone(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    old = export_path("tgif__tdd-and-clean-architecture")
    assert import_export(str(old), "--lake", str(lake), "--export-tz", "Asia/Jakarta") == 0
    first = "SELECT min(sent_at) = TIMESTAMP '2022-08-02 16:21:24' FROM messages"
    assert count(lake, first) is True
    assert count(lake, "SELECT count(*) FROM messages_unique") == 191
    assert count(lake, "SELECT sum(cardinality(hashtags)) FROM messages") == 2


def test_a_channel_and_a_migrated_supergroup_land_with_their_service_messages(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    for name in (
        "telegram-chat-parser__private_channel",
        "telegram-chat-parser__public_supergroup",
    ):
        assert import_export(str(export_path(name)), "--lake", str(lake), "--export-tz", "UTC") == 0
    rows = count(
        lake,
        "SELECT chat_id, chat_type, message_type FROM messages_unique "
        "WHERE is_service ORDER BY chat_id, message_id",
    )
    assert rows == [
        (-1010036995664, "channel", "channel_chat_created"),
        (-1010036995664, "channel", "pinned_message"),
        (-1009888888888, "group", "group_chat_created"),
        (-1009888888888, "group", "migrate_to_chat_id"),
        (-1009888888888, "supergroup", "migrate_from_chat_id"),
    ]
    assert count(lake, "SELECT count(*) FROM posts") == 6  # 5 channel posts, 1 group message


def test_an_account_export_needs_the_chat_and_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    account = str(export_path("chat-analytics__MultiChat_2C_6M"))
    assert import_export(account, "--lake", str(lake), "--export-tz", "UTC") == 1
    error = capsys.readouterr().err
    assert "pick one with --chat-id" in error
    assert "-700000002 private_group 'Chat Two'" in error
    assert not lake.exists() or tree(lake) == {}
    assert (
        import_export(account, "--lake", str(lake), "--chat-id", "-700000002", "--export-tz", "UTC")
        == 0
    )
    assert count(lake, "SELECT chat_id, count(*) FROM messages GROUP BY 1") == [(-700000002, 4)]
    assert count(lake, "SELECT count(*) FROM posts") == 3  # the phone call is a service message


# -- no duplicates ----------------------------------------------------------------------


def test_importing_the_same_export_again_changes_nothing(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    assert import_export(str(SOFTWARE_TESTING), "--lake", str(lake)) == 0
    first = tree(lake)
    assert import_export(str(SOFTWARE_TESTING), "--lake", str(lake)) == 0
    assert tree(lake) == first
    assert count(lake, "SELECT count(*) FROM messages") == 197


def live_update(update_id: int, chat: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The Bot API update a bot in the chat got for an exported message."""
    user = int(message["from_id"][4:])
    text = message["text"]
    if isinstance(text, list):
        text = "".join(p if isinstance(p, str) else p["text"] for p in text)
    body: dict[str, Any] = {
        "message_id": message["id"],
        "date": int(message["date_unixtime"]),
        "chat": chat,
        "from": {"id": user, "is_bot": False, "first_name": message["from"]},
    }
    if "photo" in message:
        body["photo"] = [{"file_id": "x", "file_unique_id": "y", "width": 9, "height": 9}]
        if text:
            body["caption"] = text
    elif message.get("media_type") == "sticker":
        body["sticker"] = {"file_id": "x", "file_unique_id": "y", "width": 9, "height": 9,
                           "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
    else:
        body["text"] = text
    return {"update_id": update_id, "message": body}


def capture_live(lake: Path, tmp_path: Path, updates: list[dict[str, Any]], chat_id: int) -> None:
    source = tmp_path / "live.ndjson"
    source.write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in updates), "utf-8")
    assert main(["ingest", str(source), "--lake", str(lake), "--chat-ids", str(chat_id)]) == 0


def test_an_export_overlapping_live_capture_counts_each_message_once(tmp_path: Path) -> None:
    # GIVEN the bot captured the last 80 messages of the day live (same chat, same ids)
    lake = tmp_path / "lake"
    messages = export_messages("tgif__software-testing")
    chat = {"id": SUPERGROUP_ID, "type": "supergroup", "title": "Teknologi Umum v2.0"}
    live = [live_update(900_000 + i, chat, m) for i, m in enumerate(messages[-80:])]
    capture_live(lake, tmp_path, live, SUPERGROUP_ID)
    # WHEN the export of the whole day is imported
    assert import_export(str(SOFTWARE_TESTING), "--lake", str(lake)) == 0
    # THEN every message is in messages_unique once: live where captured, export before
    assert count(lake, "SELECT count(*) FROM messages") == 197 + 80
    assert count(lake, "SELECT count(*) FROM messages_unique") == 197
    assert count(lake, "SELECT count(DISTINCT message_id) FROM messages_unique") == 197
    assert count(lake, "SELECT source, count(*) FROM messages_unique GROUP BY 1 ORDER BY 1") == [
        ("export", 117),
        ("webhook", 80),
    ]
    assert count(lake, "SELECT count(*) FROM messages_current") == 197
    assert count(lake, "SELECT count(*) FROM posts") == 197


def test_a_basic_group_export_overlapping_live_capture_matches_by_time_and_sender(
    tmp_path: Path,
) -> None:
    # GIVEN a basic group whose messages the bot numbers differently from the exporter
    lake = tmp_path / "lake"
    account = export_path("chat-analytics__MultiChat_2C_6M")
    exported = json.loads(account.read_bytes())["chats"]["list"][1]["messages"]
    chat = {"id": -700000002, "type": "group", "title": "Chat Two"}
    live = [
        {**live_update(800_000 + i, chat, m), "message": {**live_update(0, chat, m)["message"],
                                                          "message_id": 5 + i}}
        for i, m in enumerate(exported[:2])
    ]  # fmt: skip
    capture_live(lake, tmp_path, live, -700000002)
    # WHEN the export is imported
    args = ["--lake", str(lake), "--chat-id", "-700000002", "--export-tz", "UTC"]
    assert import_export(str(account), *args) == 0
    # THEN the two captured messages count once (matched on chat, sent_at, sender, type)
    assert count(lake, "SELECT source, count(*) FROM messages_unique GROUP BY 1 ORDER BY 1") == [
        ("export", 2),
        ("webhook", 2),
    ]
    assert count(lake, "SELECT count(*) FROM messages_current") == 4


# -- bad input leaves the lake as it was -------------------------------------------------


@pytest.fixture
def lake_with_an_import(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    assert (
        import_export(str(export_path("tgif__ssl-tidak-hanya-untuk-website")), "--lake", str(lake))
        == 0
    )
    return lake


def truncated(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.json"
    data = SOFTWARE_TESTING.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def not_an_export(tmp_path: Path) -> Path:
    path = tmp_path / "update.json"
    path.write_text('{"update_id": 1, "message": {"message_id": 1}}', "utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "extra", "says"),
    [
        (lambda _: export_path("telegram-chat-parser__error"), [], "is not valid JSON"),
        (truncated, [], "ends early"),
        (not_an_export, [], "is not a Telegram Desktop export"),
        (lambda _: export_path("telegram-chat-parser__bot"), [], "not a group or channel"),
        (lambda _: export_path("chat-analytics__DM_2A_7M"), [], "not a group or channel"),
        (lambda _: SOFTWARE_TESTING, ["--chat-id", "-1009"], "no chat -1009"),
        (lambda _: export_path("tgif__tdd-and-clean-architecture"), [], "--export-tz"),
        (lambda _: SOFTWARE_TESTING, ["--export-tz", "Mars/Base"], "is not a time zone"),
    ],
)
def test_bad_input_is_one_line_and_leaves_the_lake_as_it_was(
    lake_with_an_import: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: Any,
    extra: list[str],
    says: str,
) -> None:
    before = tree(lake_with_an_import)
    capsys.readouterr()
    code = import_export(str(source(tmp_path)), "--lake", str(lake_with_an_import), *extra)
    error = capsys.readouterr().err
    assert code != 0
    assert says in error
    assert len(error.strip().splitlines()) == 1, error
    assert "Traceback" not in error
    assert tree(lake_with_an_import) == before


def test_an_import_interrupted_midway_leaves_the_lake_as_it_was(
    lake_with_an_import: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(lake_with_an_import)
    original = MessageStream.__iter__

    def interrupted(self: MessageStream) -> Any:
        for number, message in enumerate(original(self)):
            if number == 150:
                raise KeyboardInterrupt
            yield message

    monkeypatch.setattr(MessageStream, "__iter__", interrupted)
    # flush_rows small: parts were already staged when Ctrl-C came
    monkeypatch.setattr("local.export_import.FLUSH_ROWS", 40)
    assert import_export(str(SOFTWARE_TESTING), "--lake", str(lake_with_an_import)) == 130
    assert tree(lake_with_an_import) == before


# -- a deployed stack (moto S3) ----------------------------------------------------------

STACK_TEMPLATE = {
    "Resources": {
        "DataBucket": {"Type": "AWS::S3::Bucket"},
        "RawBucket": {"Type": "AWS::S3::Bucket"},
    },
    "Outputs": {
        n.O_DATA_BUCKET: {"Value": {"Ref": "DataBucket"}},
        n.O_RAW_BUCKET: {"Value": {"Ref": "RawBucket"}},
    },
}


@pytest.fixture
def stack(aws: None) -> dict[str, str]:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="tgpipe-test", TemplateBody=json.dumps(STACK_TEMPLATE))
    outputs = cloudformation.describe_stacks(StackName="tgpipe-test")["Stacks"][0]["Outputs"]
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def bucket_objects(bucket: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def download(bucket: str, lake: Path) -> None:
    """The data bucket as a local lake's data/ (what Athena reads, for the local engine)."""
    for key, body in bucket_objects(bucket).items():
        path = lake / "data" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def test_an_import_into_a_stack_writes_the_data_and_raw_buckets_once(
    stack: dict[str, str], tmp_path: Path
) -> None:
    args = [str(SOFTWARE_TESTING), "--stack", "tgpipe-test", "--region", REGION]
    assert import_export(*args) == 0
    data = bucket_objects(stack[n.O_DATA_BUCKET])
    raw = bucket_objects(stack[n.O_RAW_BUCKET])
    assert list(data) == [f"messages/dt=2023-01-20/export-chat{SUPERGROUP_ID}.parquet"]
    digest = hashlib.sha256(SOFTWARE_TESTING.read_bytes()).hexdigest()
    assert raw == {f"exports/{SUPERGROUP_ID}/{digest}.json": SOFTWARE_TESTING.read_bytes()}
    # Again: the same keys, the same bytes.
    assert import_export(*args) == 0
    assert bucket_objects(stack[n.O_DATA_BUCKET]) == data
    assert bucket_objects(stack[n.O_RAW_BUCKET]) == raw


def test_an_import_into_a_stack_overlapping_live_rows_counts_each_message_once(
    stack: dict[str, str], tmp_path: Path
) -> None:
    # GIVEN live rows of the chat's last 50 messages already in the data bucket
    live_lake = tmp_path / "live"
    messages = export_messages("tgif__software-testing")
    chat = {"id": SUPERGROUP_ID, "type": "supergroup", "title": "Teknologi Umum v2.0"}
    capture_live(live_lake, tmp_path, [live_update(7000 + i, chat, m) for i, m in enumerate(messages[-50:])], SUPERGROUP_ID)  # fmt: skip
    s3 = boto3.client("s3", region_name=REGION)
    for path in (live_lake / "data").rglob("*.parquet"):
        key = str(path.relative_to(live_lake / "data"))
        s3.upload_fileobj(io.BytesIO(path.read_bytes()), stack[n.O_DATA_BUCKET], key)
    # WHEN the export is imported into the stack
    assert import_export(str(SOFTWARE_TESTING), "--stack", "tgpipe-test", "--region", REGION) == 0
    # THEN the views over the bucket hold each message once
    lake = tmp_path / "athena-view"
    download(stack[n.O_DATA_BUCKET], lake)
    assert count(lake, "SELECT count(*) FROM messages") == 197 + 50
    assert count(lake, "SELECT count(*) FROM messages_unique") == 197
    assert count(lake, "SELECT count(*) FROM messages_current") == 197


def test_a_stack_import_of_a_bad_file_uploads_nothing(
    stack: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = import_export(str(truncated(tmp_path)), "--stack", "tgpipe-test", "--region", REGION)
    assert code == 1
    assert "ends early" in capsys.readouterr().err
    assert bucket_objects(stack[n.O_DATA_BUCKET]) == {}
    assert bucket_objects(stack[n.O_RAW_BUCKET]) == {}


def test_import_chat_reports_what_it_wrote(tmp_path: Path) -> None:
    from local.export_format import ExportChat
    from local.export_import import LakeTarget
    from local.export_reader import SINGLE

    chat = ExportChat(1712691810, "public_supergroup", "Teknologi Umum v2.0")
    report = import_chat(
        MessageStream(SOFTWARE_TESTING, chat, SINGLE), LakeTarget(tmp_path), flush_rows=50
    )
    assert report.messages == 197
    assert report.rows == {"messages": 197, "member_events": 0, "reactions": 0}
    assert report.files == {"messages": 1, "member_events": 0, "reactions": 0}
    assert report.sha256 == hashlib.sha256(SOFTWARE_TESTING.read_bytes()).hexdigest()


def test_replay_rebuilds_live_rows_and_keeps_the_imported_export(tmp_path: Path) -> None:
    # GIVEN the real export moved to today, so live capture (dt = arrival date) and the
    # import (dt = sent date) share today's partition
    days = (datetime.now(tz=UTC).date() - date(2023, 1, 20)).days
    export = json.loads(SOFTWARE_TESTING.read_bytes())
    for message in export["messages"]:
        for key in ("date_unixtime", "edited_unixtime"):
            if key in message:
                message[key] = str(int(message[key]) + days * 86_400)
    moved = tmp_path / "result.json"
    moved.write_text(json.dumps(export, ensure_ascii=False), "utf-8")
    lake = tmp_path / "lake"
    chat = {"id": SUPERGROUP_ID, "type": "supergroup", "title": "Teknologi Umum v2.0"}
    live = [live_update(500 + i, chat, m) for i, m in enumerate(export["messages"][:30])]
    capture_live(lake, tmp_path, live, SUPERGROUP_ID)
    assert import_export(str(moved), "--lake", str(lake)) == 0
    today = datetime.now(tz=UTC).date().isoformat()
    export_file = lake / f"data/messages/dt={today}/export-chat{SUPERGROUP_ID}.parquet"
    kept = export_file.read_bytes()
    assert len(list(export_file.parent.glob("*.parquet"))) == 2
    # WHEN today's partition is rebuilt from the raw archive
    assert main(["replay", "--raw", str(lake / "raw"), "--lake", str(lake)]) == 0
    # THEN the export's file is still there, unchanged, and each message counts once
    assert export_file.read_bytes() == kept
    assert count(lake, "SELECT source, count(*) FROM messages GROUP BY 1 ORDER BY 1") == [
        ("export", 197),
        ("webhook", 30),
    ]
    assert count(lake, "SELECT count(*) FROM messages_unique") == 197


@pytest.mark.parametrize(
    "odd",
    [
        {"text": "oi", "text_entities": ["not an entity"]},
        {"text": "oi", "author": 5},
        {"text": "oi", "text_entities": [{"type": "plain", "text": "oi"}], "author": ["x"]},
    ],
)
def test_odd_fields_in_a_message_are_read_as_missing_not_a_traceback(
    tmp_path: Path, odd: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    message = {
        "id": 1,
        "type": "message",
        "date": "2026-01-01T10:00:00",
        "date_unixtime": "1767261600",
        "from": "Ana",
        "from_id": "user5",
        **odd,
    }
    source = tmp_path / "result.json"
    source.write_text(
        json.dumps({"name": "G", "type": "private_supergroup", "id": 123, "messages": [message]})
    )
    assert import_export(str(source), "--lake", str(tmp_path / "lake")) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert count(tmp_path / "lake", "SELECT count(*) FROM messages WHERE text = 'oi'") == 1


def test_a_message_no_rule_foresaw_is_one_line_and_leaves_the_lake_as_it_was(
    lake_with_an_import: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from local import export_messages

    def unforeseen(self: Any, message: dict[str, Any]) -> Any:
        raise TypeError("a field of a type no export has had so far")

    monkeypatch.setattr(export_messages.MessageShaper, "shape", unforeseen)
    before = tree(lake_with_an_import)
    capsys.readouterr()
    code = import_export(str(SOFTWARE_TESTING), "--lake", str(lake_with_an_import))
    error = capsys.readouterr().err
    assert code != 0
    assert "cannot read (TypeError); nothing was imported" in error
    assert len(error.strip().splitlines()) == 1, error
    assert tree(lake_with_an_import) == before
