"""The least a webhook can do: parse the JSON, check the chat, put the bytes (no-op client).

The baseline of `webhook_overhead_ms`: what is left of the handler without
Powertools, settings, the secret check's constant-time compare, the body size
limits and the typed outcomes, so the ratio shows what those cost per update.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def make_bare_handler(allowed_chat_ids: frozenset[int], stream_name: str, firehose: Any) -> Any:
    """A handler closing over its settings and client, as a hand-written Lambda would."""

    def bare_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body") or ""
        update = json.loads(body)
        chat_id = None
        for kind in _KINDS:
            if kind in update:
                chat_id = update[kind].get("chat", {}).get("id")
                break
        if chat_id in allowed_chat_ids:
            firehose.put_record(
                DeliveryStreamName=stream_name, Record={"Data": body.encode() + b"\n"}
            )
        return {"statusCode": 200, "body": ""}

    return bare_handler


def make_powertools_floor_handler(logger: Logger, metrics: Metrics) -> Any:
    """Only what Powertools costs: the same decorators, one INFO line, one metric, no logic."""

    @logger.inject_lambda_context
    @metrics.log_metrics
    def floor_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=1)
        logger.info("update handled", extra={"outcome": "ACCEPTED", "update_id": 0, "chat_id": 0})
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": ""}

    return floor_handler
