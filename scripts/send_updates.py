"""`tgpipe send-updates`: POST updates to a webhook URL as Telegram does, and measure.

Each update is one POST with ``Content-Type: application/json`` and the
``X-Telegram-Bot-Api-Secret-Token`` header, over keep-alive connections (one per
worker thread, reopened after a failure). The updates come from the realistic
generator (``--count``) or from a file (``--file``: one update JSON or NDJSON).

The webhook secret is not a bot token, but it still guards the endpoint, so it
is read from the environment by default (``TGPIPE_WEBHOOK_SECRET``, or the
variable named by ``--secret-env``) rather than typed on a command line that
lands in shell history and ``ps``. ``--secret`` overrides it.

`send_updates()` is the in-process API the demo and the benchmarks call.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from functions import jsoncodec
from functions.constants import SECRET_HEADER
from local.generator import DEFAULT_CHAT_ID, DEFAULT_FOREIGN_CHAT_ID, iter_updates
from scripts.cli import CliError

DEFAULT_SECRET_ENV: Final = "TGPIPE_WEBHOOK_SECRET"  # noqa: S105 - a variable name
DEFAULT_COUNT: Final = 1000
DEFAULT_CONCURRENCY: Final = 8
DEFAULT_TIMEOUT_SECONDS: Final = 10.0
EXIT_FAILED: Final = 1
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
    with _ProgressBar(progress, total) as advance:
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


class _ProgressBar:
    """A rich progress bar on a terminal; a no-op advance otherwise."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled, self.total = enabled, total
        self.bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        # Imported here: rich is only needed when someone watches.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        if not console.is_terminal:
            return lambda: None
        self.bar = Progress(
            "sending",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.bar.start()
        task = self.bar.add_task("send", total=self.total)
        bar = self.bar
        return lambda: bar.advance(task)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()


# -- the command ---------------------------------------------------------------


def _file_updates(path: Path) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """How many updates a file holds and a way to stream their bodies.

    NDJSON lines are sent byte for byte; a single pretty-printed document is sent
    compact, as Telegram sends it. A line that is not JSON is a CliError naming it.
    """
    try:
        with path.open("rb") as source:
            count, bad_line, bad_reason = 0, 0, ""
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    jsoncodec.loads(line)
                except jsoncodec.InvalidJson as error:
                    bad_line, bad_reason = number, str(error)
                    break
                count += 1
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from None
    if not bad_line:
        if count == 0:
            raise CliError(f"{path}: no updates in the file")

        def lines() -> Iterator[bytes]:
            with path.open("rb") as source:
                for line in source:
                    if line.strip():
                        yield line.strip()

        return count, lines
    try:
        document = jsoncodec.loads(path.read_bytes())
    except jsoncodec.InvalidJson:
        raise CliError(f"{path}:{bad_line}: not valid JSON ({bad_reason})") from None
    body = jsoncodec.dumps(document)
    return 1, lambda: iter((body,))


def _secret(args: argparse.Namespace) -> str | None:
    if args.secret is not None:
        return str(args.secret)
    variable = args.secret_env or DEFAULT_SECRET_ENV
    value = os.environ.get(variable)
    if value:
        return value
    if args.secret_env:
        raise CliError(f"environment variable {variable} is not set")
    print(
        f"tgpipe send-updates: no secret (--secret, ${DEFAULT_SECRET_ENV}): "
        f"sending without {SECRET_HEADER}",
        file=sys.stderr,
    )
    return None


def _format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_report(report: SendReport, origin: str) -> None:
    """The summary: counts by status, connection errors, throughput and latency."""
    print(
        f"sent {report.sent} updates to {origin} in {report.elapsed_seconds:.2f} s "
        f"({report.updates_per_second:.0f} updates/s, {report.connections_opened} connections)"
    )
    for status, count in report.status_counts.items():
        print(f"  HTTP {status}: {count}")
    print(f"  connection errors: {report.connection_errors}")
    print(
        f"  latency ms: p50 {_format_ms(report.latency_p50_ms)}  "
        f"p95 {_format_ms(report.latency_p95_ms)}  p99 {_format_ms(report.latency_p99_ms)}"
    )


def run(args: argparse.Namespace) -> int:
    """Send the updates and print the summary; exit 1 when any request failed."""
    if args.count is not None and args.count < 1:
        raise CliError("--count must be at least 1")
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    try:
        _Target.parse(args.url)
    except ValueError as error:
        raise CliError(str(error)) from None
    secret = _secret(args)
    if args.file is not None:
        total, bodies = _file_updates(args.file)
        source = bodies()
    else:
        total = args.count if args.count is not None else DEFAULT_COUNT
        source = (
            update.body
            for update in iter_updates(
                total,
                chat_id=args.chat_id,
                seed=args.seed,
                foreign_chat_id=args.foreign_chat_id,
            )
        )
    try:
        report = send_updates(
            args.url,
            source,
            secret=secret,
            concurrency=args.concurrency,
            timeout=args.timeout,
            total=total,
            progress=sys.stderr.isatty(),
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except TargetUnreachable as error:
        raise CliError(str(error), exit_code=EXIT_FAILED) from None
    print_report(report, _Target.parse(args.url).origin)
    if report.failed:
        print(
            f"tgpipe send-updates: {report.failed} of {report.sent} requests failed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def register(subparsers: Any) -> None:
    """Add `tgpipe send-updates` to the command line."""
    parser = subparsers.add_parser(
        "send-updates",
        help="POST realistic test updates to a webhook URL",
        description=(
            "POST updates to a webhook URL as Telegram does (JSON body, "
            f"{SECRET_HEADER} header, keep-alive connections) and print status counts "
            "and latency percentiles. Exit code 1 when any request failed."
        ),
    )
    parser.add_argument(
        "--url", required=True, help="the webhook URL, e.g. http://127.0.0.1:8080/webhook"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret",
        help=f"the webhook secret token (prefer the environment: ${DEFAULT_SECRET_ENV})",
    )
    secret.add_argument(
        "--secret-env",
        metavar="VAR",
        help=f"read the secret from this environment variable (default {DEFAULT_SECRET_ENV})",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--count", type=int, help=f"generate this many realistic updates (default {DEFAULT_COUNT})"
    )
    source.add_argument(
        "--file", type=Path, help="send the updates in this file (one update JSON, or NDJSON)"
    )
    parser.add_argument(
        "--chat-id",
        type=int,
        default=DEFAULT_CHAT_ID,
        help=f"the group generated updates belong to (default {DEFAULT_CHAT_ID})",
    )
    parser.add_argument(
        "--foreign-chat-id",
        type=int,
        default=DEFAULT_FOREIGN_CHAT_ID,
        help=f"the other group a share of updates comes from (default {DEFAULT_FOREIGN_CHAT_ID})",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="generator seed: same seed, same bytes (default 0)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"parallel keep-alive connections (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds to wait for each connection and answer (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.set_defaults(func=run)
