"""The webhook Lambda with a real boto3 Firehose client against moto."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions import constants as c
from functions.errors import SettingsError
from functions.webhook.handler import cold_start, lambda_handler, make_handler
from local.lambda_runtime import LambdaContext
from tests.helpers import GROUP_ID, compact_bytes
from tests.integration.conftest import REGION, SECRET
from tests.unit.test_webhook_logic import api_event

CONTEXT = LambdaContext(function_name="webhook")


def landed_records(s3: Any, bucket: str) -> list[bytes]:
    """Everything moto's Firehose delivered to S3, as records."""
    objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    body = b"".join(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in objects)
    return [line for line in body.split(b"\n") if line]


def call(body: bytes, **kwargs: Any) -> dict[str, Any]:
    return lambda_handler(api_event(body, secret=kwargs.pop("secret", SECRET), **kwargs), CONTEXT)


def test_accepted_update_lands_in_firehose_unchanged(webhook_env: dict[str, Any]) -> None:
    body = compact_bytes("message_text_entities")
    response = call(body)
    assert response["statusCode"] == 200
    assert response["body"] == ""
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == [body]


def test_ignored_and_rejected_updates_never_reach_firehose(webhook_env: dict[str, Any]) -> None:
    assert call(compact_bytes("message_other_chat"))["statusCode"] == 200
    assert call(compact_bytes("message_text"), secret="wrong")["statusCode"] == 401
    assert call(compact_bytes("message_text"), secret=None)["statusCode"] == 401
    assert call(b"{nope")["statusCode"] == 400
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == []


def test_firehose_refusing_for_the_whole_budget_gives_503(webhook_env: dict[str, Any]) -> None:
    client = boto3.client("firehose", region_name=REGION)
    stub = Stubber(client)
    for _ in range(100):
        stub.add_client_error("put_record", "ServiceUnavailableException", "Slow down.")
    webhook = make_handler(lambda: replace(cold_start(), firehose=client))
    with stub:
        response = webhook(api_event(compact_bytes("message_text"), secret=SECRET), CONTEXT)
    assert response["statusCode"] == 503
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == []


def test_missing_delivery_stream_gives_503_so_telegram_redelivers(
    webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(c.ENV_DELIVERY_STREAM_NAME, "no-such-stream")
    assert call(compact_bytes("message_text"))["statusCode"] == 503


def test_secret_from_secrets_manager(
    webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="webhook-secret", SecretString="from-secrets-manager_1"
    )["ARN"]
    monkeypatch.delenv(c.ENV_WEBHOOK_SECRET)
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET_ARN, arn)
    body = compact_bytes("message_text")
    assert call(body, secret="from-secrets-manager_1")["statusCode"] == 200
    assert call(body, secret=SECRET)["statusCode"] == 401


def test_missing_setting_fails_the_cold_start_by_name(
    webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(c.ENV_ALLOWED_CHAT_IDS)
    with pytest.raises(SettingsError, match=c.ENV_ALLOWED_CHAT_IDS):
        call(compact_bytes("message_text"))


def test_unusual_outcomes_are_metrics_and_routine_ones_are_left_to_aws(
    webhook_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # A refused request is a metric line; an accepted update is not (Firehose's free
    # IncomingRecords and API Gateway's Count already count it, and lines are billed).
    call(compact_bytes("message_text"), secret="wrong")
    call(compact_bytes("message_text"))
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [c.METRIC_REJECTED_SECRET in record for record in emitted] == [True]
    assert not any(c.METRIC_ACCEPTED in record for record in emitted)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000)
    | st.builds(
        lambda chat: json.dumps({"update_id": 1, "message": {"chat": {"id": chat}}}).encode(),
        st.integers() | st.just(GROUP_ID),
    ),
    base64_encoded=st.booleans(),
    method=st.sampled_from(["POST", "GET", "PUT"]),
    secret=st.sampled_from([SECRET, None, "x"]),
)
def test_any_request_gets_a_defined_status_and_never_raises(
    webhook_env: dict[str, Any], body: bytes, base64_encoded: bool, method: str, secret: str | None
) -> None:
    event = api_event(b"", secret=secret, method=method, base64_encoded=base64_encoded)
    event["body"] = (
        base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8", "replace")
    )
    response = lambda_handler(event, CONTEXT)
    assert response["statusCode"] in {200, 400, 401, 405, 413}
    assert response["body"] == ""
