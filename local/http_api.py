"""The local HTTP API: real HTTP on 127.0.0.1 → API Gateway HTTP API payload-2.0 events.

It plays API Gateway's part for the route ``POST /webhook`` (Lambda proxy,
payload format 2.0): header names lowercased and repeated headers joined with
commas, a body that is not text passed base64-encoded, ``requestContext``
filled, the Lambda's ``statusCode``/``headers``/``body`` sent back. Other
routes get API Gateway's ``404 {"message":"Not Found"}``.
"""

from __future__ import annotations

import base64
import errno
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from functions import constants as c
from local.lambda_runtime import LOCAL_ACCOUNT, LambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

ROUTE_KEY = f"POST {c.WEBHOOK_PATH}"
#: API Gateway's own payload limit; the webhook applies its stricter cap (one Firehose record).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: Telegram opens up to 40 connections (max_connections) at once.
LISTEN_BACKLOG = 256
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


class PortInUse(OSError):
    """The port is taken: say so in one line."""


def _is_text(content_type: str) -> bool:
    content_type = content_type.lower()
    return any(content_type.startswith(prefix) for prefix in _TEXT_TYPES) or "+json" in content_type


def build_event(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
) -> dict[str, Any]:
    """A payload-2.0 event as API Gateway HTTP API builds it for a Lambda proxy."""
    lowered: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    split = urlsplit(target)
    now = datetime.now(tz=UTC)
    text_body: str | None = None
    if _is_text(lowered.get("content-type", "")):
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body = None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": ROUTE_KEY,
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": lowered,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": split.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": ROUTE_KEY,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": text_body is None,
    }
    if split.query:
        event["queryStringParameters"] = dict(parse_qsl(split.query, keep_blank_values=True))
    if body:
        event["body"] = text_body if text_body is not None else base64.b64encode(body).decode()
    return event


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's client uses
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs are counted, not printed (they would flood the terminal)."""

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            self._send(
                413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}'
            )
            return
        body = self.rfile.read(length) if length else b""
        if self.command != "POST" or urlsplit(self.path).path != c.WEBHOOK_PATH:
            self._not_found()
            return
        event = build_event(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        try:
            result = self.server.lambda_handler(event, LambdaContext(function_name="webhook"))
        except Exception:  # noqa: BLE001 - API Gateway answers 500 when the Lambda fails
            self.server.count("lambda_errors")
            self._send(
                500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
            )
            return
        status = int(result.get("statusCode", 200))
        self.server.count(str(status))
        raw_body = result.get("body") or ""
        payload = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
        self._send(status, dict(result.get("headers") or {}), payload)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], lambda_handler: Handler) -> None:
        super().__init__(address, _RequestHandler)
        self.lambda_handler = lambda_handler
        self.status_counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> None:
        with self._lock:
            self.status_counts[key] = self.status_counts.get(key, 0) + 1


class LocalHttpApi:
    """A running HTTP API in a background thread; `url` is the webhook URL."""

    def __init__(self, lambda_handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            self._server = _Server((host, port), lambda_handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use: stop what uses it, "
                    "or pass --port 0 to pick a free one"
                ) from None
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http-api", daemon=True
        )
        self.started_at = time.monotonic()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The webhook URL to give to senders."""
        return f"http://127.0.0.1:{self.port}{c.WEBHOOK_PATH}"

    @property
    def status_counts(self) -> dict[str, int]:
        """Responses so far by status code."""
        return dict(self._server.status_counts)

    def start(self) -> LocalHttpApi:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalHttpApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def describe(status_counts: dict[str, int]) -> str:
    """One line of counts by status, for logs and reports."""
    return json.dumps(dict(sorted(status_counts.items())))
