"""`tgpipe deploy`: the package, the artifacts bucket, the change set, the views.

moto runs what it supports (S3, change-set calls, Athena); it cannot create the
real template's resources (Firehose, API Gateway v2, Glue, ...), so the full-flow
test deploys a small stand-in template with the same parameters and outputs.
The stack-event and query-state paths moto cannot produce use botocore's Stubber.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from glue_schema.views import VIEW_NAMES, create_view_statement
from infra import names as n
from scripts import deploy
from scripts import package as packaging
from scripts.cli import CliError, main
from scripts.common import tgpipe_command

REGION = "eu-west-1"
STACK = "tgpipe-test"
ARTIFACTS = "my-artifacts"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: The real template's deploy-facing surface: its parameters and the outputs deploy reads.
STAND_IN_TEMPLATE = json.dumps(
    {
        "Parameters": {
            name: {"Type": "String", "Default": ""}
            for name in (n.P_CODE_BUCKET, n.P_CODE_KEY, n.P_ALLOWED_CHAT_IDS, n.P_ALARM_EMAIL)
        },
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            n.O_WEBHOOK_URL: {"Value": "https://abc.execute-api.eu-west-1.amazonaws.com/webhook"},
            n.O_DATABASE: {"Value": "telegram_pipeline"},
            n.O_WORKGROUP: {"Value": "primary"},
            n.O_SECRET_ARN: {"Value": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"},
        },
    }
)


# --- The package ------------------------------------------------------------


def test_package_holds_functions_and_glue_schema_only_in_name_order() -> None:
    package = packaging.build_package()
    with zipfile.ZipFile(io.BytesIO(package.body)) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert {name.split("/")[0] for name in names} == {"functions", "glue_schema"}
    assert "functions/webhook/handler.py" in names
    assert "glue_schema/tables.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert {info.date_time for info in infos} == {packaging.ZIP_EPOCH}


def _copy_tree(destination: Path) -> Path:
    for top in packaging.PACKAGE_ROOTS:
        shutil.copytree(packaging.PROJECT_ROOT / top, destination / top)
    return destination


def test_same_code_gives_the_same_bytes_whatever_the_mtimes_and_caches(tmp_path: Path) -> None:
    # GIVEN a copy of the code with other mtimes and a stray bytecode cache
    root = _copy_tree(tmp_path / "copy")
    for path in root.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    cache = root / "functions" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "telegram.cpython-312.pyc").write_bytes(b"\x00bytecode")
    # WHEN both are packaged THEN the bytes (and so the key) are identical
    assert packaging.build_package(root).body == packaging.build_package().body
    assert packaging.build_package(root).key == packaging.build_package().key


def test_changed_code_gives_another_key(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path / "copy")
    handler = root / "functions" / "webhook" / "handler.py"
    handler.write_text(handler.read_text() + "\n# changed\n")
    assert packaging.build_package(root).key != packaging.build_package().key
    assert packaging.build_package().key.startswith("functions/")


# --- The artifacts bucket ---------------------------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_missing_artifacts_bucket_is_created_private_encrypted_and_tls_only(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    assert deploy.ensure_artifacts_bucket(s3, "fresh-bucket", REGION) is True
    assert set(
        s3.get_public_access_block(Bucket="fresh-bucket")["PublicAccessBlockConfiguration"].values()
    ) == {True}
    (rule,) = s3.get_bucket_encryption(Bucket="fresh-bucket")["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_ownership_controls(Bucket="fresh-bucket")["OwnershipControls"][
        "Rules"
    ] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket="fresh-bucket")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert s3.get_bucket_location(Bucket="fresh-bucket")["LocationConstraint"] == REGION


def test_existing_artifacts_bucket_is_used_as_it_is(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION})
    assert deploy.ensure_artifacts_bucket(s3, ARTIFACTS, REGION) is False


def test_upload_puts_the_package_once_under_its_content_hash(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION})
    package = packaging.build_package()
    assert deploy.upload(s3, ARTIFACTS, package.key, package.body) is True
    assert deploy.upload(s3, ARTIFACTS, package.key, package.body) is False
    stored = s3.get_object(Bucket=ARTIFACTS, Key=package.key)["Body"].read()
    assert stored == package.body
    assert package.key == f"functions/{package.sha256}.zip"


# --- The whole command, against moto ----------------------------------------


@pytest.fixture
def deployable(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """An artifacts bucket, the stand-in template, no real waiting."""
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    monkeypatch.setattr(deploy, "template_json", lambda: STAND_IN_TEMPLATE)
    # moto leaves Outputs empty on stacks made by change set; a real stack has them.
    real_outputs = deploy.stack_outputs
    stand_in = {k: v["Value"] for k, v in json.loads(STAND_IN_TEMPLATE)["Outputs"].items()}
    monkeypatch.setattr(
        deploy, "stack_outputs", lambda cfn, stack: real_outputs(cfn, stack) or stand_in
    )
    monkeypatch.setattr(deploy.time, "sleep", lambda seconds: None)


def _deploy(*extra: str) -> int:
    return main(
        [
            "deploy",
            "--stack",
            STACK,
            "--region",
            REGION,
            "--artifacts-bucket",
            ARTIFACTS,
            *extra,
        ]
    )


def _parameters() -> dict[str, str]:
    (stack,) = boto3.client("cloudformation", region_name=REGION).describe_stacks(StackName=STACK)[
        "Stacks"
    ]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def test_first_deploy_creates_the_stack_by_change_set_and_says_what_next(
    deployable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _deploy("--chat-ids=-1001234567890,-1001111111111", "--alarm-email", "ops@example.com")

    out = capsys.readouterr().out
    assert code == 0
    package = packaging.lambda_package(fetch=False)
    assert f"package: {len(package.body):,} bytes" in out
    assert "  Add     Topic" in out  # the change set summary
    assert f"stack {STACK}: CREATE_COMPLETE" in out
    assert "webhook URL: https://abc.execute-api.eu-west-1.amazonaws.com/webhook" in out
    assert f"next: {tgpipe_command()} set-webhook --token-file PATH/TO/TOKEN --stack {STACK}" in out
    assert _parameters() == {
        n.P_CODE_BUCKET: ARTIFACTS,
        n.P_CODE_KEY: package.key,
        n.P_ALLOWED_CHAT_IDS: "-1001234567890,-1001111111111",
        n.P_ALARM_EMAIL: "ops@example.com",
    }
    s3 = boto3.client("s3", region_name=REGION)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=ARTIFACTS)["Contents"]}
    assert package.key in keys
    assert any(key.startswith("templates/") for key in keys)


def test_views_are_created_in_the_workgroup_after_the_stack(
    deployable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _deploy("--chat-ids=-1001234567890") == 0
    out = capsys.readouterr().out
    expected = list(VIEW_NAMES)
    assert f"views: {', '.join(expected) if expected else 'none to create'}" in out
    athena = boto3.client("athena", region_name=REGION)
    ids = athena.list_query_executions(WorkGroup="primary").get("QueryExecutionIds", [])
    statements = [
        athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids
    ]
    for name in expected:
        assert any(s.startswith(f"CREATE OR REPLACE VIEW {name} AS") for s in statements)


def test_redeploy_updates_and_keeps_the_alarm_email_when_not_given(
    deployable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _deploy("--chat-ids=-1001234567890", "--alarm-email", "ops@example.com") == 0
    assert _deploy("--chat-ids=-1001234567890,42") == 0
    out = capsys.readouterr().out
    assert "already there: s3://my-artifacts/functions/" in out
    assert _parameters()[n.P_ALLOWED_CHAT_IDS] == "-1001234567890,42"
    assert _parameters()[n.P_ALARM_EMAIL] == "ops@example.com"


def test_bad_chat_ids_stop_before_anything_is_uploaded(
    deployable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _deploy("--chat-ids", "not-a-chat") == 2
    assert "not-a-chat" in capsys.readouterr().err
    assert "Contents" not in boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=ARTIFACTS
    )


def test_a_stack_name_too_long_for_the_stream_names_is_refused_in_one_line(
    deployable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    longest = "t" * n.MAX_STACK_NAME_CHARS
    deploy.check_stack_name(longest)  # <stack>-member-events is exactly 64 characters
    code = main(
        [
            "deploy",
            "--stack",
            longest + "x",
            "--region",
            REGION,
            "--artifacts-bucket",
            ARTIFACTS,
            "--chat-ids=-1001234567890",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert f"at most {n.MAX_STACK_NAME_CHARS}" in err
    assert "<stack>-member-events" in err
    assert "Contents" not in boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=ARTIFACTS
    )


def test_unknown_extra_parameter_is_refused(deployable: None) -> None:
    assert _deploy("--chat-ids=-1", "--parameter", "Nope=1") == 2
    with pytest.raises(CliError, match="BufferIntervalSeconds"):
        deploy._extra_parameters(["CodeKey=x"])
    assert deploy._extra_parameters(["BufferIntervalSeconds=60"]) == {n.P_BUFFER_SECONDS: "60"}


# --- Stack events and change-set states moto does not produce (Stubber) -----


def _event(event_id: str, logical_id: str, status: str, reason: str = "") -> dict[str, Any]:
    event = {
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        "EventId": event_id,
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::KinesisFirehose::DeliveryStream"
        if logical_id == n.R_DELIVERY_STREAM
        else "AWS::CloudFormation::Stack",
        "Timestamp": datetime(2024, 5, 1, 12, 0, int(event_id), tzinfo=UTC),
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


def _stack(status: str) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "CreationTime": datetime(2024, 5, 1, tzinfo=UTC),
                "StackStatus": status,
            }
        ]
    }


def test_rollback_names_the_resource_that_failed_and_why() -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    failure = "Role is not authorized to perform: glue:GetTable"
    events = [
        _event("1", STACK, "UPDATE_IN_PROGRESS"),
        _event("2", n.R_DELIVERY_STREAM, "UPDATE_FAILED", failure),
        _event("3", "WebhookFunction", "UPDATE_FAILED", "Resource update cancelled"),
        _event("4", STACK, "UPDATE_ROLLBACK_COMPLETE"),
    ]
    printed: list[str] = []
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": events[:0]})
        stub.add_response("execute_change_set", {})
        stub.add_response("describe_stack_events", {"StackEvents": list(reversed(events))})
        stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"))
        with pytest.raises(CliError) as error:
            deploy.execute_and_follow(cloudformation, STACK, "cs", lambda s: None, printed.append)
    assert str(error.value) == (
        f"stack {STACK} ended UPDATE_ROLLBACK_COMPLETE: "
        f"{n.R_DELIVERY_STREAM} (AWS::KinesisFirehose::DeliveryStream): {failure}"
    )
    assert error.value.exit_code == 1
    assert len(printed) == 4  # progress: every new event, oldest first
    assert n.R_DELIVERY_STREAM in printed[1]


def test_progress_shows_only_this_deployments_events_until_complete() -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    old = [_event("1", STACK, "CREATE_COMPLETE")]
    first = [*old, _event("2", STACK, "UPDATE_IN_PROGRESS")]
    second = [*first, _event("3", STACK, "UPDATE_COMPLETE")]
    printed: list[str] = []
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": old})
        stub.add_response("execute_change_set", {})
        stub.add_response("describe_stack_events", {"StackEvents": first})
        stub.add_response("describe_stacks", _stack("UPDATE_IN_PROGRESS"))
        stub.add_response("describe_stack_events", {"StackEvents": second})
        stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"))
        status = deploy.execute_and_follow(
            cloudformation, STACK, "cs", lambda s: None, printed.append
        )
    assert status == "UPDATE_COMPLETE"
    assert [line.split()[1] for line in printed] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]


def test_change_set_without_changes_is_deleted_and_reported_as_none() -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with Stubber(cloudformation) as stub:
        stub.add_response(
            "describe_change_set",
            {
                "Status": "FAILED",
                "StatusReason": "The submitted information didn't contain changes.",
            },
        )
        stub.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": "cs"})
        assert deploy.wait_for_change_set(cloudformation, STACK, "cs", lambda s: None) is None


def test_change_set_that_fails_for_another_reason_says_why() -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_change_set", {"Status": "CREATE_IN_PROGRESS"})
        stub.add_response(
            "describe_change_set", {"Status": "FAILED", "StatusReason": "Template format error"}
        )
        with pytest.raises(CliError, match="change set failed: Template format error"):
            deploy.wait_for_change_set(cloudformation, STACK, "cs", lambda s: None)


def test_change_summary_marks_replacements() -> None:
    lines = deploy.describe_changes(
        [
            {
                "ResourceChange": {
                    "Action": "Modify",
                    "LogicalResourceId": "WebhookFunction",
                    "ResourceType": "AWS::Lambda::Function",
                    "Replacement": "False",
                }
            },
            {
                "ResourceChange": {
                    "Action": "Modify",
                    "LogicalResourceId": "MessagesTable",
                    "ResourceType": "AWS::Glue::Table",
                    "Replacement": "True",
                }
            },
        ]
    )
    assert lines[0].split() == ["Modify", "WebhookFunction", "AWS::Lambda::Function"]
    assert lines[1].endswith("(replacement)")


# --- Views ------------------------------------------------------------------


def test_failed_view_creation_reports_athenas_reason() -> None:
    athena = boto3.client("athena", region_name=REGION)
    first = VIEW_NAMES[0]
    with Stubber(athena) as stub:
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q1"},
            {
                "QueryString": create_view_statement(first),
                "QueryExecutionContext": {"Database": "db"},
                "WorkGroup": "wg",
            },
        )
        stub.add_response(
            "get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}}
        )
        stub.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "Status": {
                        "State": "FAILED",
                        "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
                    }
                }
            },
        )
        with pytest.raises(CliError, match=f"creating view {first}: Athena .*COLUMN_NOT_FOUND"):
            deploy.create_views(athena, "db", "wg", lambda s: None)


def test_a_view_query_deploy_gives_up_on_is_stopped() -> None:
    athena = boto3.client("athena", region_name=REGION)
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
        stub.add_response(
            "get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}}
        )
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q1"})
        with pytest.raises(CliError, match="stopped it"):
            deploy.create_views(athena, "db", "wg", lambda s: None, timeout_seconds=0)
        stub.assert_no_pending_responses()
