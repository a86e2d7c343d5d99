"""POST updates to a webhook URL as Telegram does, and measure: the engine of `tgpipe send-updates`.

Each update is one POST with ``Content-Type: application/json`` and the
``X-Telegram-Bot-Api-Secret-Token`` header, over keep-alive connections (one per
worker thread, reopened after a failure). `send_updates()` is the in-process API
the command, the demo and the benchmarks call; it reports status counts,
connection errors, throughput and latency percentiles.
"""

from __future__ import annotations

import http.client
import queue
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from functions.constants import SECRET_HEADER
from scripts.common import progress_bar

DEFAULT_CONCURRENCY: Final = 8
DEFAULT_TIMEOUT_SECONDS: Final = 10.0
#: What Telegram allows in setWebhook's secret_token (and so all it ever sends).
SECRET_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Errors of a reused keep-alive connection that the server closed while idle:
#: the request never reached it, so one retry on a fresh connection is safe.
_STALE_CONNECTION_ERRORS: Final = (ConnectionResetError, BrokenPipeError, http.client.BadStatusLine)


class TargetUnreachable(Exception):
    """The URL's host could not be connected to at all."""


@dataclass(frozen=True, slots=True)
class SendReport:
    """What happened to the updates sent: statuses, errors, throughput and latency."""

    sent: int
    status_counts: Mapping[int, int]
    connection_errors: int
    connections_opened: int
    elapsed_seconds: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None

    @property
    def succeeded(self) -> int:
        """Requests answered with a 2xx status."""
        return sum(n for status, n in self.status_counts.items() if 200 <= status < 300)

    @property
    def failed(self) -> int:
        """Requests answered non-2xx or lost to a connection error."""
        return self.sent - self.succeeded

    @property
    def updates_per_second(self) -> float:
        """Requests completed per second of wall time."""
        return self.sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int | None
    path: str

    @classmethod
    def parse(cls, url: str) -> _Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"bad port in URL: {url!r}") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, path)

    @property
    def origin(self) -> str:
        """scheme://host[:port] only: a webhook path often embeds a bot token."""
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        """A new, already connected connection (raises OSError when unreachable)."""
        factory = (
            http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        )
        connection = factory(self.host, self.port, timeout=timeout)
        connection.connect()
        return connection


@dataclass(slots=True)
class _Tally:
    """One worker's results; merged after the workers end, so no lock is needed."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    connection_errors: int = 0
    connections_opened: int = 0
    failure: BaseException | None = None


class _Worker(threading.Thread):
    def __init__(
        self,
        target: _Target,
        headers: Mapping[str, str],
        timeout: float,
        bodies: queue.Queue[bytes | None],
        on_done: Callable[[], None],
        connection: http.client.HTTPConnection | None = None,
    ) -> None:
        super().__init__(daemon=True)  # never keeps an interrupted process alive
        self.target, self.headers, self.timeout = target, headers, timeout
        self.bodies, self.on_done = bodies, on_done
        self.connection = connection
        self.tally = _Tally(connections_opened=1 if connection else 0)

    def run(self) -> None:
        try:
            while (body := self.bodies.get()) is not None:
                self._send(body)
                self.on_done()
        except Exception as error:  # noqa: BLE001 - a bug must not deadlock the producer
            self.tally.failure = error
            while self.bodies.get() is not None:
                pass
        finally:
            if self.connection is not None:
                self.connection.close()

    def _post(self, body: bytes) -> int:
        if self.connection is None:
            self.connection = self.target.connect(self.timeout)
            self.tally.connections_opened += 1
        self.connection.request("POST", self.target.path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        response.read()  # the connection can only be reused once the body is drained
        if response.will_close:
            self.connection.close()
            self.connection = None
        return response.status

    def _send(self, body: bytes) -> None:
        started = time.perf_counter()
        reused = self.connection is not None
        try:
            try:
                status = self._post(body)
            except _STALE_CONNECTION_ERRORS:
                if not reused:
                    raise
                self._drop_connection()
                started = time.perf_counter()
                status = self._post(body)
        except (OSError, http.client.HTTPException):
            self._drop_connection()
            self.tally.connection_errors += 1
            return
        self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.tally.statuses[status] += 1

    def _drop_connection(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None


def _percentiles(latencies: list[float]) -> tuple[float | None, float | None, float | None]:
    if not latencies:
        return None, None, None
    if len(latencies) == 1:
        return latencies[0], latencies[0], latencies[0]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def send_updates(
    url: str,
    bodies: Iterable[bytes],
    *,
    secret: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    total: int | None = None,
    progress: bool = False,
) -> SendReport:
    """POST every body to `url` as Telegram would, with `concurrency` keep-alive workers.

    Raises ValueError for a bad URL, secret or concurrency, and TargetUnreachable
    when not even one connection can be opened (rather than failing every update).
    """
    target = _Target.parse(url)
    if secret is not None and not SECRET_PATTERN.fullmatch(secret):
        raise ValueError("the secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    try:
        first_connection = target.connect(timeout)
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise TargetUnreachable(f"cannot connect to {target.origin}: {reason}") from None

    # Bounded: a streamed generator of 200,000 updates is never held in memory.
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=concurrency * 4)
    bar = progress_bar(total, "sending", items=True) if progress else nullcontext(_no_progress)
    with bar as step:

        def advance() -> None:
            step(1)

        workers = [
            _Worker(
                target, headers, timeout, pending, advance, first_connection if i == 0 else None
            )
            for i in range(concurrency)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        try:
            for body in bodies:
                pending.put(body)
        finally:
            for _ in workers:
                pending.put(None)
            for worker in workers:
                worker.join()
        elapsed = time.perf_counter() - started

    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    for worker in workers:
        if worker.tally.failure is not None:
            raise worker.tally.failure
        statuses.update(worker.tally.statuses)
        latencies.extend(worker.tally.latencies_ms)
    p50, p95, p99 = _percentiles(latencies)
    connection_errors = sum(w.tally.connection_errors for w in workers)
    return SendReport(
        sent=sum(statuses.values()) + connection_errors,
        status_counts=dict(sorted(statuses.items())),
        connection_errors=connection_errors,
        connections_opened=sum(w.tally.connections_opened for w in workers),
        elapsed_seconds=elapsed,
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_p99_ms=p99,
    )


def _no_progress(_amount: float) -> None:
    """The advance of a send without a progress bar."""


def url_origin(url: str) -> str:
    """scheme://host[:port] of a webhook URL (ValueError when it is not an http(s) URL)."""
    return _Target.parse(url).origin
