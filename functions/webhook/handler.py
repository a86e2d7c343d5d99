"""Webhook Lambda: check the secret, keep allowed chats, put the raw update into Firehose."""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions import adapters
from functions import constants as c
from functions.allowlist import AllowList, MemoryStore
from functions.entry import Handler, lambda_entry
from functions.errors import AllowListUnavailable, DeliveryUnavailable
from functions.logs import Log, MetricsSink, apply_log_level
from functions.settings import WebhookSettings
from functions.webhook.logic import Decision, Outcome, WebhookRequest, decide, response

logger = Logger(service=c.WEBHOOK_SERVICE)
apply_log_level(logger)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.WEBHOOK_SERVICE)
ROUTINE_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.IGNORED})
# Routine invocations add no metric on Lambda; an empty flush is expected, not news.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


@dataclass(frozen=True)
class Dependencies:
    """What one invocation needs; the Lambda builds it at cold start, the local stack its own."""

    settings: WebhookSettings
    secret: str
    allow_list: AllowList
    firehose: Any
    #: Count accepted and ignored updates as metrics too. Off on Lambda: AWS counts them
    #: for free (API Gateway Count, Firehose IncomingRecords) and a metric line per
    #: update is a billed log line; the local stack turns it on for its reports.
    count_routine: bool = False
    metrics: MetricsSink = metrics
    logger: Log = logger


@functools.cache
def settings() -> WebhookSettings:
    """Settings read once per container; a bad variable fails the cold start by name."""
    return WebhookSettings.from_env()


def webhook_secret(config: WebhookSettings) -> str:
    """The secret token, from the environment or Secrets Manager (cached by Powertools)."""
    if config.secret is not None:
        return config.secret
    from aws_lambda_powertools.utilities import parameters

    assert config.secret_arn is not None  # settings guarantee one of the two
    return str(parameters.get_secret(config.secret_arn, max_age=config.secret_max_age_seconds))


def store_error_reporter(log: Log) -> Callable[[str, Exception], None]:
    """What the allow-list calls when its store fails (it then serves what it has)."""

    def report(what: str, error: Exception) -> None:
        log.warning("allow-list store unavailable", extra={"during": what, "error": str(error)})

    return report


_allow_lists: dict[int, tuple[WebhookSettings, AllowList]] = {}


def allow_list(config: WebhookSettings) -> AllowList:
    """The container's allow-list for these settings (SSM store when ALLOW_LIST_PATH is set)."""
    cached = _allow_lists.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    store = (
        adapters.SsmAllowListStore(config.allow_list_path, adapters.ssm_client())
        if config.allow_list_path is not None
        else MemoryStore()
    )
    built = AllowList(
        config.allowed_chat_ids,
        store,
        max_age_seconds=config.allow_list_max_age_seconds,
        on_store_error=store_error_reporter(logger),
    )
    _allow_lists.clear()  # settings are read again only in tests: keep one
    _allow_lists[id(config)] = (config, built)
    return built


def cold_start() -> Dependencies:
    """The Lambda's dependencies: settings, secret, allow-list and Firehose client (cached)."""
    config = settings()
    return Dependencies(
        config, webhook_secret(config), allow_list(config), adapters.firehose_client()
    )


def follow(decision: Decision, deps: Dependencies) -> Outcome | None:
    """Record a migration the update announces; ALLOW_LIST_FAILED if the store won't take it."""
    if decision.follow is None:
        return None
    old, new = decision.follow
    try:
        added = deps.allow_list.follow_migration(new, old)
    except AllowListUnavailable as error:
        deps.logger.error(
            "migration not recorded", extra={"from_chat_id": old, "error": str(error)}
        )
        return Outcome.ALLOW_LIST_FAILED
    if added:
        deps.metrics.add_metric(name=c.METRIC_CHAT_MIGRATED, unit=MetricUnit.Count, value=1)
        # WARNING: the allow-list changed without an operator; ids only.
        deps.logger.warning(
            "chat migration followed", extra={"from_chat_id": old, "to_chat_id": new}
        )
    return None


def deliver(decision: Decision, deps: Dependencies) -> Outcome:
    """Put an accepted update into each stream it feeds; DELIVERY_FAILED if one won't take it.

    The streams share one delivery budget. A failure after an earlier stream took the
    update still answers 5xx: Telegram redelivers, and the earlier stream's copy is a
    duplicate the views remove (update_id).
    """
    if decision.record is None:
        return decision.outcome
    config = deps.settings
    deadline = time.monotonic() + config.delivery_budget_seconds
    try:
        for stream in config.streams_for(decision.tables):
            adapters.put_record(
                deps.firehose, stream, decision.record, max(0.0, deadline - time.monotonic())
            )
    except DeliveryUnavailable as error:
        deps.logger.error(
            "delivery failed", extra={"update_id": decision.update_id, "error": str(error)}
        )
        return Outcome.DELIVERY_FAILED
    return decision.outcome


def handle(event: dict[str, Any], deps: Dependencies) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) → 200/400/401/403/405/413/503, empty body."""
    decision = decide(
        WebhookRequest.from_event(event),
        deps.allow_list,
        deps.secret,
        restrict_source_ips=deps.settings.restrict_source_ips,
    )
    if decision.outcome is Outcome.IGNORED and decision.chat_id is not None:
        deps.allow_list.note_ignored(decision.chat_id, decision.chat_type, decision.chat_title)
    # The migration is recorded before the update is delivered: if the store fails,
    # Telegram redelivers the update and the migration is tried again.
    outcome = follow(decision, deps) or deliver(decision, deps)
    routine = outcome in ROUTINE_OUTCOMES
    if not routine or deps.count_routine:
        deps.metrics.add_metric(name=outcome.metric, unit=MetricUnit.Count, value=1)
    # A line per routine update (accepted, ignored) is DEBUG, refused requests are
    # INFO: cheaper to store, and the unusual stands out.
    log = deps.logger.debug if routine else deps.logger.info
    log(
        "update handled",
        extra={
            "outcome": outcome.name,
            "update_id": decision.update_id,
            "chat_id": decision.chat_id,
        },
    )
    return response(outcome)


def make_handler(dependencies: Callable[[], Dependencies]) -> Handler:
    """A Lambda handler (logger context, metrics flush) over `handle` with these dependencies."""
    return lambda_entry(logger, metrics, handle, dependencies)


lambda_handler = make_handler(cold_start)
