"""A bare stdlib HTTP server that answers 200 to every POST: the baseline of `http_ingest`.

The same server classes `tgpipe serve` builds on (ThreadingHTTPServer, HTTP/1.1
keep-alive, Nagle off, the same listen backlog), reading each body and answering
an empty 200, with nothing behind it: the ratio shows what the webhook, the
spool and the lake cost on top of Python's own HTTP handling.

    python -m benchmarks.baselines.bare_server   # prints its URL, serves until SIGTERM
"""

from __future__ import annotations

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from local.http_api import LISTEN_BACKLOG


class _Answer200(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_POST(self) -> None:
        """Read the body, answer 200 with an empty body."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "0")
        self.end_headers()


class BareServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with the local HTTP API's backlog."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG


def main() -> int:
    """Serve on a free port of 127.0.0.1 until SIGTERM/SIGINT."""
    server = BareServer(("127.0.0.1", 0), _Answer200)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"webhook URL: http://127.0.0.1:{server.server_address[1]}/webhook", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
