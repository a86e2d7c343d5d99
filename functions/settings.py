"""Typed settings, one object per function, read from the environment once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from functions import constants as c
from functions.errors import SettingsError
from functions.telegram import as_int64


def parse_chat_ids(raw: str, variable: str = c.ENV_ALLOWED_CHAT_IDS) -> frozenset[int]:
    """Comma-separated int64 chat ids (negatives allowed, at least one)."""
    ids: set[int] = set()
    for part in raw.split(","):
        token = part.strip()
        if not token:
            continue
        try:
            value = as_int64(int(token))
        except ValueError:
            value = None
        if value is None:
            raise SettingsError(variable, f"{token!r} is not a 64-bit integer chat id")
        ids.add(value)
    if not ids:
        raise SettingsError(variable, "must list at least one chat id, e.g. -1001234567890")
    return frozenset(ids)


def _required(env: Mapping[str, str], variable: str) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise SettingsError(variable, "is not set")
    return value


def _positive_float(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SettingsError(variable, f"{raw!r} is not a positive number of seconds")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook needs: who is allowed, where to deliver, how to check the secret."""

    allowed_chat_ids: frozenset[int]
    delivery_stream_name: str
    secret: str | None
    secret_arn: str | None
    delivery_budget_seconds: float = c.DEFAULT_DELIVERY_BUDGET_SECONDS
    secret_max_age_seconds: int = c.DEFAULT_SECRET_MAX_AGE_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        """Read and check the webhook's environment; SettingsError names the variable."""
        env = os.environ if env is None else env
        chat_ids = parse_chat_ids(_required(env, c.ENV_ALLOWED_CHAT_IDS))
        stream = _required(env, c.ENV_DELIVERY_STREAM_NAME)
        secret = env.get(c.ENV_WEBHOOK_SECRET, "").strip() or None
        secret_arn = env.get(c.ENV_WEBHOOK_SECRET_ARN, "").strip() or None
        if secret is None and secret_arn is None:
            raise SettingsError(
                c.ENV_WEBHOOK_SECRET,
                f"set {c.ENV_WEBHOOK_SECRET} or {c.ENV_WEBHOOK_SECRET_ARN} "
                "(the secret_token given to setWebhook)",
            )
        if secret_arn is not None and not secret_arn.startswith("arn:"):
            raise SettingsError(c.ENV_WEBHOOK_SECRET_ARN, "is not an ARN")
        budget = _positive_float(
            env, c.ENV_DELIVERY_BUDGET_SECONDS, c.DEFAULT_DELIVERY_BUDGET_SECONDS
        )
        attempt = c.FIREHOSE_CONNECT_TIMEOUT_SECONDS + c.FIREHOSE_READ_TIMEOUT_SECONDS
        if budget + attempt >= c.WEBHOOK_TIMEOUT_SECONDS:
            raise SettingsError(
                c.ENV_DELIVERY_BUDGET_SECONDS,
                f"plus one attempt ({attempt:g} s) must stay below the webhook timeout "
                f"({c.WEBHOOK_TIMEOUT_SECONDS} s)",
            )
        max_age = _positive_float(
            env, c.ENV_SECRET_MAX_AGE_SECONDS, c.DEFAULT_SECRET_MAX_AGE_SECONDS
        )
        return cls(chat_ids, stream, secret, secret_arn, budget, int(max_age))


@dataclass(frozen=True)
class ArchiverSettings:
    """What the archiver needs: the raw archive bucket."""

    raw_bucket: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ArchiverSettings:
        """Read and check the archiver's environment; SettingsError names the variable."""
        env = os.environ if env is None else env
        return cls(raw_bucket=_required(env, c.ENV_RAW_BUCKET))
