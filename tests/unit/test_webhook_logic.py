"""The webhook's pure decisions: secret, method, size, body, chat allow-list."""

from __future__ import annotations

import base64
import hmac
from typing import Any

import pytest

from functions import constants as c
from functions.webhook import logic
from functions.webhook.logic import Outcome, WebhookRequest, decide, response, secret_matches
from tests.helpers import ALLOWED_CHAT_IDS, compact_bytes, event_names

SECRET = "s3cr3t_TOKEN-abc"


def api_event(
    body: bytes | str,
    *,
    secret: str | None = SECRET,
    header: str = "x-telegram-bot-api-secret-token",
    method: str = "POST",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[header] = secret
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return {
        "version": "2.0",
        "routeKey": "POST /webhook",
        "rawPath": "/webhook",
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": "/webhook"}},
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode("utf-8"),
        "isBase64Encoded": base64_encoded,
    }


def decide_event(event: dict[str, Any]) -> logic.Decision:
    return decide(WebhookRequest.from_event(event), ALLOWED_CHAT_IDS, SECRET)


def test_update_from_allowed_group_is_accepted_with_unchanged_bytes() -> None:
    body = compact_bytes("message_text_entities")
    decision = decide_event(api_event(body))
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.record == body + b"\n"


def test_base64_body_is_decoded_to_the_original_bytes() -> None:
    body = compact_bytes("message_photo_caption")
    decision = decide_event(api_event(body, base64_encoded=True))
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.record == body + b"\n"


@pytest.mark.parametrize(
    "name",
    ["message_other_chat", "message_private", "inline_query", "poll_answer", "business_message"],
)
def test_update_from_other_chat_or_without_chat_is_acknowledged_and_dropped(name: str) -> None:
    decision = decide_event(api_event(compact_bytes(name)))
    assert decision.outcome is Outcome.IGNORED
    assert decision.record is None
    assert response(decision.outcome)["statusCode"] == 200


@pytest.mark.parametrize(
    "name",
    [
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "message_reaction",
        "message_reaction_count",
        "callback_query",
        "chat_boost",
        "removed_chat_boost",
        "message_forum_topic",
        "message_new_chat_members",
    ],
)
def test_every_update_kind_with_an_allowed_chat_is_forwarded(name: str) -> None:
    assert decide_event(api_event(compact_bytes(name))).outcome is Outcome.ACCEPTED


def test_business_message_chat_is_found_when_allowed() -> None:
    decision = decide(
        WebhookRequest.from_event(api_event(compact_bytes("business_message"))),
        frozenset({123456789}),
        SECRET,
    )
    assert decision.outcome is Outcome.ACCEPTED


@pytest.mark.parametrize("name", event_names())
def test_every_fixture_gets_a_2xx(name: str) -> None:
    assert decide_event(api_event(compact_bytes(name))).outcome.status == 200


@pytest.mark.parametrize(
    ("secret", "header"),
    [
        (None, "x-telegram-bot-api-secret-token"),
        ("wrong", "x-telegram-bot-api-secret-token"),
        (SECRET[:-1], "x-telegram-bot-api-secret-token"),
        (SECRET + "x", "x-telegram-bot-api-secret-token"),
        ("", "x-telegram-bot-api-secret-token"),
        (SECRET, "x-telegram-bot-api-secret"),
        (SECRET, "authorization"),
    ],
)
def test_missing_or_wrong_secret_is_401(secret: str | None, header: str) -> None:
    decision = decide_event(api_event(compact_bytes("message_text"), secret=secret, header=header))
    assert decision.outcome is Outcome.REJECTED_SECRET
    assert decision.record is None
    assert response(decision.outcome) == {
        "statusCode": 401,
        "headers": {"content-type": "text/plain"},
        "body": "",
    }


@pytest.mark.parametrize(
    "header",
    [
        "X-Telegram-Bot-Api-Secret-Token",
        "x-telegram-bot-api-secret-token",
        "X-TELEGRAM-BOT-API-SECRET-TOKEN",
    ],
)
def test_secret_header_name_is_case_insensitive(header: str) -> None:
    decision = decide_event(api_event(compact_bytes("message_text"), header=header))
    assert decision.outcome is Outcome.ACCEPTED


def test_secret_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(logic.hmac, "compare_digest", spy)
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches("other", SECRET)
    assert len(calls) == 2


def test_secret_in_query_string_is_not_accepted() -> None:
    event = api_event(compact_bytes("message_text"), secret=None)
    event["rawQueryString"] = f"secret_token={SECRET}"
    event["queryStringParameters"] = {"secret_token": SECRET}
    assert decide_event(event).outcome is Outcome.REJECTED_SECRET


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_non_post_is_405_with_allow(method: str) -> None:
    decision = decide_event(api_event(compact_bytes("message_text"), method=method))
    assert decision.outcome is Outcome.METHOD_NOT_ALLOWED
    assert response(decision.outcome)["headers"]["allow"] == "POST"


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_body_over_one_mib_is_413(base64_encoded: bool) -> None:
    body = b'{"update_id":1,"pad":"' + b"a" * c.MAX_BODY_BYTES + b'"}'
    decision = decide_event(api_event(body, base64_encoded=base64_encoded))
    assert decision.outcome is Outcome.TOO_LARGE


def test_body_of_exactly_one_mib_is_not_413() -> None:
    prefix = b'{"update_id":1,"pad":"'
    body = prefix + b"a" * (c.MAX_BODY_BYTES - len(prefix) - 2) + b'"}'
    assert len(body) == c.MAX_BODY_BYTES
    assert decide_event(api_event(body)).outcome is Outcome.IGNORED


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"42",
        b"null",
        b'{"update_id": 1, "message": {"chat": {"id": 1}}',  # truncated
        b"[" * 100_000 + b"]" * 100_000,
        b'{"message": {"chat": {"id": -1001234567890}}}',  # no update_id
        b'{"update_id": "7", "message": {"chat": {"id": -1001234567890}}}',
        b'{"update_id": NaN}',
        b'{"update_id": 1, "x": Infinity}',
    ],
)
def test_undecodable_or_non_update_body_is_400(body: bytes) -> None:
    assert decide_event(api_event(body, base64_encoded=True)).outcome is Outcome.BAD_REQUEST


def test_invalid_base64_is_400() -> None:
    event = api_event(b"{}", base64_encoded=True)
    event["body"] = "%%%not base64%%%"
    assert decide_event(event).outcome is Outcome.BAD_REQUEST


def test_chat_id_beyond_int64_is_ignored_not_crashed() -> None:
    body = b'{"update_id": 5, "message": {"chat": {"id": 99999999999999999999999}}}'
    assert decide_event(api_event(body)).outcome is Outcome.IGNORED


def test_two_hundred_responses_have_an_empty_body() -> None:
    # A 2xx body with a "method" field would be executed by Telegram as a Bot API call.
    for outcome in (Outcome.ACCEPTED, Outcome.IGNORED):
        assert response(outcome)["body"] == ""


def test_event_without_headers_or_body_is_rejected_not_raised() -> None:
    assert (
        decide(WebhookRequest.from_event({}), ALLOWED_CHAT_IDS, SECRET).outcome
        is Outcome.REJECTED_SECRET
    )


def test_pretty_printed_body_is_forwarded_as_one_line_of_the_same_json() -> None:
    import json

    pretty = json.dumps(json.loads(compact_bytes("message_text_entities")), indent=2).encode()
    decision = decide_event(api_event(pretty + b"\r\n"))
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.record is not None
    assert decision.record.count(b"\n") == 1
    assert decision.record.endswith(b"\n")
    assert json.loads(decision.record) == json.loads(pretty)
