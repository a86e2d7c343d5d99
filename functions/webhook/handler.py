"""Webhook Lambda: check the secret, keep allowed chats, put the raw update into Firehose."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions import adapters
from functions import constants as c
from functions.errors import DeliveryUnavailable
from functions.settings import WebhookSettings
from functions.webhook.logic import Decision, Outcome, WebhookRequest, decide, response

logger = Logger(service=c.WEBHOOK_SERVICE)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.WEBHOOK_SERVICE)


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


def deliver(decision: Decision, config: WebhookSettings, firehose: Any) -> Outcome:
    """Put an accepted update into the delivery stream; DELIVERY_FAILED if it won't take it."""
    if decision.record is None:
        return decision.outcome
    try:
        adapters.put_record(
            firehose, config.delivery_stream_name, decision.record, config.delivery_budget_seconds
        )
    except DeliveryUnavailable as error:
        logger.error(
            "delivery failed", extra={"update_id": decision.update_id, "error": str(error)}
        )
        return Outcome.DELIVERY_FAILED
    return decision.outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) → 200/400/401/403/405/413/503, empty body."""
    config = settings()
    decision = decide(
        WebhookRequest.from_event(event),
        config.allowed_chat_ids,
        webhook_secret(config),
        restrict_source_ips=config.restrict_source_ips,
    )
    outcome = deliver(decision, config, adapters.firehose_client())
    metrics.add_metric(name=outcome.metric, unit=MetricUnit.Count, value=1)
    # The metric counts every outcome; a line per routine update (accepted, ignored)
    # is DEBUG, refused requests are INFO: cheaper to store, and the unusual stands out.
    log = logger.debug if outcome in (Outcome.ACCEPTED, Outcome.IGNORED) else logger.info
    log(
        "update handled",
        extra={
            "outcome": outcome.name,
            "update_id": decision.update_id,
            "chat_id": decision.chat_id,
        },
    )
    return response(outcome)
