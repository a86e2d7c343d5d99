"""webhook_overhead_ms: per-update time of the webhook handler with a no-op Firehose client.

The real handler, decorators included, logger at INFO: Powertools' logger
injects the Lambda context (the handler's per-update line is DEBUG for routine
outcomes and INFO for refused requests, so at INFO the accepted updates measured
here write none; what is written goes to a byte-counting sink, not the
terminal), Powertools' metrics add one metric per call and flush it as an EMF
line (also counted). The Firehose client is a no-op, so what is measured is
our code, not a network round trip. Beside it, the bare baseline handler
(json parse + chat check + no-op put) on the same events.

    python -m benchmarks.webhook_overhead
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.baselines.bare_handler import make_bare_handler, make_powertools_floor_handler
from benchmarks.common import corpus, main, progress, read_bodies, rounded, scaled
from benchmarks.profiling import own_time_by_group
from benchmarks.results import Figure
from functions import constants as c
from local.generator import DEFAULT_CHAT_ID
from local.http_api import build_event
from local.lambda_runtime import LambdaContext

CALLS = scaled(20_000)
WARMUP_CALLS = CALLS // 20
GOAL_MS = 0.1
SECRET = "bench-secret-token"  # noqa: S105 - a throwaway local value
STREAM = "bench-stream"


class NoOpFirehose:
    """Answers PutRecord at once, as if the network round trip took no time."""

    def put_record(self, **_kwargs: Any) -> dict[str, Any]:
        """A RecordId, nothing stored."""
        return {"RecordId": "0", "Encrypted": False}


class CountingSink(io.TextIOBase):
    """A text stream that keeps only the number of characters written (log/EMF volume)."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        """Count and discard."""
        self.chars += len(text)
        return len(text)


def _events(count: int) -> list[dict[str, Any]]:
    bodies = read_bodies(corpus(count))
    headers = [("Content-Type", "application/json"), (c.SECRET_HEADER, SECRET)]
    return [build_event("POST", c.WEBHOOK_PATH, headers, body, "127.0.0.1") for body in bodies]


def per_call_ms(
    handler: Callable[[dict[str, Any], Any], Any], events: Sequence[dict[str, Any]]
) -> list[float]:
    """Each call's wall time in milliseconds (after a warm-up; the collector paused)."""
    context = LambdaContext(function_name="webhook")
    for event in events[:WARMUP_CALLS]:
        handler(event, context)
    clock = time.perf_counter_ns
    samples = []
    gc.disable()  # a collection landing inside one call would be noise, not our cost
    try:
        for event in events:
            started = clock()
            handler(event, context)
            samples.append((clock() - started) / 1e6)
    finally:
        gc.enable()
    return samples


def _configure_webhook() -> tuple[Any, Any]:
    """The real handler, configured from the environment as on Lambda, with a no-op client."""
    os.environ.update(
        {
            c.ENV_ALLOWED_CHAT_IDS: str(DEFAULT_CHAT_ID),
            c.ENV_DELIVERY_STREAM_NAME: STREAM,
            c.ENV_WEBHOOK_SECRET: SECRET,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
    )
    os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    os.environ.pop(c.ENV_WEBHOOK_SECRET_ARN, None)
    from functions.webhook import handler

    handler.settings.cache_clear()
    handler.logger.setLevel("INFO")
    config = handler.settings()
    # The Lambda entry point as deployed, over a Firehose client that answers at once.
    deps = handler.Dependencies(
        config, handler.webhook_secret(config), handler.allow_list(config), NoOpFirehose()
    )
    return handler, handler.make_handler(lambda: deps)


def measure() -> list[Figure]:
    """The webhook's median per-update time, beside the bare baseline's."""
    progress(f"webhook_overhead: {CALLS:,} calls of the real handler and of the bare baseline")
    events = _events(CALLS)
    handler, lambda_handler = _configure_webhook()
    log_sink, emf_sink = CountingSink(), CountingSink()
    handler.logger.registered_handler.setStream(log_sink)
    with contextlib.redirect_stdout(emf_sink):  # EMF metric lines are printed
        ours = per_call_ms(lambda_handler, events)
        calls_logged = len(events) + WARMUP_CALLS
        # Read now: the profile and the floor handler below log into the same sinks.
        log_bytes, emf_bytes = log_sink.chars / calls_logged, emf_sink.chars / calls_logged
        context = LambdaContext(function_name="webhook")
        profile = own_time_by_group(lambda: [lambda_handler(e, context) for e in events[:5000]])
        floor = per_call_ms(make_powertools_floor_handler(handler.logger, handler.metrics), events)
    bare = per_call_ms(
        make_bare_handler(frozenset({DEFAULT_CHAT_ID}), STREAM, NoOpFirehose()), events
    )
    ours_ms, bare_ms = statistics.median(ours), statistics.median(bare)
    return [
        Figure(
            name="webhook_overhead_ms",
            value=rounded(ours_ms),
            unit="ms per update",
            goal=f"<= {GOAL_MS} ms (median of >= 20,000 calls)",
            met=ours_ms <= GOAL_MS,
            baseline={
                "name": "bare handler (json parse + chat check + no-op put), same events",
                "value": rounded(bare_ms),
                "unit": "ms per update",
                "ratio": rounded(ours_ms / bare_ms, 3),
            },
            detail={
                "calls": len(ours),
                "mean_ms": rounded(statistics.fmean(ours)),
                "p99_ms": rounded(statistics.quantiles(ours, n=100)[98]),
                "powertools_floor_ms": rounded(statistics.median(floor)),
                "powertools_floor": "same decorators, logger and metrics; one INFO line and "
                "one metric per call, no logic (benchmarks/baselines/bare_handler.py)",
                "log_bytes_per_update": rounded(log_bytes),
                "emf_bytes_per_update": rounded(emf_bytes),
                "own_time_by_group": profile,
                "bound": "Powertools: inject_lambda_context, the JSON log line and the EMF "
                "flush are most of the time; our parse/decide/deliver is the "
                "functions/webhook share",
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
