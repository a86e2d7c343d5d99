"""A fake Telegram Bot API on 127.0.0.1 (stdlib http.server in a thread) for poll tests.

getUpdates follows Telegram's documented offset rules: updates wait in a queue;
a call with `offset` confirms (forgets) every update with a lower update_id and
returns the next ones up to `limit`; without `offset` it returns from the oldest
unconfirmed one. When nothing waits it holds the request briefly (a short long
poll) and answers an empty list. Scripted answers (an HTTP error, a dropped
connection) are served first, one per getUpdates call.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: How long an empty getUpdates is held at most (the real one holds `timeout` seconds).
IDLE_HOLD_SECONDS = 0.05


@dataclass(frozen=True)
class Scripted:
    """One scripted getUpdates answer: an HTTP status and JSON body, or a dropped connection."""

    status: int = 200
    body: dict[str, Any] | None = None
    drop: bool = False

    @classmethod
    def error(cls, status: int, description: str, **parameters: Any) -> Scripted:
        """A Bot API error answer, as Telegram shapes it."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return cls(status, body)

    @classmethod
    def dropped(cls) -> Scripted:
        """Close the connection without answering."""
        return cls(drop=True)


CONFLICT_OTHER_POLLER = Scripted.error(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)
CONFLICT_WEBHOOK = Scripted.error(
    409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook first"
)


def too_many_requests(retry_after: int) -> Scripted:
    """Flood control: 429 with parameters.retry_after."""
    return Scripted.error(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )


@dataclass
class FakeBotApi:
    """The server's state: queued updates, the calls made, what was served and confirmed."""

    token: str
    page_size: int = 100
    url: str = ""
    pending: list[dict[str, Any]] = field(default_factory=list)
    script: deque[Scripted] = field(default_factory=deque)
    #: Every getUpdates call's parameters, in order.
    get_updates_calls: list[dict[str, Any]] = field(default_factory=list)
    #: Other methods: (method, parameters).
    other_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    served_ids: list[int] = field(default_factory=list)
    #: For each getUpdates call, the highest update_id served before it (None: none yet).
    highest_served_before: list[int | None] = field(default_factory=list)
    confirmed_ids: set[int] = field(default_factory=set)
    #: Called with (call number from 1, parameters) before a getUpdates is answered;
    #: a Scripted it returns replaces the answer.
    on_get_updates: Callable[[int, dict[str, Any]], Scripted | None] | None = None
    lock: threading.Condition = field(default_factory=threading.Condition)

    def add(self, updates: list[dict[str, Any]]) -> None:
        """Queue updates (update_ids increasing), waking a held getUpdates."""
        with self.lock:
            self.pending.extend(updates)
            self.lock.notify_all()

    def offsets(self) -> list[int | None]:
        """The offset of each getUpdates call (None when it sent none)."""
        return [call.get("offset") for call in self.get_updates_calls]

    def confirm(self, offset: int | None) -> None:
        """Forget the updates below `offset`, as Telegram does when a call carries it."""
        if offset is None:
            return
        with self.lock:
            self.confirmed_ids.update(
                u["update_id"] for u in self.pending if u["update_id"] < offset
            )
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def get_updates(self, parameters: dict[str, Any]) -> Scripted:
        """Telegram's getUpdates rules over the queue."""
        limit = min(int(parameters.get("limit", 100)), self.page_size)
        self.confirm(parameters.get("offset"))
        with self.lock:
            if not self.pending and parameters.get("timeout", 0):
                self.lock.wait(IDLE_HOLD_SECONDS)
            page = self.pending[:limit]
            self.served_ids.extend(u["update_id"] for u in page)
        return Scripted(200, {"ok": True, "result": page})


def _handler(fake: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parameters = json.loads(body or b"{}")
            prefix, _, method = self.path.rpartition("/")
            if prefix != f"/bot{fake.token}":
                self._answer(
                    Scripted.error(401, "Unauthorized")
                    if prefix.startswith("/bot")
                    else Scripted.error(404, "Not Found")
                )
                return
            if method != "getUpdates":
                fake.other_calls.append((method, parameters))
                self._answer(Scripted(200, fake.answers.get(method, {"ok": True, "result": True})))
                return
            with fake.lock:
                fake.get_updates_calls.append(parameters)
                fake.highest_served_before.append(max(fake.served_ids, default=None))
                number = len(fake.get_updates_calls)
                scripted = fake.script.popleft() if fake.script else None
            if fake.on_get_updates is not None:
                scripted = fake.on_get_updates(number, parameters) or scripted
            self._answer(scripted if scripted is not None else fake.get_updates(parameters))

        def _answer(self, answer: Scripted) -> None:
            if answer.drop:
                self.close_connection = True
                return  # No status line at all: the client sees the connection close.
            encoded = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            # The poller may have stopped (or been killed) while this call was held.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # The request line holds the token; keep it out of test output.

    return Handler


@contextmanager
def running(fake: FakeBotApi) -> Iterator[FakeBotApi]:
    """Serve `fake` on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
