"""The whole local stack in one object: webhook handler → local delivery stream → lake.

Used by `tgpipe serve`, `ingest`, `demo` (and later `poll` and the benchmarks),
so every entry point drives the unchanged Lambda handlers the same way.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from functions import constants as c
from functions.allowlist import AllowList
from functions.settings import ArchiverSettings, WebhookSettings, delivery_budget_from_env
from functions.webhook import handler as webhook
from glue_schema import DELIVERED_TABLES, MESSAGES
from local.allowlist_store import DirectoryStore
from local.delivery_stream import (
    DEFAULT_STREAM_NAME,
    RAW_BUCKET,
    DeliveryStats,
    LocalDeliveryStream,
    stream_not_found,
)
from local.faults import FaultConfig, inject
from local.http_api import LocalHttpApi, build_event
from local.lambda_runtime import LambdaContext, LocalMetrics, local_logger

#: Local defaults: small buffers so a demo shows files within seconds.
DEFAULT_BUFFER_MB = 1.0
DEFAULT_BUFFER_SECONDS = 5.0
#: Other processes on the lake (`tgpipe chats`, another serve) are seen within this.
LOCAL_ALLOW_LIST_MAX_AGE_SECONDS = 1.0
SECRET_ENV = "TGPIPE_WEBHOOK_SECRET"  # noqa: S105 - a variable name


def archiver_settings_from_env(env: Mapping[str, str] | None = None) -> ArchiverSettings:
    """The archiver's settings for the lake: PSEUDONYMIZE_USERS and its key, as on Lambda.

    Read, never written: the bucket is the lake's raw bucket whatever RAW_BUCKET says.
    """
    source = os.environ if env is None else env
    return ArchiverSettings.from_env({**source, c.ENV_RAW_BUCKET: RAW_BUCKET})


def stream_names(messages_stream: str) -> dict[str, str]:
    """Each delivered table's local stream name (the messages stream keeps its own)."""
    return {
        table.name: messages_stream
        if table is MESSAGES
        else f"{messages_stream}-{table.name.replace('_', '-')}"
        for table in DELIVERED_TABLES
    }


class StreamRouter:
    """The Firehose API over several local streams: each call goes to the stream it names."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self._clients = clients

    def _client(self, name: str, operation: str) -> Any:
        client = self._clients.get(name)
        if client is None:
            raise stream_not_found(name, operation)
        return client

    def put_record(self, *, DeliveryStreamName: str, **kwargs: Any) -> Any:
        """PutRecord on the named stream."""
        return self._client(DeliveryStreamName, "PutRecord").put_record(
            DeliveryStreamName=DeliveryStreamName, **kwargs
        )

    def put_record_batch(self, *, DeliveryStreamName: str, **kwargs: Any) -> Any:
        """PutRecordBatch on the named stream."""
        return self._client(DeliveryStreamName, "PutRecordBatch").put_record_batch(
            DeliveryStreamName=DeliveryStreamName, **kwargs
        )


def new_secret() -> str:
    """A webhook secret in Telegram's alphabet (A-Z a-z 0-9 _ -), 64 characters."""
    return secrets.token_urlsafe(48)[:64]


@dataclass
class StackConfig:
    """What the local stack needs: where, which chats, which secret, how to buffer."""

    lake: Path
    chat_ids: frozenset[int]
    secret: str = field(default_factory=lambda: new_secret())
    stream_name: str = DEFAULT_STREAM_NAME
    buffer_mb: float = DEFAULT_BUFFER_MB
    buffer_seconds: float = DEFAULT_BUFFER_SECONDS
    log_level: str = "WARNING"
    #: Injected failures (docs/reliability.md); none by default.
    faults: FaultConfig = field(default_factory=FaultConfig)
    #: Run the delivery (archiver + conversion) in a worker process, as the CLI does;
    #: off when archive or archiver faults are injected (they wrap in-process objects).
    delivery_process: bool = False
    #: The archiver's settings (the lake's raw bucket; pseudonyms as the environment says).
    archiver: ArchiverSettings = field(default_factory=archiver_settings_from_env)
    #: The webhook's delivery budget (DELIVERY_BUDGET_SECONDS, as on Lambda).
    delivery_budget_seconds: float = field(default_factory=delivery_budget_from_env)


class LocalStack:
    """Webhook handler + delivery stream + object store for one lake directory.

    Everything it runs is its own: settings, clients, metrics and loggers are passed
    to the unchanged handlers' `handle`, never set in the environment or a module,
    so two stacks with different settings can run in one process.
    """

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        config.lake.mkdir(parents=True, exist_ok=True)
        self.metrics = LocalMetrics()
        log = local_logger(c.WEBHOOK_SERVICE, config.log_level)
        #: Configured ids plus what the lake's store says (migrations, `tgpipe chats`).
        self.allow_list = AllowList(
            config.chat_ids,
            DirectoryStore(config.lake),
            max_age_seconds=LOCAL_ALLOW_LIST_MAX_AGE_SECONDS,
            on_store_error=webhook.store_error_reporter(log),
        )
        names = stream_names(config.stream_name)
        archiver_settings = replace(
            config.archiver,
            stream_tables=tuple((names[t], t) for t in names if t != MESSAGES.name),
        )
        #: One delivery stream per delivered table, as on AWS (one schema per stream).
        self.streams = {
            table.name: LocalDeliveryStream(
                config.lake,
                name=names[table.name],
                table=table,
                buffer_size_mb=config.buffer_mb,
                buffer_interval_s=config.buffer_seconds,
                delivery_process=config.delivery_process
                and config.faults.fail_archive_rate == 0
                and config.faults.archiver_timeout_rate == 0,
                archiver_settings=archiver_settings,
                metrics=self.metrics,
                log_level=config.log_level,
            )
            for table in DELIVERED_TABLES
        }
        #: The messages stream (the one most commands and tests look at).
        self.stream = self.streams[MESSAGES.name]
        clients: dict[str, Any] = {}
        for stream in self.streams.values():
            clients[stream.name], faults = inject(stream, config.faults)
            if stream is self.stream:
                self.faults = faults
        firehose = StreamRouter(clients)
        self._settings = WebhookSettings(
            allowed_chat_ids=config.chat_ids,
            delivery_stream_name=config.stream_name,
            secret=config.secret,
            secret_arn=None,
            delivery_budget_seconds=config.delivery_budget_seconds,
            table_streams=tuple((t, names[t]) for t in names if t != MESSAGES.name),
        )
        self._dependencies = webhook.Dependencies(
            self._settings,
            config.secret,
            self.allow_list,
            firehose,
            count_routine=True,
            metrics=self.metrics,
            logger=log,
        )
        self._context = LambdaContext(function_name="webhook")
        self.http: LocalHttpApi | None = None

    def handler(self, event: dict[str, Any], _context: Any) -> dict[str, Any]:
        """The webhook as API Gateway invokes it, with this stack's dependencies."""
        return webhook.handle(event, self._dependencies)

    def start(self) -> LocalStack:
        """Start the streams' buffering timers (recovering any spooled records first)."""
        for stream in self.streams.values():
            stream.start()
        return self

    def serve_http(self, port: int = 0) -> LocalHttpApi:
        """Expose the webhook over real HTTP on 127.0.0.1."""
        self.http = LocalHttpApi(self.handler, port=port).start()
        return self.http

    def handle(self, body: bytes, content_type: str = "application/json") -> int:
        """One update through the webhook exactly as an HTTP request would go; the status."""
        headers = [
            ("Content-Type", content_type),
            (c.SECRET_HEADER, self.config.secret),
        ]
        event = build_event("POST", c.WEBHOOK_PATH, headers, body, "127.0.0.1")
        response: dict[str, Any] = self.handler(event, self._context)
        return int(response["statusCode"])

    def handle_many(self, bodies: Iterable[bytes]) -> list[int]:
        """Statuses for several updates, in order."""
        return [self.handle(body) for body in bodies]

    def flush(self) -> None:
        """Deliver everything buffered now, in every stream."""
        for stream in self.streams.values():
            stream.flush()

    def stats(self) -> DeliveryStats:
        """The messages stream's counters (stats_by_table for every table's)."""
        return self.stream.stats()

    def stats_by_table(self) -> dict[str, DeliveryStats]:
        """Each delivered table's stream counters."""
        return {table: stream.stats() for table, stream in self.streams.items()}

    def stats_all(self) -> DeliveryStats:
        """Every stream's counters added up (records_put counts an update once per stream)."""
        every = list(self.stats_by_table().values())
        return DeliveryStats(
            **{f.name: sum(getattr(s, f.name) for s in every) for f in fields(DeliveryStats)}
        )

    def rows_line(self) -> str:
        """`N rows written (messages a, member_events b, reactions c)` for the CLI reports."""
        by_table = {table: stats.rows_written for table, stats in self.stats_by_table().items()}
        detail = ", ".join(f"{table} {rows}" for table, rows in by_table.items())
        return f"{sum(by_table.values())} rows written ({detail})"

    def close(self) -> None:
        """Stop HTTP, flush and close the stream."""
        if self.http is not None:
            self.http.stop()
            self.http = None
        for stream in self.streams.values():
            stream.close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
