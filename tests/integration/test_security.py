"""Forged requests never reach a delivery stream; the optional hardening works end to end.

Each test ends with a genuine request that does get through, so a test whose
stream could never receive anything cannot pass by accident.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions import constants as c
from functions.archiver.handler import lambda_handler as archiver_handler
from functions.privacy import pseudonym
from functions.webhook.handler import lambda_handler as webhook_handler
from local.http_api import build_event
from local.lambda_runtime import LambdaContext
from local.stack import LocalStack, StackConfig
from tests.events.hostile.make_corpus import GROUP_ID, full_update
from tests.integration.conftest import RAW_BUCKET, REGION
from tests.integration.test_webhook_handler import landed_records

SECRET = "forge-proof_secret-0123456789abcdefXYZ"


def _sent_by_a_person() -> dict[str, Any]:
    # full_update() also names a sender_chat; a message sent as a chat names no person.
    update = full_update()
    del update["message"]["sender_chat"]
    return update


UPDATE = json.dumps(_sent_by_a_person()).encode()
WEBHOOK = LambdaContext(function_name="webhook")
ARCHIVER = LambdaContext(function_name="archiver")

#: (description, extra headers, path with query) of requests that must all be refused.
FORGED: list[tuple[str, list[tuple[str, str]], str]] = [
    ("no secret", [], c.WEBHOOK_PATH),
    ("wrong secret, same length", [(c.SECRET_HEADER, "x" * len(SECRET))], c.WEBHOOK_PATH),
    ("shorter", [(c.SECRET_HEADER, SECRET[:-1])], c.WEBHOOK_PATH),
    ("longer", [(c.SECRET_HEADER, SECRET + "0")], c.WEBHOOK_PATH),
    ("empty", [(c.SECRET_HEADER, "")], c.WEBHOOK_PATH),
    ("other case", [(c.SECRET_HEADER, SECRET.swapcase())], c.WEBHOOK_PATH),
    ("padded", [(c.SECRET_HEADER, f" {SECRET}")], c.WEBHOOK_PATH),
    ("right and wrong", [(c.SECRET_HEADER, SECRET), (c.SECRET_HEADER, "x")], c.WEBHOOK_PATH),
    ("in Authorization", [("Authorization", f"Bearer {SECRET}")], c.WEBHOOK_PATH),
    ("in a near header", [("X-Telegram-Bot-Api-Secret", SECRET)], c.WEBHOOK_PATH),
    ("in a cookie", [("Cookie", f"{c.SECRET_HEADER}={SECRET}")], c.WEBHOOK_PATH),
    ("in the query", [], f"{c.WEBHOOK_PATH}?secret_token={SECRET}"),
    ("header name in the query", [], f"{c.WEBHOOK_PATH}?{c.SECRET_HEADER}={SECRET}"),
]


def forged_event(headers: list[tuple[str, str]], target: str, body: bytes = UPDATE) -> Any:
    return build_event(
        "POST", target, [("Content-Type", "application/json"), *headers], body, "149.154.167.1"
    )


def genuine_event(source_ip: str = "149.154.167.1") -> Any:
    headers = [("Content-Type", "application/json"), (c.SECRET_HEADER, SECRET)]
    return build_event("POST", c.WEBHOOK_PATH, headers, UPDATE, source_ip)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A local stack with a real delivery stream that flushes only when asked."""
    config = StackConfig(
        tmp_path / "lake", frozenset({GROUP_ID}), secret=SECRET, buffer_seconds=3600
    )
    local = LocalStack(config)
    yield local
    local.close()


# --------------------------------------------------------------- forged requests


@pytest.mark.parametrize(("name", "headers", "target"), FORGED, ids=[f[0] for f in FORGED])
def test_forged_request_is_401_and_never_reaches_the_local_stream(
    stack: LocalStack, name: str, headers: list[tuple[str, str]], target: str
) -> None:
    response = stack.handler(forged_event(headers, target), WEBHOOK)
    assert response["statusCode"] == 401, name
    assert stack.stats().records_put == 0
    assert stack.stream.buffered_records == 0
    assert stack.handler(genuine_event(), WEBHOOK)["statusCode"] == 200
    assert stack.stats().records_put == 1


def test_forged_requests_over_real_http_never_reach_the_stream(stack: LocalStack) -> None:
    api = stack.serve_http()
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)

    def post(target: str, headers: dict[str, str]) -> int:
        connection.request("POST", target, body=UPDATE, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status

    for name, headers, target in FORGED:
        if len({key.lower() for key, _ in headers}) < len(headers):
            continue  # http.client sends one value per header name given as a dict
        if name == "padded":
            continue  # over HTTP, whitespace around a header value is not part of it (RFC 9110)
        assert post(target, dict(headers)) == 401, name
    stack.flush()
    assert stack.stats().records_put == 0
    assert not list((stack.config.lake / "raw").rglob("*.gz"))
    assert post(c.WEBHOOK_PATH, {c.SECRET_HEADER: SECRET}) == 200
    assert stack.stats().records_put == 1
    connection.close()


def test_forged_requests_never_reach_a_moto_firehose(
    webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET, SECRET)
    for name, headers, target in FORGED:
        assert webhook_handler(forged_event(headers, target), WEBHOOK)["statusCode"] == 401, name
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == []
    assert webhook_handler(genuine_event(), WEBHOOK)["statusCode"] == 200
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == [UPDATE]


# --------------------------------------------------------------- source allow-list


def test_source_allow_list_refuses_other_sources_when_on(
    webhook_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET, SECRET)
    assert webhook_handler(genuine_event("203.0.113.9"), WEBHOOK)["statusCode"] == 200  # off
    monkeypatch.setenv(c.ENV_RESTRICT_SOURCE_IPS, "true")
    from functions.webhook import handler

    handler.settings.cache_clear()
    spoofed = genuine_event("203.0.113.9")
    spoofed["headers"]["x-forwarded-for"] = "149.154.167.1"
    assert webhook_handler(spoofed, WEBHOOK)["statusCode"] == 403
    assert webhook_handler(genuine_event("127.0.0.1"), WEBHOOK)["statusCode"] == 403
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == [UPDATE]
    assert webhook_handler(genuine_event("91.108.4.10"), WEBHOOK)["statusCode"] == 200
    assert landed_records(webhook_env["s3"], webhook_env["bucket"]) == [UPDATE, UPDATE]


# --------------------------------------------------------------- pseudonymisation


def firehose_event(bodies: list[bytes]) -> dict[str, Any]:
    return {
        "invocationId": "inv",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        "region": REGION,
        "records": [
            {
                "recordId": f"r{i}",
                "approximateArrivalTimestamp": 1767254600123,
                "data": base64.b64encode(body).decode(),
            }
            for i, body in enumerate(bodies)
        ],
    }


def rows_and_archive(s3: Any) -> tuple[dict[str, Any], bytes]:
    response = archiver_handler(firehose_event([UPDATE]), ARCHIVER)
    (record,) = response["records"]
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=RAW_BUCKET)["Contents"]]
    archived = gzip.decompress(s3.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read())
    return json.loads(base64.b64decode(record["data"])), archived


def test_rows_are_pseudonymised_and_the_archive_is_not(
    archiver_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "pseudonym-key-for-tests-0123456789abcdef"
    monkeypatch.setenv(c.ENV_PSEUDONYMIZE_USERS, "true")
    monkeypatch.setenv(c.ENV_PSEUDONYM_KEY, key)
    row, archived = rows_and_archive(archiver_env)
    assert row["user_id"] == pseudonym(4242, key.encode())
    assert row["new_chat_member_ids"] == [pseudonym(99, key.encode())]
    assert row.get("user_first_name") is None
    assert row.get("user_username") is None
    assert row["text"] == "oi #tag @ana https://x.io"
    assert archived == UPDATE + b"\n"  # the source of truth keeps the real ids and names


def test_pseudonym_key_from_secrets_manager(
    archiver_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "from-secrets-manager-0123456789abcdefghij"
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="pseudonym-key", SecretString=key
    )["ARN"]
    monkeypatch.setenv(c.ENV_PSEUDONYMIZE_USERS, "true")
    monkeypatch.setenv(c.ENV_PSEUDONYM_KEY_ARN, arn)
    row, _ = rows_and_archive(archiver_env)
    assert row["user_id"] == pseudonym(4242, key.encode())


def test_rows_keep_real_ids_when_pseudonymising_is_off(archiver_env: Any) -> None:
    row, _ = rows_and_archive(archiver_env)
    assert row["user_id"] == 4242
    assert row["user_first_name"] == "Ana"


def test_the_local_stack_pseudonymises_the_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    key = "local-stack-pseudonym-key-0123456789abcd"
    monkeypatch.setenv(c.ENV_PSEUDONYMIZE_USERS, "true")
    monkeypatch.setenv(c.ENV_PSEUDONYM_KEY, key)
    config = StackConfig(tmp_path / "lake", frozenset({GROUP_ID}), secret=SECRET)
    with LocalStack(config) as stack:
        assert stack.handle(UPDATE) == 200
        stack.flush()
    (path,) = (tmp_path / "lake" / "data" / "messages").rglob("*.parquet")
    rows = pq.read_table(path).to_pylist()
    assert [(r["user_id"], r["user_first_name"]) for r in rows] == [
        (pseudonym(4242, key.encode()), None)
    ]
    # AND the join and the removal it announces, in member_events, name the members and
    # who acted by pseudonym only
    (path,) = (tmp_path / "lake" / "data" / "member_events").rglob("*.parquet")
    members = pq.read_table(path).to_pylist()
    hidden = key.encode()
    assert sorted(
        (r["event"], r["user_id"], r["actor_user_id"], r["user_first_name"]) for r in members
    ) == [
        ("joined", pseudonym(99, hidden), pseudonym(4242, hidden), None),
        ("removed", pseudonym(98, hidden), pseudonym(4242, hidden), None),
    ]
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "lake").rglob("*.gz"))
    assert b'"first_name": "Ana"' in raw
