"""Just enough of the Lambda runtime to call the unchanged handlers locally."""

from __future__ import annotations

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
    """Counts a handler's Powertools metrics in memory instead of printing EMF lines.

    On Lambda each invocation runs alone and its metrics are flushed to stdout;
    locally many requests run at once in threads, where a shared EMF buffer would
    mix invocations and print to the terminal. The counts feed the CLI reports.
    """

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()
        self._attached: list[Any] = []

    def attach(self, metrics: Any) -> None:
        """Route `metrics` (a Powertools Metrics) here; its decorator's flush becomes a no-op."""
        provider = metrics.provider
        provider.add_metric = self._add
        provider.flush_metrics = self._flush
        self._attached.append(provider)

    def detach(self) -> None:
        """Give the providers back their own methods (EMF to stdout, as on Lambda)."""
        for provider in self._attached:
            for name in ("add_metric", "flush_metrics"):
                provider.__dict__.pop(name, None)
        self._attached.clear()

    def _add(self, name: str, unit: Any, value: float, resolution: Any = 60) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0.0) + float(value)

    @staticmethod
    def _flush(raise_on_empty_metrics: bool = False) -> None:
        """Nothing to print locally."""

    def count(self, name: str) -> int:
        """The total of one metric so far."""
        with self._lock:
            return int(self._counts.get(name, 0.0))

    def snapshot(self) -> dict[str, int]:
        """Every metric's total so far."""
        with self._lock:
            return {name: int(value) for name, value in self._counts.items()}
