"""Group → supergroup migrations are followed: locally through `tgpipe ingest`, on AWS through SSM.

The migration messages are captured ones (tests/events/real, teloxide's issue_427):
basic group -599075523 became supergroup -1001555296434.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions import adapters
from functions import constants as c
from functions.allowlist import AllowList, ChatEntry, MemoryStore
from functions.errors import AllowListUnavailable
from functions.settings import WebhookSettings
from functions.webhook import handler
from glue_schema.views import QueryParameters, query_sql
from local.lambda_runtime import LambdaContext
from local.query import LocalQueryEngine
from scripts.cli import main
from tests.helpers import event, real_event
from tests.integration.conftest import REGION, SECRET
from tests.integration.test_webhook_handler import landed_records
from tests.unit.test_webhook_logic import api_event

GROUP = -599075523
SUPERGROUP = -1001555296434
FOREIGN = -1009876543210
PATH = "/tgpipe/test-stack/"
CONTEXT = LambdaContext(function_name="webhook")


def text_in(chat_id: int, update_id: int, message_id: int, chat_type: str) -> dict[str, Any]:
    """A captured-shape text message (message_text.json) moved into another chat."""
    update = copy.deepcopy(event("message_text"))
    update["update_id"] = update_id
    message = update["message"]
    message["message_id"] = message_id
    message["chat"] = {"id": chat_id, "type": chat_type, "title": "Vendas SP"}
    return update


def conversation() -> list[dict[str, Any]]:
    """Messages in the group, its migration (both messages), then messages in the supergroup."""
    before = [text_in(GROUP, 500 + i, 10 + i, "group") for i in range(3)]
    migrate_to = real_event("migrate_to_chat_id__teloxide")
    migrate_from = real_event("migrate_from_chat_id__teloxide")
    after = [text_in(SUPERGROUP, 600 + i, 2 + i, "supergroup") for i in range(3)]
    return [*before, migrate_to, migrate_from, *after]


def write_ndjson(path: Path, updates: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in updates), "utf-8")
    return path


def follow_at_once(instances: list[AllowList]) -> list[int]:
    """Each instance follows a different migration, all in threads at the same moment."""
    targets = [SUPERGROUP - i for i in range(len(instances))]
    threads = [
        threading.Thread(target=allow.follow_migration, args=(target, GROUP))
        for allow, target in zip(instances, targets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return targets


# -- locally: tgpipe ingest, tgpipe chats ------------------------------------------------------


def test_ingest_with_only_the_group_allowed_lands_the_whole_conversation_as_one_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN --chat-ids names only the basic group
    lake = tmp_path / "lake"
    source = write_ndjson(tmp_path / "conversation.ndjson", conversation())
    # WHEN the conversation, its migration and the supergroup's messages are ingested
    assert main(["ingest", str(source), "--lake", str(lake), "--chat-ids", str(GROUP)]) == 0
    # THEN every message landed, and the views group both ids as the supergroup
    with LocalQueryEngine(lake) as engine:
        _, rows = engine.query(
            "SELECT chat_id, canonical_chat_id, message_type FROM messages_unique ORDER BY update_id"
        )
        _, per_day = engine.query(
            query_sql("messages_per_day"), QueryParameters(days=3660, tz="America/Sao_Paulo")
        )
    assert len(rows) == 8
    assert {row[0] for row in rows} == {GROUP, SUPERGROUP}
    assert {row[1] for row in rows} == {SUPERGROUP}
    assert {row[1] for row in per_day} == {SUPERGROUP}
    # The dashboards count the six posts, not the two migration messages.
    assert sum(row[3] for row in per_day) == 6


def test_a_followed_migration_is_remembered_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    first = write_ndjson(tmp_path / "first.ndjson", [real_event("migrate_to_chat_id__teloxide")])
    later = write_ndjson(tmp_path / "later.ndjson", [text_in(SUPERGROUP, 700, 9, "supergroup")])
    assert main(["ingest", str(first), "--lake", str(lake), "--chat-ids", str(GROUP)]) == 0
    capsys.readouterr()
    # WHEN a later run (a restart) still names only the old group
    assert main(["ingest", str(later), "--lake", str(lake), "--chat-ids", str(GROUP)]) == 0
    # THEN the supergroup's message is kept
    assert "accepted 1, ignored 0" in capsys.readouterr().out
    assert main(["chats", "list", "--lake", str(lake)]) == 0
    listing = capsys.readouterr().out
    assert f"{SUPERGROUP}  kept" in listing
    assert f"migrated from {GROUP}" in listing


def test_chats_lists_ignored_groups_and_allow_keeps_them_without_chat_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    foreign = write_ndjson(tmp_path / "f.ndjson", [text_in(FOREIGN, 800, 1, "supergroup")])
    assert main(["ingest", str(foreign), "--lake", str(lake), "--chat-ids", str(GROUP)]) == 0
    capsys.readouterr()
    assert main(["chats", "list", "--lake", str(lake), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["chat_id"], s["chat_type"]) for s in listed["seen"]] == [(FOREIGN, "supergroup")]
    # WHEN the operator keeps it, no --chat-ids is needed any more
    assert main(["chats", "allow", str(FOREIGN), "--lake", str(lake)]) == 0
    again = write_ndjson(tmp_path / "g.ndjson", [text_in(FOREIGN, 801, 2, "supergroup")])
    capsys.readouterr()
    assert main(["ingest", str(again), "--lake", str(lake)]) == 0
    assert "accepted 1, ignored 0" in capsys.readouterr().out
    # AND disallow stops it again
    assert main(["chats", "disallow", str(FOREIGN), "--lake", str(lake)]) == 0
    third = write_ndjson(tmp_path / "h.ndjson", [text_in(FOREIGN, 802, 3, "supergroup")])
    capsys.readouterr()
    assert main(["ingest", str(third), "--lake", str(lake), "--chat-ids", str(GROUP)]) == 0
    assert "accepted 0, ignored 1" in capsys.readouterr().out


def test_concurrent_followers_on_one_lake_lose_no_entry(tmp_path: Path) -> None:
    from local.allowlist_store import DirectoryStore

    lakes = [AllowList(frozenset({GROUP}), DirectoryStore(tmp_path)) for _ in range(8)]
    targets = follow_at_once(lakes)
    assert sorted(DirectoryStore(tmp_path).entries()) == sorted(targets)


# -- on AWS: the webhook Lambda with its SSM allow-list (moto) ---------------------------------


@pytest.fixture
def ssm_webhook(webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(c.ENV_ALLOWED_CHAT_IDS, str(GROUP))
    monkeypatch.setenv(c.ENV_ALLOW_LIST_PATH, PATH)
    handler.settings.cache_clear()
    return {**webhook_env, "ssm": boto3.client("ssm", region_name=REGION)}


def send(update: dict[str, Any]) -> int:
    body = json.dumps(update, ensure_ascii=False).encode()
    return int(handler.lambda_handler(api_event(body, secret=SECRET), CONTEXT)["statusCode"])


def test_the_lambda_follows_a_migration_into_ssm_and_keeps_it_after_a_cold_start(
    ssm_webhook: dict[str, Any],
) -> None:
    # WHEN the group's migration message arrives
    assert send(real_event("migrate_to_chat_id__teloxide")) == 200
    # THEN one parameter names the supergroup
    stored = ssm_webhook["ssm"].get_parameter(Name=f"{PATH}chats/{SUPERGROUP}")["Parameter"]
    assert ChatEntry.from_json(SUPERGROUP, stored["Value"]) is not None
    # AND after a cold start (settings and allow-list read again) its messages are kept
    handler.settings.cache_clear()
    assert send(text_in(SUPERGROUP, 901, 5, "supergroup")) == 200
    landed = landed_records(ssm_webhook["s3"], ssm_webhook["bucket"])
    assert sorted(json.loads(line)["update_id"] for line in landed) == [901, 990000004]


def test_the_lambda_notes_an_ignored_group_for_tgpipe_chats(
    ssm_webhook: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert send(text_in(FOREIGN, 902, 6, "supergroup")) == 200
    seen = ssm_webhook["ssm"].get_parameter(Name=f"{PATH}seen/{FOREIGN}")["Parameter"]["Value"]
    assert json.loads(seen)["chat_type"] == "supergroup"
    assert landed_records(ssm_webhook["s3"], ssm_webhook["bucket"]) == []


def test_concurrent_lambdas_following_migrations_lose_no_entry(ssm_webhook: dict[str, Any]) -> None:
    ssm = ssm_webhook["ssm"]
    instances = [
        AllowList(frozenset({GROUP}), adapters.SsmAllowListStore(PATH, ssm)) for _ in range(6)
    ]
    targets = follow_at_once(instances)
    assert sorted(adapters.SsmAllowListStore(PATH, ssm).entries()) == sorted(targets)


def test_chats_cli_edits_the_deployed_allow_list(
    ssm_webhook: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="test-stack",
        TemplateBody=json.dumps(
            {
                "Parameters": {"AllowedChatIds": {"Type": "String"}},
                "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
            }
        ),
        Parameters=[{"ParameterKey": "AllowedChatIds", "ParameterValue": str(GROUP)}],
    )
    stack = ["--stack", "test-stack", "--region", REGION]
    assert main(["chats", "allow", str(FOREIGN), *stack]) == 0
    assert main(["chats", "list", *stack, "--format", "json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("{") :])
    assert {(row["chat_id"], row["reason"]) for row in listed["chats"]} == {
        (GROUP, "configured"),
        (FOREIGN, "operator"),
    }
    # The Lambda sees the operator's entry without a redeploy.
    handler.settings.cache_clear()
    assert send(text_in(FOREIGN, 903, 7, "supergroup")) == 200
    assert len(landed_records(ssm_webhook["s3"], ssm_webhook["bucket"])) == 1


class _BrokenStore(MemoryStore):
    def add_if_absent(self, entry: ChatEntry) -> bool:
        raise AllowListUnavailable("throttled")


def test_a_migration_the_store_cannot_take_is_answered_503_so_telegram_redelivers(
    webhook_env: dict[str, Any],
) -> None:
    settings = WebhookSettings(frozenset({GROUP}), "tgpipe-test", SECRET, None, 0.5)
    deps = handler.Dependencies(
        settings,
        SECRET,
        AllowList(settings.allowed_chat_ids, _BrokenStore()),
        adapters.firehose_client(),
    )
    body = json.dumps(real_event("migrate_to_chat_id__teloxide")).encode()
    response = handler.handle(api_event(body, secret=SECRET), deps)
    assert response["statusCode"] == 503
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == []


# -- captured payloads end to end: tgpipe ingest → Parquet → DuckDB ------------------------------


def test_captured_updates_land_through_ingest_with_the_expected_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.test_real_updates import EXPECTED

    updates = {name: real_event(name) for name in sorted(EXPECTED)}
    ids = [u["update_id"] for u in updates.values()]
    assert len(set(ids)) == len(ids)
    chats = sorted({shaped_chat(u) for u in updates.values()})
    source = write_ndjson(tmp_path / "captured.ndjson", list(updates.values()))
    lake = tmp_path / "lake"
    chat_list = ",".join(str(chat) for chat in chats)
    assert main(["ingest", str(source), "--lake", str(lake), "--chat-ids", chat_list]) == 0
    columns = sorted({column for expected in EXPECTED.values() for column in expected})
    with LocalQueryEngine(lake) as engine:
        names, rows = engine.query(f"SELECT update_id, {', '.join(columns)} FROM messages")  # noqa: S608
    landed = {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in rows}
    assert len(landed) == len(updates)
    for name, update in updates.items():
        row = landed[update["update_id"]]
        assert {column: row[column] for column in EXPECTED[name]} == EXPECTED[name], name


def shaped_chat(update: dict[str, Any]) -> int:
    from functions.telegram import chat_id

    found = chat_id(update)
    assert found is not None
    return found


NEW_COLUMNS = (
    "is_topic_message",
    "sender_chat_title",
    "sender_chat_type",
    "sender_kind",
    "via_bot_id",
    "author_signature",
    "is_automatic_forward",
    "is_service",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "mentioned_user_ids",
)


def test_replay_rebuilds_partitions_written_before_the_new_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.parquet as pq

    # GIVEN a lake whose Parquet was written by the shaper before these columns existed
    lake = tmp_path / "lake"
    captured = [
        real_event("migrate_to_chat_id__teloxide"),
        real_event("anonymous_admin_forward_legacy__teloxide"),
    ]
    source = write_ndjson(tmp_path / "old.ndjson", captured)
    chats = ",".join(str(shaped_chat(u)) for u in captured)
    assert main(["ingest", str(source), "--lake", str(lake), "--chat-ids", chats]) == 0
    for path in (lake / "data" / "messages").rglob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(list(NEW_COLUMNS)), path)
    with LocalQueryEngine(lake) as engine:
        _, before = engine.query("SELECT count(*) FROM messages WHERE sender_kind IS NOT NULL")
    assert before == [(0,)]
    # WHEN the partitions are replayed from the raw archive
    assert main(["replay", "--raw", str(lake / "raw"), "--lake", str(lake)]) == 0
    # THEN the rows carry the new columns
    with LocalQueryEngine(lake) as engine:
        _, after = engine.query(
            "SELECT message_type, is_service, sender_kind, user_id, migrate_to_chat_id "
            "FROM messages ORDER BY update_id"
        )
    assert after[0][:3] == ("migrate_to_chat_id", True, "user")
    assert after[0][4] == SUPERGROUP
    assert after[1][:4] == ("text", False, "anonymous_admin", None)
