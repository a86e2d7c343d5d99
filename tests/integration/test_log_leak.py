"""No secret, message text or name ever reaches a log, at INFO or at DEBUG.

Every path runs with canary values in the secret, the text, the names and the
pseudonym key; everything written to stdout/stderr (Powertools logs JSON to
stdout) and every stdlib log record (botocore's included) is captured and
searched for them. Each test also checks that its path really ran and logged,
so an empty capture cannot pass for a clean one.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions import constants as c
from functions.archiver import handler as archiver
from functions.errors import ArchiveUnavailable, SettingsError
from functions.settings import ArchiverSettings, WebhookSettings
from functions.webhook import handler as webhook
from local.http_api import build_event
from local.lambda_runtime import LambdaContext
from local.stack import LocalStack, StackConfig
from scripts.cli import main as tgpipe
from tests.events.hostile.make_corpus import FOREIGN_ID, GROUP_ID, full_update
from tests.integration.conftest import REGION

SECRET = "CANARYsecret-7f3a9d2e1b6c4058aa"
PSEUDONYM_KEY = "CANARYpseudonymkey-55e1c0ffee0123456789"
TEXT = "CANARYtext ola mundo segredo"
FIRST_NAME = "Canaryfirstname"
LAST_NAME = "Canarylastname"
USERNAME = "canary_username_77"
TITLE = "Canary Group Title"
PLAIN_CANARIES = [SECRET, PSEUDONYM_KEY, TEXT, "CANARYtext", FIRST_NAME, LAST_NAME, USERNAME, TITLE]


def base64_forms(canary: str) -> list[str]:
    """The canary as it appears inside any base64 text, at each of the 3 byte alignments."""
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + canary.encode()).decode()
        # The first group mixes in preceding bytes, the last one following bytes.
        forms.append(encoded[4 if shift else 0 : -4])
    return forms


#: Plain, and base64 as a Firehose record travels (botocore logs request bodies at DEBUG).
CANARIES = [*PLAIN_CANARIES, *(form for canary in PLAIN_CANARIES for form in base64_forms(canary))]
LEVELS = ["INFO", "DEBUG"]


def update(chat_id: int = GROUP_ID, update_id: int = 900001) -> bytes:
    body = full_update(chat_id)
    body["update_id"] = update_id
    message = body["message"]
    message["text"] = TEXT
    message["entities"] = []
    message["from"].update(first_name=FIRST_NAME, last_name=LAST_NAME, username=USERNAME)
    message["chat"]["title"] = TITLE
    message["new_chat_members"][0].update(first_name=FIRST_NAME, username=USERNAME)
    return json.dumps(body, ensure_ascii=False).encode()


def event(body: bytes, secret: str | None = SECRET, source_ip: str = "149.154.167.1") -> Any:
    headers = [("Content-Type", "application/json")]
    if secret is not None:
        headers.append((c.SECRET_HEADER, secret))
    return build_event("POST", c.WEBHOOK_PATH, headers, body, source_ip)


class Capture:
    """Everything a path wrote: the process's stdout/stderr and every log record."""

    def __init__(self, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture):
        self.capfd = capfd
        self.caplog = caplog
        self.text = ""

    def discard(self) -> None:
        """Forget what the test's own setup wrote (e.g. botocore logging a CreateSecret body)."""
        self.capfd.readouterr()
        self.caplog.clear()
        self.text = ""

    def collect(self) -> str:
        out, err = self.capfd.readouterr()
        records = "\n".join(
            f"{record.name} {record.getMessage()} {record.__dict__}"
            for record in self.caplog.records
        )
        self.caplog.clear()
        self.text += "\n".join([out, err, records])
        return self.text

    def assert_clean(self) -> None:
        text = self.collect()
        leaked = [canary for canary in CANARIES if canary in text]
        assert leaked == [], f"leaked into logs: {leaked}"


@pytest.fixture(params=LEVELS)
def capture(
    request: pytest.FixtureRequest,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Capture]:
    """Logs at the parametrised level everywhere: Powertools, the project, the root logger."""
    level: str = request.param
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", level)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    caplog.set_level(level)
    previous = [(logger, logger.log_level) for logger in (webhook.logger, archiver.logger)]
    for logger, _ in previous:
        logger.setLevel(level)
    yield Capture(capfd, caplog)
    for logger, old_level in previous:
        logger.setLevel(old_level)


@pytest.fixture
def webhook_secret_env(monkeypatch: pytest.MonkeyPatch, webhook_env: dict[str, Any]) -> Any:
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET, SECRET)
    webhook.settings.cache_clear()
    return webhook_env


WEBHOOK = LambdaContext(function_name="webhook")
ARCHIVER = LambdaContext(function_name="archiver")


def test_webhook_paths_log_ids_and_outcomes_only(
    capture: Capture, webhook_secret_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = [
        webhook.lambda_handler(event(update()), WEBHOOK)["statusCode"],  # accepted
        webhook.lambda_handler(event(update(FOREIGN_ID)), WEBHOOK)["statusCode"],  # ignored
        webhook.lambda_handler(event(update(), secret=SECRET[:-1]), WEBHOOK)["statusCode"],
        webhook.lambda_handler(event(update()[:-5]), WEBHOOK)["statusCode"],  # bad body
        webhook.lambda_handler(event(update() + b" " * c.MAX_BODY_BYTES), WEBHOOK)["statusCode"],
    ]
    monkeypatch.setenv(c.ENV_RESTRICT_SOURCE_IPS, "true")
    webhook.settings.cache_clear()
    statuses.append(
        webhook.lambda_handler(event(update(), source_ip="10.0.0.1"), WEBHOOK)["statusCode"]
    )
    assert statuses == [200, 200, 401, 400, 413, 403]
    text = capture.collect()
    if webhook.logger.log_level <= logging.DEBUG:
        # Routine outcomes (accepted, ignored) are DEBUG lines, with their ids.
        assert text.count("update handled") >= 6  # the paths ran, and logged
        assert "900001" in text  # ids are logged: the test would see a leak
    else:
        assert text.count("update handled") >= 4  # the refused requests, at INFO
    capture.assert_clean()


def test_delivery_failure_logs_no_content(capture: Capture, webhook_secret_env: Any) -> None:
    client = boto3.client("firehose", region_name=REGION)
    stub = Stubber(client)
    for _ in range(50):
        stub.add_client_error("put_record", "ServiceUnavailableException", "Slow down.")
    handler = webhook.make_handler(lambda: replace(webhook.cold_start(), firehose=client))
    with stub:
        assert handler(event(update()), WEBHOOK)["statusCode"] == 503
    assert "delivery failed" in capture.collect()
    capture.assert_clean()


def test_secret_fetched_from_secrets_manager_is_not_logged(
    capture: Capture, webhook_secret_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="webhook-secret", SecretString=SECRET
    )["ARN"]
    monkeypatch.delenv(c.ENV_WEBHOOK_SECRET)
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET_ARN, arn)
    webhook.settings.cache_clear()
    capture.discard()
    assert webhook.lambda_handler(event(update()), WEBHOOK)["statusCode"] == 200
    capture.assert_clean()


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


ARCHIVER_BATCH = [
    update(),  # Ok
    json.dumps(
        {"update_id": 5, "chat_member": {"chat": {"id": GROUP_ID, "title": TITLE}}}
    ).encode(),
    TEXT.encode() + b" not json",  # ProcessingFailed
]


@pytest.mark.parametrize("pseudonymise", [False, True])
def test_archiver_paths_log_counts_only(
    capture: Capture, archiver_env: Any, monkeypatch: pytest.MonkeyPatch, pseudonymise: bool
) -> None:
    if pseudonymise:
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="pseudonym-key", SecretString=PSEUDONYM_KEY
        )["ARN"]
        monkeypatch.setenv(c.ENV_PSEUDONYMIZE_USERS, "true")
        monkeypatch.setenv(c.ENV_PSEUDONYM_KEY_ARN, arn)
    capture.discard()
    response = archiver.lambda_handler(firehose_event(ARCHIVER_BATCH), ARCHIVER)
    assert [r["result"] for r in response["records"]] == ["Ok", "Dropped", "ProcessingFailed"]
    assert "batch archived" in capture.collect()
    capture.assert_clean()


def test_archive_failure_logs_no_content(capture: Capture, archiver_env: Any) -> None:
    client = boto3.client("s3", region_name=REGION)
    stub = Stubber(client)
    stub.add_client_error("put_object", "SlowDown", "Please reduce your request rate.", 503)
    handler = archiver.make_handler(lambda: replace(archiver.cold_start(), s3=client))
    with stub, pytest.raises(ArchiveUnavailable) as error:
        handler(firehose_event(ARCHIVER_BATCH), ARCHIVER)
    # What the Lambda runtime would print for the failed invocation.
    logging.getLogger("lambda-runtime").error(
        "".join(traceback.format_exception(error.value)), exc_info=error.value
    )
    assert "archive write" in capture.collect()
    capture.assert_clean()


@pytest.mark.parametrize(
    "build",
    [
        lambda: WebhookSettings.from_env(
            {c.ENV_ALLOWED_CHAT_IDS: "", c.ENV_WEBHOOK_SECRET: SECRET}
        ),
        lambda: WebhookSettings.from_env(
            {
                c.ENV_ALLOWED_CHAT_IDS: "1",
                c.ENV_DELIVERY_STREAM_NAME: "s",
                c.ENV_WEBHOOK_SECRET: SECRET,
                c.ENV_DELIVERY_BUDGET_SECONDS: "99",
            }
        ),
        lambda: WebhookSettings.from_env(
            {
                c.ENV_ALLOWED_CHAT_IDS: "1",
                c.ENV_DELIVERY_STREAM_NAME: "s",
                c.ENV_WEBHOOK_SECRET_ARN: SECRET,
            }
        ),
        lambda: ArchiverSettings.from_env(
            {
                c.ENV_RAW_BUCKET: "b",
                c.ENV_PSEUDONYMIZE_USERS: "true",
                c.ENV_PSEUDONYM_KEY_ARN: PSEUDONYM_KEY,
            }
        ),
        lambda: ArchiverSettings.from_env(
            {
                c.ENV_RAW_BUCKET: "b",
                c.ENV_PSEUDONYMIZE_USERS: "true",
                c.ENV_PSEUDONYM_KEY: PSEUDONYM_KEY[:20],
            }
        ),
    ],
)
def test_settings_errors_name_the_variable_never_its_value(
    capture: Capture, build: Callable[[], Any]
) -> None:
    with pytest.raises(SettingsError) as error:
        build()
    logging.getLogger("lambda-runtime").error(
        "".join(traceback.format_exception(error.value)), exc_info=error.value
    )
    assert error.value.variable in capture.collect()
    capture.assert_clean()


def test_local_stack_logs_nothing_sensitive(capture: Capture, tmp_path: Path) -> None:
    level = logging.getLevelName(logging.getLogger().level)
    config = StackConfig(tmp_path / "lake", frozenset({GROUP_ID}), secret=SECRET, log_level=level)
    with LocalStack(config) as stack:
        assert stack.handle(update()) == 200
        assert stack.handle(update(FOREIGN_ID)) == 200
        assert stack.handle(TEXT.encode()) == 400
        stack.flush()
        assert stack.stats().rows_written == 1
    capture.assert_clean()


def test_cli_ingest_prints_counts_and_lines_not_content(
    capture: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated_secret = "generated-by-the-stack_0123456789abcdef"
    monkeypatch.setattr("local.stack.new_secret", lambda: generated_secret)
    source = tmp_path / "updates.ndjson"
    source.write_bytes(b"\n".join([update(), update(FOREIGN_ID, 900002), TEXT.encode()]) + b"\n")
    code = tgpipe(
        ["ingest", str(source), "--lake", str(tmp_path / "lake"), "--chat-ids", str(GROUP_ID)]
    )
    assert code == 1  # one line refused
    text = capture.collect()
    assert "accepted" in text
    assert f"{source}:3" in text
    assert generated_secret not in text
    capture.assert_clean()
