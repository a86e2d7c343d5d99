"""Typed settings, one object per function, read from the environment once."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from functions import constants as c
from functions.errors import SettingsError
from functions.telegram import as_int64
from glue_schema import DELIVERED_TABLES, MEMBER_EVENTS, MESSAGES, REACTIONS

#: Rows of updates Telegram pushed (glue_schema.tables.SOURCES; `poll` and `export` are the others).
DEFAULT_SOURCE: Final = "webhook"
#: A shorter key could be brute-forced over the small space of Telegram user ids.
MIN_PSEUDONYM_KEY_CHARS = 32


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


#: Tables a stream may be shaped for (the archiver's shapers).
SHAPED_TABLES: Final = tuple(table.name for table in DELIVERED_TABLES)


def parse_stream_tables(raw: str) -> tuple[tuple[str, str], ...]:
    """`name=table,name=table` → pairs; SettingsError names a malformed pair or unknown table."""
    pairs = []
    for part in raw.split(","):
        token = part.strip()
        if not token:
            continue
        name, _, table = token.partition("=")
        if not name.strip() or table.strip() not in SHAPED_TABLES:
            raise SettingsError(
                c.ENV_STREAM_TABLES,
                f"{token!r} is not stream=table with table one of {', '.join(SHAPED_TABLES)}",
            )
        pairs.append((name.strip(), table.strip()))
    return tuple(pairs)


def _required(env: Mapping[str, str], variable: str) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise SettingsError(variable, "is not set")
    return value


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def _flag(env: Mapping[str, str], variable: str) -> bool:
    """An on/off variable: true/false (also 1/0, yes/no, on/off, any case); unset is off."""
    raw = env.get(variable, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(variable, "must be true or false")


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


def delivery_budget_from_env(env: Mapping[str, str] | None = None) -> float:
    """DELIVERY_BUDGET_SECONDS, or the default (the local stack honours it as the Lambda does)."""
    env = os.environ if env is None else env
    return _positive_float(env, c.ENV_DELIVERY_BUDGET_SECONDS, c.DEFAULT_DELIVERY_BUDGET_SECONDS)


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook needs: who is allowed, where to deliver, how to check the secret."""

    allowed_chat_ids: frozenset[int]
    delivery_stream_name: str
    secret: str | None
    secret_arn: str | None
    delivery_budget_seconds: float = c.DEFAULT_DELIVERY_BUDGET_SECONDS
    secret_max_age_seconds: int = c.DEFAULT_SECRET_MAX_AGE_SECONDS
    restrict_source_ips: bool = False
    allow_list_path: str | None = None
    allow_list_max_age_seconds: float = c.DEFAULT_ALLOW_LIST_MAX_AGE_SECONDS
    #: (table, stream name) of the engagement tables that have a stream of their own.
    table_streams: tuple[tuple[str, str], ...] = ()

    def streams_for(self, tables: Iterable[str]) -> tuple[str, ...]:
        """The streams to put an update feeding `tables` into (messages' for the others)."""
        own = dict(self.table_streams)
        return tuple(dict.fromkeys(own.get(t, self.delivery_stream_name) for t in tables))

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
        restrict = _flag(env, c.ENV_RESTRICT_SOURCE_IPS)
        path = env.get(c.ENV_ALLOW_LIST_PATH, "").strip() or None
        if path is not None and not (path.startswith("/") and path.endswith("/")):
            raise SettingsError(c.ENV_ALLOW_LIST_PATH, "must be an SSM path such as /tgpipe/stack/")
        list_age = _positive_float(
            env, c.ENV_ALLOW_LIST_MAX_AGE_SECONDS, c.DEFAULT_ALLOW_LIST_MAX_AGE_SECONDS
        )
        table_streams = tuple(
            (table, name)
            for table, variable in (
                (MEMBER_EVENTS.name, c.ENV_MEMBER_EVENTS_STREAM_NAME),
                (REACTIONS.name, c.ENV_REACTIONS_STREAM_NAME),
            )
            if (name := env.get(variable, "").strip())
        )
        return cls(
            chat_ids,
            stream,
            secret,
            secret_arn,
            budget,
            int(max_age),
            restrict,
            path,
            list_age,
            table_streams,
        )


@dataclass(frozen=True)
class ArchiverSettings:
    """What the archiver needs: the raw archive bucket, and whether rows hide users."""

    raw_bucket: str
    pseudonymize_users: bool = False
    pseudonym_key: str | None = field(default=None, repr=False)
    pseudonym_key_arn: str | None = None
    #: (stream name, table) of the streams that shape another table than messages.
    stream_tables: tuple[tuple[str, str], ...] = ()
    #: The rows' `source` column: webhook on Lambda; the local stack's `tgpipe poll` says poll.
    source: str = DEFAULT_SOURCE

    def table_for(self, stream_arn: str) -> str:
        """The table a stream's batch is shaped for (by the stream's name; messages if unnamed)."""
        name = stream_arn.rsplit("/", 1)[-1]
        return dict(self.stream_tables).get(name, MESSAGES.name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ArchiverSettings:
        """Read and check the archiver's environment; SettingsError names the variable."""
        env = os.environ if env is None else env
        bucket = _required(env, c.ENV_RAW_BUCKET)
        tables = parse_stream_tables(env.get(c.ENV_STREAM_TABLES, ""))
        if not _flag(env, c.ENV_PSEUDONYMIZE_USERS):
            return cls(raw_bucket=bucket, stream_tables=tables)
        # Read only when on: the template sets the key's ARN only for pseudonymising stacks.
        key_arn = env.get(c.ENV_PSEUDONYM_KEY_ARN, "").strip() or None
        if key_arn is not None:
            if not key_arn.startswith("arn:"):
                raise SettingsError(c.ENV_PSEUDONYM_KEY_ARN, "is not an ARN")
            return cls(bucket, True, None, key_arn, tables)
        key = env.get(c.ENV_PSEUDONYM_KEY, "").strip() or None
        if key is None:
            raise SettingsError(
                c.ENV_PSEUDONYMIZE_USERS,
                f"is on: set {c.ENV_PSEUDONYM_KEY_ARN} (a Secrets Manager secret) "
                f"or {c.ENV_PSEUDONYM_KEY}",
            )
        if len(key) < MIN_PSEUDONYM_KEY_CHARS:
            # The message names the rule, never the value.
            raise SettingsError(
                c.ENV_PSEUDONYM_KEY, f"must be at least {MIN_PSEUDONYM_KEY_CHARS} characters"
            )
        return cls(bucket, True, key, None, tables)
