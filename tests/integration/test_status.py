"""`tgpipe status`: a fake Bot API on loopback, a real local lake, and a moto stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import names as n
from scripts.cli import main
from scripts.status import Facts, assess
from tests.fake_bot_api import FakeBotApi, running
from tests.helpers import GROUP_ID, compact_bytes
from tests.integration.conftest import REGION

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HEALTHY_INFO = {"url": "https://example.com/webhook", "pending_update_count": 0}


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN)
    fake.answers = {
        "getWebhookInfo": ok(HEALTHY_INFO),
        "getMe": ok({"id": 123456, "is_bot": True, "can_read_all_group_messages": True}),
        "getChatMember": ok({"status": "administrator", "user": {"id": 123456}}),
        "getChatMemberCount": ok(1234),
    }
    with running(fake):
        yield fake


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture
def lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    source = tmp_path / "one.ndjson"
    source.write_bytes(compact_bytes("message_text") + b"\n")
    target = tmp_path / "lake"
    assert main(["ingest", str(source), "--lake", str(target), "--chat-ids", str(GROUP_ID)]) == 0
    capsys.readouterr()
    return target


def status(*args: str) -> int:
    return main(["status", *args])


# -- the rules (pure) ----------------------------------------------------------------


def facts(**changes: Any) -> Facts:
    base = Facts(
        now=NOW,
        where="test",
        webhook_info=dict(HEALTHY_INFO),
        me={"can_read_all_group_messages": True},
        newest_data=NOW - timedelta(hours=1),
        backlog=0,
        kept_chats=[GROUP_ID],
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def failed(found: Facts) -> list[str]:
    return [f.subject for f in assess(found, timedelta(hours=24)) if f.level == "FAIL"]


def test_a_healthy_pipeline_has_no_failure() -> None:
    assert failed(facts()) == []


@pytest.mark.parametrize(
    ("changes", "subject"),
    [
        ({"me": {"can_read_all_group_messages": False}}, "privacy"),
        (
            {
                "webhook_info": {
                    **HEALTHY_INFO,
                    "last_error_date": int((NOW - timedelta(minutes=5)).timestamp()),
                    "last_error_message": "Wrong response from the webhook: 503",
                }
            },
            "webhook",
        ),
        ({"webhook_info": {**HEALTHY_INFO, "pending_update_count": 5000}}, "webhook"),
        ({"newest_data": None}, "data"),
        ({"newest_data": NOW - timedelta(hours=30)}, "data"),
        ({"recent_errors": 2}, "errors"),
        ({"alarms_firing": ["DeliveryFailed"], "alarms_known": 12}, "alarms"),
        ({"kept_chats": []}, "chats"),
        ({"firehose_wait_seconds": 7200.0}, "firehose"),
    ],
)
def test_each_problem_fails_with_its_subject(changes: dict[str, Any], subject: str) -> None:
    assert failed(facts(**changes)) == [subject]


def test_an_old_webhook_error_and_a_missing_admin_right_only_warn() -> None:
    found = facts(
        webhook_info={
            **HEALTHY_INFO,
            "last_error_date": int((NOW - timedelta(days=2)).timestamp()),
        },
        member_status={GROUP_ID: "member"},
    )
    findings = assess(found, timedelta(hours=24))
    assert [f.subject for f in findings if f.level == "FAIL"] == []
    assert [f.subject for f in findings if f.level == "warn"] == ["admin"]


# -- a local lake and a fake Bot API -----------------------------------------------------


def test_a_fresh_lake_with_a_healthy_bot_is_healthy(
    lake: Path, bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = status(
        "--lake", str(lake), "--chat-ids", str(GROUP_ID),
        "--token-file", str(token_file), "--api-base", bot_api.url, "--max-age-hours", "100000",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().endswith(f"healthy (--lake {lake})")
    assert ("getChatMember", {"chat_id": GROUP_ID, "user_id": 123456}) in bot_api.other_calls
    assert f"members      {GROUP_ID}: 1,234 members now" in out
    assert TOKEN not in out


def test_privacy_mode_fails_the_status_and_says_what_to_do(
    lake: Path, bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_api.answers["getMe"] = ok({"id": 123456, "can_read_all_group_messages": False})
    code = status(
        "--lake", str(lake), "--chat-ids", str(GROUP_ID),
        "--token-file", str(token_file), "--api-base", bot_api.url, "--max-age-hours", "100000",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "privacy mode is on" in out
    assert "/setprivacy" in out


def test_a_missing_lake_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status("--lake", str(tmp_path / "nowhere")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no lake at" in err


# -- a deployed stack (moto) -----------------------------------------------------------------


ALARM = "tgpipe-test-WebhookDeliveryFailedAlarm-1A2B3C"
STACK_TEMPLATE = {
    "Parameters": {n.P_ALLOWED_CHAT_IDS: {"Type": "String"}},
    "Resources": {"DataBucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        n.O_DATA_BUCKET: {"Value": {"Ref": "DataBucket"}},
        n.O_DELIVERY_STREAM: {"Value": "tgpipe-test-stream"},
    },
}


@pytest.fixture
def stack(aws: None) -> str:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="tgpipe-test",
        TemplateBody=json.dumps(STACK_TEMPLATE),
        Parameters=[{"ParameterKey": n.P_ALLOWED_CHAT_IDS, "ParameterValue": str(GROUP_ID)}],
    )
    outputs = cloudformation.describe_stacks(StackName="tgpipe-test")["Stacks"][0]["Outputs"]
    bucket = next(o["OutputValue"] for o in outputs if o["OutputKey"] == n.O_DATA_BUCKET)
    # As CloudFormation names the stack's alarms (moto's CloudFormation cannot create them).
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=ALARM,
        Namespace="TelegramPipeline",
        MetricName="DeliveryFailed",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key=f"messages/dt={today}/tgpipe-1-x.parquet", Body=b"PAR1"
    )
    return "tgpipe-test"


def test_a_stack_with_fresh_data_and_quiet_alarms_is_healthy(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = status("--stack", stack, "--region", REGION)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 alarms, none firing" in out
    assert "records reach S3 within 0 s" in out
    assert f"kept: {GROUP_ID}" in out


def test_a_firing_alarm_fails_the_stack_status(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason="test"
    )
    assert status("--stack", stack, "--region", REGION) == 1
    assert f"in ALARM: {ALARM}" in capsys.readouterr().out


def test_a_missing_stack_is_one_clear_line(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert status("--stack", "nope", "--region", REGION) == 2
    assert "reading stack nope" in capsys.readouterr().err
