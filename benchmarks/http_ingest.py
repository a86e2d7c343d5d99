"""http_ingest: 20,000 updates over loopback from `send-updates` (16 clients) into `tgpipe serve`.

`tgpipe serve` runs as its own process (as a user runs it); the in-process
`send_updates()` of `tgpipe send-updates` posts the generated updates with 16
keep-alive connections. After the run the server is stopped with SIGTERM (it
flushes) and the raw archive is read back: every update of the allowed chat
that was answered 2xx must be in it (lost = acknowledged but not archived).
The baseline is a bare stdlib server answering 200 (benchmarks/baselines/
bare_server.py) under the same client, run right after.

    python -m benchmarks.http_ingest
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, main, progress, rounded, scaled
from benchmarks.results import Figure
from functions import jsoncodec
from local.generator import DEFAULT_CHAT_ID, generate_updates
from scripts.webhook_sender import SendReport, send_updates

UPDATES = scaled(20_000)
CONCURRENCY = 16
SECRET = "bench-http-secret"  # noqa: S105 - a throwaway local value
GOAL_PER_SECOND = 2_000
GOAL_P99_MS = 50.0
GOAL_BARE_RATIO = 0.5
_URL_LINE = re.compile(r"webhook URL: (http://127\.0\.0\.1:\d+/\S*)")
_START_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 120.0


def _start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start a server process and read its webhook URL from its first lines."""
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        match = _URL_LINE.search(line)
        if match:
            return server, match.group(1)
    server.kill()
    raise RuntimeError(f"{' '.join(command[:4])} did not print its URL")


def _stop(server: subprocess.Popen[str]) -> str:
    """SIGTERM (the server flushes), wait, and return the rest of its output."""
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=_STOP_TIMEOUT_SECONDS)
    return output


def _archived_update_ids(lake: Path) -> set[int]:
    ids: set[int] = set()
    for path in (lake / "raw").rglob("*.ndjson.gz"):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            if line.strip():
                ids.add(int(jsoncodec.loads(line)["update_id"]))
    return ids


def _report_detail(report: SendReport) -> dict[str, Any]:
    return {
        "updates_per_second": rounded(report.updates_per_second),
        "p50_ms": rounded(report.latency_p50_ms or 0.0),
        "p99_ms": rounded(report.latency_p99_ms or 0.0),
        "statuses": {str(k): v for k, v in report.status_counts.items()},
        "connection_errors": report.connection_errors,
        "connections_opened": report.connections_opened,
    }


def measure() -> list[Figure]:
    """Updates/s, p99, lost and connection errors into `tgpipe serve`; ratio to the bare server."""
    updates = generate_updates(UPDATES)
    bodies = [update.body for update in updates]
    wanted = {u.update_id for u in updates if u.chat_id == DEFAULT_CHAT_ID}
    env = {**os.environ, "TGPIPE_WEBHOOK_SECRET": SECRET}
    with tempfile.TemporaryDirectory(prefix="tgpipe-bench-http-") as scratch:
        lake = Path(scratch) / "lake"
        progress(f"http_ingest: {UPDATES:,} updates, {CONCURRENCY} clients, into `tgpipe serve`")
        serve_command = [
            sys.executable, "-m", "scripts.cli", "serve", "--lake", str(lake), "--port", "0",
            "--chat-ids", str(DEFAULT_CHAT_ID),
        ]  # fmt: skip
        server, url = _start(serve_command, env)
        try:
            ours = send_updates(url, bodies, secret=SECRET, concurrency=CONCURRENCY)
        finally:
            _stop(server)
        archived = _archived_update_ids(lake)
        progress("http_ingest: the same client against a bare stdlib server")
        bare_server, bare_url = _start(
            [sys.executable, "-m", "benchmarks.baselines.bare_server"], env
        )
        try:
            bare = send_updates(bare_url, bodies, secret=SECRET, concurrency=CONCURRENCY)
        finally:
            _stop(bare_server)
    acknowledged = ours.succeeded
    # Every allowed-chat update was sent once; one answered 2xx and missing from the archive is
    # lost (a non-2xx would be redelivered by Telegram: also counted here, as it never landed).
    lost = len(wanted - archived)
    p99 = ours.latency_p99_ms or 0.0
    ratio = ours.updates_per_second / bare.updates_per_second
    met = (
        ours.updates_per_second >= GOAL_PER_SECOND
        and p99 <= GOAL_P99_MS
        and lost == 0
        and ours.connection_errors == 0
        and ratio >= GOAL_BARE_RATIO
    )
    return [
        Figure(
            name="http_ingest",
            value=rounded(ours.updates_per_second),
            unit="updates/s",
            goal=f">= {GOAL_PER_SECOND:,}/s, p99 <= {GOAL_P99_MS:g} ms, lost 0, connection "
            f"errors 0, >= {GOAL_BARE_RATIO} × bare stdlib server",
            met=met,
            baseline={
                "name": "bare stdlib ThreadingHTTPServer answering 200 (benchmarks/baselines/"
                "bare_server.py), same client",
                "value": rounded(bare.updates_per_second),
                "unit": "updates/s",
                "ratio": rounded(ratio, 3),
                **_report_detail(bare),
            },
            detail={
                **_report_detail(ours),
                "updates": UPDATES,
                "concurrency": CONCURRENCY,
                "acknowledged": acknowledged,
                "allowed_chat_updates": len(wanted),
                "archived": len(archived & wanted),
                "lost": lost,
                "bound": "per request the server builds the API Gateway event, runs the "
                "Powertools-decorated webhook handler and waits for the spool's fsync, all "
                "under one interpreter lock with the HTTP threads; the bare server only "
                "parses HTTP",
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
