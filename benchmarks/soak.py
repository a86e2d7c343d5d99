"""The soak run: `tgpipe serve` under a steady 300 updates/s for 60 s on loopback.

A paced client sends generated updates at a fixed rate (request n is due at
start + n / rate, whatever happened to earlier ones), so a slow server shows up
as latency instead of a lower request rate. Latency is measured from the moment
a request was due to the moment its answer arrived (queueing included, so it is
free of coordinated omission). The server's resident memory is read from
/proc/<pid>/status (VmRSS) every second.

Figure `soak_memory_growth`: RSS growth between second 10 and second 60 of the
load, goal < 20 %, met only when no request failed either; p50/p95/p99 latency
and the RSS samples are in the figure's detail.

Run: `python -m benchmarks.soak [--rate 300] [--seconds 60] [--no-record]` (Linux).
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.results import Figure, print_figures, record
from functions import constants as c
from local.generator import DEFAULT_CHAT_ID, iter_updates

ROOT = Path(__file__).resolve().parents[1]
SECRET = "soak-secret_0123456789"  # noqa: S105 - a throwaway local secret
GOAL_GROWTH = 0.20
_URL = re.compile(r"webhook URL: http://127\.0\.0\.1:(\d+)/")
_SUMMARY = re.compile(r"served .*")


@dataclass(frozen=True)
class SoakConfig:
    """Rate, duration, and the second from which memory growth is measured."""

    rate: float = 300.0
    seconds: float = 60.0
    baseline_second: float = 10.0
    concurrency: int = 16
    seed: int = 3


@dataclass
class SoakResult:
    """Requests, failures, latency and the server's memory over the run."""

    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    achieved_rate: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0
    latency_max_ms: float = 0.0
    rss_baseline_kib: int = 0
    rss_end_kib: int = 0
    rss_growth: float = 0.0
    rss_samples_kib: list[tuple[float, int]] = field(default_factory=list)
    server_summary: str = ""
    server_exit_code: int | None = None


def rss_kib(pid: int) -> int:
    """The process's resident set size in KiB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class MemorySampler(threading.Thread):
    """Reads a process's RSS every second, timed from `start_at`."""

    def __init__(self, pid: int, start_at: float) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.start_at = pid, start_at
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((round(time.monotonic() - self.start_at, 2), rss_kib(self.pid)))
            self.stop.wait(1.0)

    def at(self, second: float) -> int:
        """The sample taken closest to `second`."""
        return min(self.samples, key=lambda sample: abs(sample[0] - second))[1]


def serve_command(lake: Path, chat_ids: str, secret: str, *extra: str) -> list[str]:
    """The command line of `tgpipe serve` on a free loopback port (the e2e tests' too)."""
    return [
        sys.executable,
        "-m",
        "scripts.cli",
        "serve",
        "--lake",
        str(lake),
        "--port",
        "0",
        "--chat-ids",
        chat_ids,
        "--secret",
        secret,
        *extra,
    ]


def start_server(lake: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`tgpipe serve` on a free port with default buffering; returns it and its port."""
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        serve_command(lake, str(DEFAULT_CHAT_ID), SECRET),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log.close()  # the child holds its own descriptor
    deadline = time.monotonic() + 60
    while not (match := _URL.search(log_path.read_text(encoding="utf-8", errors="replace"))):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"serve did not start: {log_path.read_text(errors='replace')}")
        time.sleep(0.02)
    return process, int(match.group(1))


def paced_load(
    port: int, bodies: list[bytes], config: SoakConfig, start_at: float
) -> tuple[Counter[str], list[float]]:
    """Send body n at start_at + n / rate from a pool of keep-alive connections."""
    due: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", c.SECRET_HEADER: SECRET}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (item := due.get()) is not None:
            due_at, body = item
            try:
                connection.request("POST", c.WEBHOOK_PATH, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                outcome = "connection error"
            latency_ms = (time.monotonic() - due_at) * 1000
            with lock:
                statuses[outcome] += 1
                latencies.append(latency_ms)
        connection.close()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(config.concurrency)]
    for thread in workers:
        thread.start()
    for number, body in enumerate(bodies):
        due_at = start_at + number / config.rate
        pause = due_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        due.put((due_at, body))
    for _ in workers:
        due.put(None)
    for thread in workers:
        thread.join()
    return statuses, latencies


def run_soak(config: SoakConfig, workdir: Path) -> SoakResult:
    """One soak run against a fresh lake in `workdir`."""
    count = int(config.rate * config.seconds)
    bodies = [u.body for u in iter_updates(count, seed=config.seed)]
    log_path = workdir / "serve.log"
    process, port = start_server(workdir / "lake", log_path)
    result = SoakResult()
    try:
        start_at = time.monotonic() + 0.5
        sampler = MemorySampler(process.pid, start_at)
        sampler.start()
        statuses, latencies = paced_load(port, bodies, config, start_at)
        elapsed = time.monotonic() - start_at
        sampler.stop.set()
        sampler.join()
    finally:
        process.send_signal(signal.SIGTERM)
        result.server_exit_code = process.wait(timeout=120)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    result.requests = len(latencies)
    result.statuses = dict(sorted(statuses.items()))
    result.errors = sum(n for status, n in statuses.items() if status != "200")
    result.achieved_rate = round(result.requests / elapsed, 1)
    result.latency_p50_ms = round(cuts[49], 2)
    result.latency_p95_ms = round(cuts[94], 2)
    result.latency_p99_ms = round(cuts[98], 2)
    result.latency_max_ms = round(max(latencies), 2)
    result.rss_baseline_kib = sampler.at(config.baseline_second)
    result.rss_end_kib = sampler.at(config.seconds)
    result.rss_growth = round(
        (result.rss_end_kib - result.rss_baseline_kib) / result.rss_baseline_kib, 4
    )
    result.rss_samples_kib = sampler.samples[::5]
    summary = _SUMMARY.search(log_path.read_text(encoding="utf-8", errors="replace"))
    result.server_summary = summary.group(0) if summary else ""
    return result


def figure(config: SoakConfig, result: SoakResult) -> Figure:
    """`soak_memory_growth`: RSS growth from second 10 to 60, goal < 20 % and no errors."""
    return Figure(
        name="soak_memory_growth",
        value=round(result.rss_growth * 100, 2),
        unit="% RSS growth (s10 to s60)",
        goal=f"< {GOAL_GROWTH:.0%} and no failed request",
        met=result.rss_growth < GOAL_GROWTH and result.errors == 0,
        detail={"config": asdict(config), **asdict(result)},
    )


def main(argv: list[str] | None = None) -> int:
    """Run the soak benchmark, print it and record `soak_memory_growth`."""
    parser = argparse.ArgumentParser(description="tgpipe serve under steady load")
    defaults = SoakConfig()
    parser.add_argument("--rate", type=float, default=defaults.rate, help="updates per second")
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--no-record", action="store_true", help="do not write results.json")
    args = parser.parse_args(argv)
    config = SoakConfig(rate=args.rate, seconds=args.seconds)
    with tempfile.TemporaryDirectory(prefix="tgpipe-soak-") as scratch:
        result = run_soak(config, Path(scratch))
    print(
        f"{result.requests} requests at {result.achieved_rate}/s: {result.statuses}; "
        f"latency ms p50 {result.latency_p50_ms} p95 {result.latency_p95_ms} "
        f"p99 {result.latency_p99_ms} max {result.latency_max_ms}"
    )
    print(
        f"server RSS {result.rss_baseline_kib} KiB at {config.baseline_second:g} s, "
        f"{result.rss_end_kib} KiB at {config.seconds:g} s ({result.rss_growth:+.1%}); "
        f"{result.server_summary} (exit {result.server_exit_code})"
    )
    soak = figure(config, result)
    print_figures([soak])
    if not args.no_record:
        record([soak])
    return 0 if soak.met else 1


if __name__ == "__main__":
    sys.exit(main())
