"""The functions' log level, applied whatever Lambda's advanced logging controls say.

Lambda filters at INFO (its metric lines, which carry no `level`, are INFO to it);
Powertools would take that level too, since Lambda's setting wins inside
Powertools' Logger. The project's level (POWERTOOLS_LOG_LEVEL, WARN by default in
the template) is set on the logger explicitly, so the application stays quiet
while the metrics still pass.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricResolution, MetricUnit

from functions import constants as c


def apply_log_level(logger: Any, env: dict[str, str] | None = None) -> None:
    """Set `logger` (a Powertools Logger) to POWERTOOLS_LOG_LEVEL when that names a level."""
    level = (env if env is not None else os.environ).get(c.ENV_POWERTOOLS_LOG_LEVEL, "")
    level = level.strip().upper()
    if isinstance(logging.getLevelName(level), int):
        # On the standard logger underneath: Powertools' own setLevel would again let
        # Lambda's level (AWS_LAMBDA_LOG_LEVEL) win.
        logging.getLogger(logger.name).setLevel(level)


class MetricsSink(Protocol):
    """Where a handler counts: Powertools' Metrics on Lambda, LocalMetrics on one machine."""

    def add_metric(
        self,
        name: str,
        unit: MetricUnit | str,
        value: float,
        resolution: MetricResolution | int = 60,
    ) -> None:
        """Add `value` to the metric `name`."""


#: Where a handler logs: Powertools' Logger on Lambda, a standard logger per local stack.
Log = logging.Logger | Logger
