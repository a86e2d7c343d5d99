"""`tgpipe set-webhook` / `webhook-info` against a fake Bot API on loopback and moto."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.telegram import KEPT_UPDATE_KINDS
from infra import names as n
from scripts.cli import main

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "s3cr3tTokenFromSecretsManager_with-allowed-chars"
WEBHOOK_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook"
REGION = "eu-west-1"
STACK = "tgpipe-test"


@dataclass
class FakeBotApi:
    """Records each call; answers from `answers` (method → HTTP status, JSON body)."""

    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    fake = FakeBotApi()
    fake.answers = {
        "setWebhook": (200, {"ok": True, "result": True, "description": "Webhook was set"}),
        "getMe": (200, {"ok": True, "result": {"id": 123456, "can_read_all_group_messages": True}}),
        "getWebhookInfo": (
            200,
            {
                "ok": True,
                "result": {
                    "url": WEBHOOK_URL,
                    "has_custom_certificate": False,
                    "pending_update_count": 3,
                    "max_connections": 40,
                    "last_error_date": 1700000000,
                    "last_error_message": "Wrong response from the webhook: 503 Service Unavailable",
                },
            },
        ),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.calls.append((self.path, json.loads(body or b"{}")))
            method = self.path.rsplit("/", 1)[-1]
            status, payload = fake.answers.get(
                method, (404, {"ok": False, "error_code": 404, "description": "Not Found"})
            )
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # The request line holds the token; keep it out of test output.

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stack() -> Iterator[None]:
    """A stack with the outputs set-webhook reads, and the secret they point at."""
    with mock_aws():
        secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="webhook-secret", SecretString=SECRET
        )["ARN"]
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                n.O_WEBHOOK_URL: {"Value": WEBHOOK_URL},
                n.O_SECRET_ARN: {"Value": secret_arn},
            },
        }
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName=STACK, TemplateBody=json.dumps(template)
        )
        yield


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


def _set_webhook(bot_api: FakeBotApi, *extra: str) -> int:
    return main(
        [
            "set-webhook",
            "--stack",
            STACK,
            "--region",
            REGION,
            "--api-base",
            bot_api.url,
            *extra,
        ]
    )


def test_set_webhook_registers_the_stack_url_and_secret_with_the_kept_kinds(
    stack: None, bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _set_webhook(bot_api, "--token-file", str(token_file), "--max-connections", "60")

    assert code == 0
    (set_path, set_body), (info_path, _), (me_path, _) = bot_api.calls
    assert set_path == f"/bot{TOKEN}/setWebhook"
    assert info_path == f"/bot{TOKEN}/getWebhookInfo"
    assert me_path == f"/bot{TOKEN}/getMe"
    assert set_body == {
        "url": WEBHOOK_URL,
        "secret_token": SECRET,
        "allowed_updates": list(KEPT_UPDATE_KINDS),
        "max_connections": 60,
        "drop_pending_updates": False,
    }
    out = capsys.readouterr()
    assert f"url:                  {WEBHOOK_URL}" in out.out
    assert "pending_update_count: 3" in out.out
    assert "2023-11-14 22:13:20 UTC: Wrong response from the webhook: 503" in out.out
    assert TOKEN not in out.out + out.err
    assert SECRET not in out.out + out.err


def test_token_from_the_environment_works_the_same(
    stack: None,
    bot_api: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MY_BOT_TOKEN", TOKEN)
    assert _set_webhook(bot_api, "--token-env", "MY_BOT_TOKEN") == 0
    assert bot_api.calls[0][0] == f"/bot{TOKEN}/setWebhook"
    assert TOKEN not in "".join(capsys.readouterr())


def test_refused_token_is_reported_masked_and_exits_2(
    stack: None, bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_api.answers["setWebhook"] = (
        401,
        {"ok": False, "error_code": 401, "description": f"Unauthorized bot{TOKEN}"},
    )
    code = _set_webhook(bot_api, "--token-file", str(token_file))
    out = capsys.readouterr()
    assert code == 2
    assert "setWebhook failed: HTTP 401 Unauthorized bot123456:***" in out.err
    assert TOKEN not in out.out + out.err
    assert len(out.err.strip().splitlines()) == 1  # one line, no traceback


def test_unreachable_bot_api_names_the_server_not_the_token(
    stack: None, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A port nothing listens on: bind one, note it, close it.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main(
        [
            "set-webhook",
            "--token-file",
            str(token_file),
            "--stack",
            STACK,
            "--region",
            REGION,
            "--api-base",
            f"http://127.0.0.1:{port}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot reach the Bot API at http://127.0.0.1:{port}" in err
    assert TOKEN not in err


def test_missing_stack_is_one_clear_line(
    bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        code = _set_webhook(bot_api, "--token-file", str(token_file))
    err = capsys.readouterr().err
    assert code == 2
    assert "reading stack tgpipe-test" in err
    assert "does not exist" in err
    assert bot_api.calls == []


def test_file_without_a_token_is_refused_without_echoing_it(
    bot_api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token"
    path.write_text("not-a-token-but-maybe-a-password\n")
    code = _set_webhook(bot_api, "--token-file", str(path))
    err = capsys.readouterr().err
    assert code == 2
    assert "does not hold a bot token" in err
    assert "maybe-a-password" not in err
    assert bot_api.calls == []


def test_token_is_not_accepted_on_the_command_line(
    bot_api: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _set_webhook(bot_api, "--token", TOKEN)
    assert exit_info.value.code == 2
    assert bot_api.calls == []


def test_webhook_info_prints_what_telegram_reports(
    bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_api.answers["getWebhookInfo"] = (
        200,
        {"ok": True, "result": {"url": "", "pending_update_count": 0}},
    )
    code = main(["webhook-info", "--token-file", str(token_file), "--api-base", bot_api.url])
    out = capsys.readouterr().out
    assert code == 0
    assert "url:                  (none)" in out
    assert "last_error:           none" in out
    assert [path for path, _ in bot_api.calls] == [f"/bot{TOKEN}/getWebhookInfo"]


def test_delete_webhook_keeps_pending_updates(
    bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_api.answers["deleteWebhook"] = (200, {"ok": True, "result": True})
    code = main(["delete-webhook", "--token-file", str(token_file), "--api-base", bot_api.url])
    assert code == 0
    assert bot_api.calls == [(f"/bot{TOKEN}/deleteWebhook", {"drop_pending_updates": False})]
    assert TOKEN not in "".join(capsys.readouterr())


def test_set_webhook_warns_when_privacy_mode_hides_group_messages(
    stack: None, bot_api: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_api.answers["getMe"] = (
        200,
        {"ok": True, "result": {"id": 123456, "can_read_all_group_messages": False}},
    )
    assert _set_webhook(bot_api, "--token-file", str(token_file)) == 0
    err = capsys.readouterr().err
    assert "privacy mode is on" in err
    assert "/setprivacy" in err
