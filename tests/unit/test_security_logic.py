"""Pure parts of the hardening: source allow-list, secret comparison, pseudonyms, settings."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions import constants as c
from functions.errors import SettingsError
from functions.privacy import pseudonym, pseudonymize_row
from functions.settings import MIN_PSEUDONYM_KEY_CHARS, ArchiverSettings, WebhookSettings
from functions.webhook import logic
from functions.webhook.logic import Outcome, WebhookRequest, decide, from_telegram_network

SECRET = "s3cr3t_TOKEN-abcdefghijklmnop"
ALLOWED = frozenset({-1001234567890})
BODY = '{"update_id":1,"message":{"chat":{"id":-1001234567890}}}'
KEY = b"0123456789abcdef0123456789abcdef"

# Telegram's ranges written out by hand (not via ipaddress), first and last address each.
TELEGRAM_RANGES = [
    (int(ipaddress.IPv4Address("149.154.160.0")), int(ipaddress.IPv4Address("149.154.175.255"))),
    (int(ipaddress.IPv4Address("91.108.4.0")), int(ipaddress.IPv4Address("91.108.7.255"))),
]


def request(source_ip: str | None, secret: str | None = SECRET) -> WebhookRequest:
    return WebhookRequest("POST", secret, BODY, False, source_ip)


# --------------------------------------------------------------- source allow-list


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("149.154.160.0", True),
        ("149.154.167.220", True),
        ("149.154.175.255", True),
        ("149.154.159.255", False),
        ("149.154.176.0", False),
        ("91.108.4.0", True),
        ("91.108.7.255", True),
        ("91.108.3.255", False),
        ("91.108.8.0", False),
        ("::ffff:149.154.167.1", True),
        ("::ffff:127.0.0.1", False),
        ("2001:67c:4e8::1", False),
        ("127.0.0.1", False),
        ("", False),
        ("149.154.167.220, 1.2.3.4", False),
        ("not an address", False),
    ],
)
def test_telegram_ranges_are_exactly_the_published_ones(address: str, inside: bool) -> None:
    assert from_telegram_network(address) is inside


@given(st.integers(0, 2**32 - 1))
def test_any_ipv4_address_is_inside_iff_in_a_published_range(number: int) -> None:
    inside = any(first <= number <= last for first, last in TELEGRAM_RANGES)
    assert from_telegram_network(str(ipaddress.IPv4Address(number))) is inside


def test_allow_list_is_off_by_default() -> None:
    assert decide(request("8.8.8.8"), ALLOWED, SECRET).outcome is Outcome.ACCEPTED


@pytest.mark.parametrize("address", ["8.8.8.8", "127.0.0.1", None, "garbage"])
def test_allow_list_refuses_other_sources_with_403_even_with_the_secret(
    address: str | None,
) -> None:
    decision = decide(request(address), ALLOWED, SECRET, restrict_source_ips=True)
    assert decision.outcome is Outcome.REJECTED_SOURCE
    assert decision.outcome.status == 403
    assert decision.record is None


def test_allow_list_admits_telegram_and_still_checks_the_secret() -> None:
    telegram = "149.154.167.220"
    on = {"restrict_source_ips": True}
    assert decide(request(telegram), ALLOWED, SECRET, **on).outcome is Outcome.ACCEPTED
    assert (
        decide(request(telegram, "wrong"), ALLOWED, SECRET, **on).outcome is Outcome.REJECTED_SECRET
    )


def test_source_ip_is_read_from_the_request_context_not_from_headers() -> None:
    event = {
        "headers": {"x-forwarded-for": "149.154.167.220", c.SECRET_HEADER: SECRET},
        "requestContext": {"http": {"method": "POST", "sourceIp": "6.6.6.6"}},
        "body": BODY,
    }
    assert WebhookRequest.from_event(event).source_ip == "6.6.6.6"
    for broken in ({"requestContext": "x"}, {"requestContext": {"http": "y"}}, {}):
        assert WebhookRequest.from_event(broken).source_ip is None


# --------------------------------------------------------------- secret comparison


@pytest.mark.parametrize(
    "given_secret",
    [SECRET, "", "x", SECRET[:-1], SECRET + "x", SECRET.upper(), " " + SECRET, "é" * 40],
)
def test_every_comparison_goes_through_compare_digest(
    given_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(logic.hmac, "compare_digest", spy)
    assert logic.secret_matches(given_secret, SECRET) is (given_secret == SECRET)
    assert calls == [(given_secret.encode(), SECRET.encode())]


def test_a_forged_request_is_refused_before_its_body_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[Any] = []
    monkeypatch.setattr(logic.jsoncodec, "loads", lambda raw: parsed.append(raw))
    huge = "[" * 100_000 + "]" * 100_000
    forged = WebhookRequest("POST", "forged", huge, False)
    assert decide(forged, ALLOWED, SECRET).outcome is Outcome.REJECTED_SECRET
    assert parsed == []


# --------------------------------------------------------------- pseudonyms


def test_pseudonym_is_a_stable_non_negative_bigint_bound_to_the_key() -> None:
    value = pseudonym(4242, KEY)
    assert value == pseudonym(4242, KEY)
    assert 0 <= value < 2**63
    assert value != pseudonym(4242, KEY[::-1])
    assert value != 4242


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=2, max_size=50, unique=True))
def test_distinct_users_get_distinct_pseudonyms(user_ids: list[int]) -> None:
    assert len({pseudonym(user_id, KEY) for user_id in user_ids}) == len(user_ids)


def test_row_pseudonymised_keeps_everything_but_user_ids_and_names() -> None:
    row = {
        "update_id": 1,
        "chat_id": -100,
        "user_id": 4242,
        "user_first_name": "Ana",
        "user_username": "ana_h",
        "user_language_code": "pt",
        "new_chat_member_ids": [7, 8],
        "left_chat_member_id": 9,
        "sender_chat_id": -1001111111111,
        "text": "oi",
    }
    hidden = pseudonymize_row(row, KEY)
    assert hidden == {
        **row,
        "user_id": pseudonym(4242, KEY),
        "user_first_name": None,
        "user_username": None,
        "new_chat_member_ids": [pseudonym(7, KEY), pseudonym(8, KEY)],
        "left_chat_member_id": pseudonym(9, KEY),
    }
    assert row["user_id"] == 4242  # the input row is not modified


def test_missing_or_null_ids_stay_null() -> None:
    hidden = pseudonymize_row({"user_id": None, "new_chat_member_ids": []}, KEY)
    assert hidden == {"user_id": None, "new_chat_member_ids": []}


# --------------------------------------------------------------- settings

WEBHOOK_ENV = {
    c.ENV_ALLOWED_CHAT_IDS: "-1001234567890",
    c.ENV_DELIVERY_STREAM_NAME: "s",
    c.ENV_WEBHOOK_SECRET: SECRET,
}


@pytest.mark.parametrize(
    ("raw", "on"), [("", False), ("false", False), ("TRUE", True), ("1", True), ("off", False)]
)
def test_restrict_source_ips_flag(raw: str, on: bool) -> None:
    settings = WebhookSettings.from_env({**WEBHOOK_ENV, c.ENV_RESTRICT_SOURCE_IPS: raw})
    assert settings.restrict_source_ips is on


def test_a_malformed_flag_fails_by_name() -> None:
    with pytest.raises(SettingsError, match=c.ENV_RESTRICT_SOURCE_IPS):
        WebhookSettings.from_env({**WEBHOOK_ENV, c.ENV_RESTRICT_SOURCE_IPS: "maybe"})


def test_pseudonymising_needs_a_key_and_never_names_it() -> None:
    on = {c.ENV_RAW_BUCKET: "b", c.ENV_PSEUDONYMIZE_USERS: "true"}
    with pytest.raises(SettingsError, match=c.ENV_PSEUDONYM_KEY_ARN):
        ArchiverSettings.from_env(on)
    short = "short-key-" + "x" * 5
    with pytest.raises(SettingsError, match=c.ENV_PSEUDONYM_KEY) as error:
        ArchiverSettings.from_env({**on, c.ENV_PSEUDONYM_KEY: short})
    assert short not in str(error.value)
    with pytest.raises(SettingsError, match=c.ENV_PSEUDONYM_KEY_ARN):
        ArchiverSettings.from_env({**on, c.ENV_PSEUDONYM_KEY_ARN: "not-an-arn"})
    key = "k" * MIN_PSEUDONYM_KEY_CHARS
    settings = ArchiverSettings.from_env({**on, c.ENV_PSEUDONYM_KEY: key})
    assert settings.pseudonym_key == key
    assert key not in repr(settings)


def test_pseudonymising_is_off_by_default() -> None:
    settings = ArchiverSettings.from_env({c.ENV_RAW_BUCKET: "b", c.ENV_PSEUDONYM_KEY: "k" * 40})
    assert settings.pseudonymize_users is False
    assert settings.pseudonym_key is None
