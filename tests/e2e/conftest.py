"""Helpers for end-to-end tests: a real `tgpipe serve` process on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.soak import serve_command

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret_0123456789"


@contextmanager
def serve_process(
    lake: Path, chat_ids: str, *extra: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start `tgpipe serve` on a free port; yield (process, webhook URL); stop it at the end."""
    process = subprocess.Popen(
        serve_command(lake, chat_ids, SECRET, *extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = _read_url(process)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _read_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"serve exited early: {stderr[-2000:]}")
        match = re.search(r"webhook URL: (\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError("serve did not print its URL")
