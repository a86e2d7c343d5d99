"""Just enough of the Lambda runtime to call the unchanged handlers locally."""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

LOCAL_REGION = "local-1"
LOCAL_ACCOUNT = "000000000000"


@dataclass
class LambdaContext:
    """The attributes Powertools' logger reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        """The ARN the function would have in the local account."""
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        """Local calls have no deadline; report the configured timeout's worth."""
        return 60_000


def invoke(handler: Handler, event: dict[str, Any], function_name: str) -> dict[str, Any]:
    """Call a handler as the Lambda runtime would, with a fresh context."""
    return handler(event, LambdaContext(function_name=function_name))


class LocalMetrics:
    """Counts a handler's metrics in memory instead of printing EMF lines.

    On Lambda each invocation runs alone and its metrics are flushed to stdout;
    locally many requests run at once in threads, where a shared EMF buffer would
    mix invocations and print to the terminal. Each local stack has its own, passed
    to the handlers in their dependencies; the counts feed the CLI reports.
    """

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()

    def add_metric(self, name: str, unit: Any, value: float, resolution: Any = 60) -> None:
        """Add `value` to the metric `name` (the handlers' MetricsSink)."""
        with self._lock:
            self._counts[name] = self._counts.get(name, 0.0) + float(value)

    def count(self, name: str) -> int:
        """The total of one metric so far."""
        with self._lock:
            return int(self._counts.get(name, 0.0))

    def snapshot(self) -> dict[str, int]:
        """Every metric's total so far."""
        with self._lock:
            return {name: int(value) for name, value in self._counts.items()}


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test may have replaced it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """StreamHandler sets it once; the current stderr is always used."""


_logger_ids = itertools.count(1)


def local_logger(function: str, level: str | int = "WARNING") -> logging.Logger:
    """A logger of its own for one function of one local stack, in Powertools' JSON lines.

    Each stack gets new loggers, so two stacks in one process keep their own levels;
    the lines go to stderr, apart from a command's output.
    """
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    log = logging.getLogger(f"tgpipe.local.{next(_logger_ids)}.{function}")
    log.setLevel(level)
    log.propagate = False
    handler = _CurrentStderr()
    handler.setFormatter(LambdaPowertoolsFormatter(service=function))
    log.addHandler(handler)
    return log
