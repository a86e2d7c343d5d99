"""A Lambda entry point over a handler's `handle(event, deps)`: the one wrapping both share.

The entry point adds what only Lambda needs (the logger's invocation context, the
metrics flush); tests and the local stack call `handle` with their own dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Deps = TypeVar("Deps")


def lambda_entry(
    logger: Logger,
    metrics: Metrics,
    handle: Callable[[dict[str, Any], Deps], dict[str, Any]],
    dependencies: Callable[[], Deps],
) -> Handler:
    """A Lambda handler: logger context and metrics flush around `handle(event, dependencies())`."""

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return handle(event, dependencies())

    return lambda_handler
