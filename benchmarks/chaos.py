"""The chaos run: nothing acknowledged is lost while the stack fails and is killed.

`tgpipe serve` runs as a real process with injected faults (20 % of delivery-stream
puts fail, 10 % of raw-archive writes fail) and is SIGKILLed and restarted three
times at random moments, while a client that behaves like Telegram sends 5,000
generated updates (with Telegram's redeliveries) over HTTP: every update is
re-sent with exponential backoff until it is answered 2xx. After a clean stop the
lake is searched for every acknowledged update id: in `messages_unique`, in the
raw archive and in the error prefixes. An acknowledged update found nowhere is
lost; the figure `chaos_lost` must be 0.

The webhook's delivery budget is cut to 0.1 s (DELIVERY_BUDGET_SECONDS) so some
put failures exhaust it and the webhook answers 503, which exercises Telegram's
redelivery as well as the webhook's own retries.

Run: `python -m benchmarks.chaos [--updates N] [--kills K] [--seed S] [--no-record]`.
tests/e2e/test_chaos.py runs a smaller version in `make test`.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from benchmarks.results import Figure, print_figures, record
from functions import constants as c
from functions import jsoncodec
from local.generator import DEFAULT_CHAT_ID, GeneratedUpdate, generate_updates

ROOT = Path(__file__).resolve().parents[1]
SECRET = "chaos-secret_0123456789"  # noqa: S105 - a throwaway local secret
_START_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 120.0
#: What `tgpipe serve` prints when it starts with records left in its spool.
_RECOVERED = re.compile(r"recovered (\d+) spooled updates")


@dataclass(frozen=True)
class ChaosConfig:
    """The knobs of one chaos run (defaults: the issue's full run)."""

    updates: int = 5000
    kills: int = 3
    fail_put_rate: float = 0.2
    fail_archive_rate: float = 0.1
    archiver_timeout_rate: float = 0.0
    duplicate_share: float = 0.05
    concurrency: int = 16
    seed: int = 1
    buffer_seconds: float = 1.0
    delivery_budget_seconds: float = 0.1
    #: How long the client keeps re-sending one update (Telegram: about 24 hours).
    patience_seconds: float = 120.0
    backoff_base_seconds: float = 0.05
    backoff_cap_seconds: float = 2.0


@dataclass
class ChaosResult:
    """What was sent and acknowledged, and where the acknowledged updates were found."""

    sent: int = 0
    requests: int = 0
    acknowledged: int = 0
    expected: int = 0
    ignored: int = 0
    in_messages_unique: int = 0
    in_raw_archive: int = 0
    in_error_prefixes: int = 0
    lost: int = 0
    gave_up: int = 0
    kills: int = 0
    #: Acknowledged updates the restarted servers found in their spool (proof the kills hit).
    recovered_after_kills: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    lost_ids: list[int] = field(default_factory=list)


def free_port() -> int:
    """A port on 127.0.0.1 that is free now (reused across the server's restarts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServeProcess:
    """`tgpipe serve` with faults on a fixed port, started, killed and restarted at will."""

    def __init__(self, lake: Path, port: int, config: ChaosConfig, logs: Path) -> None:
        self.lake, self.port, self.config, self.logs = lake, port, config, logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Start (or restart) the server and wait until it serves."""
        self.starts += 1
        log_path = self.logs / f"serve-{self.starts}.log"
        self._log = log_path.open("wb")
        command = [
            sys.executable,
            "-m",
            "scripts.cli",
            "serve",
            "--lake",
            str(self.lake),
            "--port",
            str(self.port),
            "--chat-ids",
            str(DEFAULT_CHAT_ID),
            "--secret",
            SECRET,
            "--buffer-seconds",
            str(self.config.buffer_seconds),
            "--fail-put-rate",
            str(self.config.fail_put_rate),
            "--fail-archive-rate",
            str(self.config.fail_archive_rate),
            "--archiver-timeout-rate",
            str(self.config.archiver_timeout_rate),
            # A new fault sequence for every life of the server.
            "--fault-seed",
            str(self.config.seed * 100 + self.starts),
        ]
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            c.ENV_DELIVERY_BUDGET_SECONDS: str(self.config.delivery_budget_seconds),
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while b"webhook URL:" not in log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_bytes()[-2000:].decode("utf-8", "replace")
                raise RuntimeError(f"serve did not start (exit {self.process.poll()}): {tail}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no flush, no cleanup, as a crash or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        self._close_log()

    def stop(self) -> int:
        """SIGTERM: flush what is buffered and exit; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._close_log()
        return code

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class TelegramLikeSender:
    """Sends each update until it is answered 2xx, with exponential backoff, as Telegram does."""

    def __init__(self, port: int, config: ChaosConfig) -> None:
        self.port, self.config = port, config
        self.acknowledged: set[int] = set()
        self.statuses: Counter[str] = Counter()
        self.gave_up: list[int] = []
        self.done = 0
        self._lock = threading.Lock()
        self._random = random.Random(config.seed)  # noqa: S311 - jitter, not crypto

    def _jitter(self) -> float:
        with self._lock:
            return self._random.uniform(0.5, 1.0)

    def _post(self, connection: http.client.HTTPConnection, body: bytes) -> int:
        connection.request(
            "POST",
            c.WEBHOOK_PATH,
            body=body,
            headers={"Content-Type": "application/json", c.SECRET_HEADER: SECRET},
        )
        response = connection.getresponse()
        response.read()
        return response.status

    def _deliver(
        self, update: GeneratedUpdate, connection: list[http.client.HTTPConnection]
    ) -> None:
        deadline = time.monotonic() + self.config.patience_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                status = self._post(connection[0], update.body)
                outcome = str(status)
            except (OSError, http.client.HTTPException):
                # Refused while the server is down, or reset by the kill: a new connection.
                connection[0].close()
                connection[0] = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                status, outcome = 0, "connection error"
            with self._lock:
                self.statuses[outcome] += 1
                if 200 <= status < 300:
                    self.acknowledged.add(update.update_id)
                    self.done += 1
                    return
            if time.monotonic() > deadline:
                with self._lock:
                    self.gave_up.append(update.update_id)
                    self.done += 1
                return
            pause = min(
                self.config.backoff_cap_seconds, self.config.backoff_base_seconds * 2**attempt
            )
            time.sleep(pause * self._jitter())

    def run(self, updates: Iterable[GeneratedUpdate]) -> list[threading.Thread]:
        """Start the workers on the updates; returns the threads to join."""
        work: queue.Queue[GeneratedUpdate | None] = queue.Queue()
        for update in updates:
            work.put(update)

        def worker() -> None:
            connection = [http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)]
            while True:
                try:
                    update = work.get_nowait()
                except queue.Empty:
                    break
                if update is None:
                    break
                self._deliver(update, connection)
            connection[0].close()

        threads = [
            threading.Thread(target=worker, daemon=True, name=f"sender-{n}")
            for n in range(self.config.concurrency)
        ]
        for thread in threads:
            thread.start()
        return threads


def _update_id_of(data: bytes) -> int | None:
    try:
        document = jsoncodec.loads(data)
    except jsoncodec.InvalidJson:
        return None
    value = document.get("update_id") if isinstance(document, dict) else None
    return value if isinstance(value, int) else None


def raw_archive_ids(lake: Path) -> set[int]:
    """Update ids of every line of every raw archive object."""
    ids: set[int] = set()
    for path in (lake / "raw" / c.RAW_UPDATES_PREFIX).rglob("*.ndjson.gz"):
        for line in gzip.decompress(path.read_bytes()).split(b"\n"):
            if line.strip() and (the_id := _update_id_of(line)) is not None:
                ids.add(the_id)
    return ids


def error_prefix_ids(lake: Path) -> set[int]:
    """Update ids in Firehose's error records (raw update or shaped row, both carry it)."""
    ids: set[int] = set()
    errors = lake / "data" / c.ERRORS_PREFIX
    if not errors.is_dir():
        return ids
    for path in errors.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        for line in path.read_bytes().splitlines():
            error_record = jsoncodec.loads(line)
            raw = base64.b64decode(error_record.get("rawData") or "")
            if (the_id := _update_id_of(raw)) is not None:
                ids.add(the_id)
    return ids


def messages_unique_ids(lake: Path) -> set[int]:
    """Distinct update ids in the `messages_unique` view (DuckDB over the lake)."""
    from local.query import LocalQueryEngine

    if not any((lake / "data" / c.MESSAGES_PREFIX).rglob("*.parquet")):
        return set()
    with LocalQueryEngine(lake) as engine:
        _, rows = engine.query("SELECT DISTINCT update_id FROM messages_unique")
    return {int(row[0]) for row in rows}


def run_chaos(config: ChaosConfig, workdir: Path, progress: bool = False) -> ChaosResult:
    """One chaos run in `workdir` (the lake and the server logs); returns the counts."""
    lake = workdir / "lake"
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    updates = generate_updates(
        config.updates, seed=config.seed, duplicate_share=config.duplicate_share
    )
    chooser = random.Random(config.seed)  # noqa: S311 - kill moments, not crypto
    kill_points = sorted(chooser.uniform(0.1, 0.9) for _ in range(config.kills))
    port = free_port()
    server = ServeProcess(lake, port, config, logs)
    sender = TelegramLikeSender(port, config)
    result = ChaosResult(sent=len(updates))
    started = time.monotonic()
    server.start()
    threads = sender.run(updates)
    for point in kill_points:
        while sender.done < point * len(updates) and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        time.sleep(chooser.uniform(0.0, 0.2))  # not always right at a boundary
        server.kill()
        result.kills += 1
        if progress:
            print(f"  killed the server at {sender.done}/{len(updates)} updates", file=sys.stderr)
        server.start()
    for thread in threads:
        thread.join()
    server.stop()
    result.elapsed_seconds = time.monotonic() - started

    allowed = {u.update_id for u in updates if u.chat_id == DEFAULT_CHAT_ID}
    expected = sender.acknowledged & allowed
    in_messages = messages_unique_ids(lake)
    in_raw = raw_archive_ids(lake)
    in_errors = error_prefix_ids(lake)
    lost = sorted(expected - in_messages - in_raw - in_errors)
    result.requests = sum(sender.statuses.values())
    result.acknowledged = len(sender.acknowledged)
    result.expected = len(expected)
    result.ignored = len(sender.acknowledged - allowed)
    result.in_messages_unique = len(expected & in_messages)
    result.in_raw_archive = len(expected & in_raw)
    result.in_error_prefixes = len(expected & in_errors)
    result.lost = len(lost)
    result.lost_ids = lost[:20]
    result.gave_up = len(sender.gave_up)
    result.statuses = dict(sorted(sender.statuses.items()))
    result.recovered_after_kills = sum(
        int(match.group(1))
        for log in logs.glob("serve-*.log")
        for match in _RECOVERED.finditer(log.read_text(encoding="utf-8", errors="replace"))
    )
    return result


def figure(config: ChaosConfig, result: ChaosResult) -> Figure:
    """The `chaos_lost` figure (goal 0) with the run's counts as detail."""
    return Figure(
        name="chaos_lost",
        value=result.lost,
        unit="acknowledged updates lost",
        goal="0",
        met=result.lost == 0 and result.gave_up == 0,
        detail={"config": asdict(config), **asdict(result)},
    )


def print_result(result: ChaosResult) -> None:
    """The run's counts, one per line."""
    print(f"sent {result.sent} updates in {result.requests} requests ({result.statuses})")
    print(
        f"server SIGKILLed {result.kills} times ({result.recovered_after_kills} acknowledged "
        f"updates recovered from the spool by the restarts); {result.elapsed_seconds:.1f} s"
    )
    print(
        f"acknowledged {result.acknowledged} distinct update ids "
        f"({result.expected} of the allowed chat, {result.ignored} of a foreign chat)"
    )
    print(f"  in messages_unique: {result.in_messages_unique}")
    print(f"  in the raw archive: {result.in_raw_archive}")
    print(f"  in error prefixes:  {result.in_error_prefixes}")
    print(f"  lost:               {result.lost} {result.lost_ids or ''}")
    if result.gave_up:
        print(f"  never acknowledged (client gave up): {result.gave_up}")


def main(argv: list[str] | None = None) -> int:
    """Run the chaos benchmark, print it and record `chaos_lost`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = ChaosConfig()
    parser.add_argument("--updates", type=int, default=defaults.updates)
    parser.add_argument("--kills", type=int, default=defaults.kills)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workdir", type=Path, help="keep the lake and logs here")
    parser.add_argument("--no-record", action="store_true", help="do not write results.json")
    args = parser.parse_args(argv)
    config = ChaosConfig(updates=args.updates, kills=args.kills, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="tgpipe-chaos-") as scratch:
        workdir = args.workdir or Path(scratch)
        result = run_chaos(config, workdir, progress=True)
    print_result(result)
    chaos = figure(config, result)
    print_figures([chaos])
    if not args.no_record:
        record([chaos])
    return 0 if chaos.met else 1


if __name__ == "__main__":
    sys.exit(main())
