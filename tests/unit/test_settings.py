"""Settings are checked at cold start and name the variable at fault."""

from __future__ import annotations

import pytest

from functions import constants as c
from functions.errors import SettingsError
from functions.settings import ArchiverSettings, WebhookSettings, parse_chat_ids

GOOD = {
    c.ENV_ALLOWED_CHAT_IDS: "-1001234567890, -1001111111111",
    c.ENV_DELIVERY_STREAM_NAME: "telegram-updates",
    c.ENV_WEBHOOK_SECRET: "abc",
}


def test_good_environment_is_read() -> None:
    settings = WebhookSettings.from_env(GOOD)
    assert settings.allowed_chat_ids == frozenset({-1001234567890, -1001111111111})
    assert settings.delivery_stream_name == "telegram-updates"
    assert settings.secret == "abc"
    assert settings.delivery_budget_seconds == c.DEFAULT_DELIVERY_BUDGET_SECONDS


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({c.ENV_ALLOWED_CHAT_IDS: ""}, c.ENV_ALLOWED_CHAT_IDS),
        ({c.ENV_ALLOWED_CHAT_IDS: " , "}, c.ENV_ALLOWED_CHAT_IDS),
        ({c.ENV_ALLOWED_CHAT_IDS: "-100abc"}, c.ENV_ALLOWED_CHAT_IDS),
        ({c.ENV_ALLOWED_CHAT_IDS: "99999999999999999999"}, c.ENV_ALLOWED_CHAT_IDS),
        ({c.ENV_DELIVERY_STREAM_NAME: ""}, c.ENV_DELIVERY_STREAM_NAME),
        ({c.ENV_WEBHOOK_SECRET: ""}, c.ENV_WEBHOOK_SECRET),
        (
            {c.ENV_WEBHOOK_SECRET_ARN: "not-an-arn", c.ENV_WEBHOOK_SECRET: ""},
            c.ENV_WEBHOOK_SECRET_ARN,
        ),
        ({c.ENV_DELIVERY_BUDGET_SECONDS: "-1"}, c.ENV_DELIVERY_BUDGET_SECONDS),
        ({c.ENV_DELIVERY_BUDGET_SECONDS: "9"}, c.ENV_DELIVERY_BUDGET_SECONDS),
    ],
)
def test_bad_variable_is_named(change: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        WebhookSettings.from_env({**GOOD, **change})
    assert raised.value.variable == variable
    assert str(raised.value).startswith(variable)


def test_secret_arn_alone_is_enough() -> None:
    env = {**GOOD, c.ENV_WEBHOOK_SECRET: "", c.ENV_WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:x"}
    assert WebhookSettings.from_env(env).secret_arn == "arn:aws:secretsmanager:x"


def test_negative_and_positive_chat_ids_parse() -> None:
    assert parse_chat_ids("-1001234567890,123456789") == frozenset({-1001234567890, 123456789})


def test_archiver_needs_its_bucket() -> None:
    with pytest.raises(SettingsError, match=c.ENV_RAW_BUCKET):
        ArchiverSettings.from_env({})
    assert ArchiverSettings.from_env({c.ENV_RAW_BUCKET: "raw"}).raw_bucket == "raw"


def test_delivery_budget_plus_one_attempt_fits_the_timeouts() -> None:
    attempt = c.FIREHOSE_CONNECT_TIMEOUT_SECONDS + c.FIREHOSE_READ_TIMEOUT_SECONDS
    assert c.DEFAULT_DELIVERY_BUDGET_SECONDS + attempt < c.WEBHOOK_TIMEOUT_SECONDS
    assert c.WEBHOOK_TIMEOUT_SECONDS < c.API_GATEWAY_TIMEOUT_SECONDS
