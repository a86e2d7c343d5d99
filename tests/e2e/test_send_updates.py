"""`tgpipe send-updates` against a real HTTP server on 127.0.0.1 that records every request."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from functions.constants import SECRET_HEADER
from local.generator import generate_updates, write_ndjson
from scripts.cli import main
from scripts.webhook_sender import SendReport, TargetUnreachable, send_updates
from tests.helpers import GROUP_ID, compact_bytes, event_bytes

SECRET = "s3cr3t-Token_for-tests"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """What the server saw, filled from its handler threads."""

    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> Counter[bytes]:
        return Counter(request.body for request in self.requests)


#: Decides the answer for a body: a status, or None to drop the connection unanswered.
Policy = Callable[[bytes], "int | None"]


def always_ok(_body: bytes) -> int | None:
    return 200


@contextmanager
def recording_server(
    policy: Policy = always_ok, *, keep_alive: bool = True, close_after_each: bool = False
) -> Iterator[tuple[str, Recorder]]:
    """A webhook stand-in on 127.0.0.1:<free port>; yields its URL and its recorder."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm
            # and delayed ACKs add ~40 ms to every keep-alive exchange.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with recorder.lock:
                recorder.connections += 1

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with recorder.lock:
                recorder.requests.append(
                    Received(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
            status = policy(body)
            if status is None:
                self.close_connection = True
                return
            answer = b'{"ok":true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            if close_after_each:
                # As a server with a short idle timeout: closes without saying so.
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhook", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def update_id_of(body: bytes) -> int:
    update_id: int = json.loads(body)["update_id"]
    return update_id


def fail_every_seventh(body: bytes) -> int | None:
    return 503 if update_id_of(body) % 7 == 0 else 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_every_update_arrives_once_per_send_with_the_secret_over_keep_alive() -> None:
    updates = generate_updates(300, chat_id=GROUP_ID, seed=5)
    with recording_server() as (url, recorder):
        report = send_updates(url, (u.body for u in updates), secret=SECRET, concurrency=4)

    # Redeliveries are sent (and so arrive) as often as the generator made them.
    assert recorder.bodies() == Counter(u.body for u in updates)
    assert any(u.is_duplicate for u in updates)
    for request in recorder.requests:
        assert request.path == "/webhook"
        assert request.headers[SECRET_HEADER.lower()] == SECRET
        assert request.headers["content-type"] == "application/json"
    assert report.sent == 300
    assert report.status_counts == {200: 300}
    assert report.connection_errors == 0
    assert report.failed == 0
    # Keep-alive: one connection per worker, not one per update.
    assert report.connections_opened == recorder.connections
    assert 1 <= recorder.connections <= 4
    assert report.latency_p50_ms is not None
    assert report.latency_p95_ms is not None
    assert report.latency_p99_ms is not None
    assert 0 < report.latency_p50_ms <= report.latency_p95_ms <= report.latency_p99_ms
    assert report.updates_per_second > 0


def test_non_2xx_answers_are_counted_as_failures() -> None:
    updates = generate_updates(150, chat_id=GROUP_ID, seed=2)
    expected_503 = sum(u.update_id % 7 == 0 for u in updates)
    with recording_server(fail_every_seventh) as (url, recorder):
        report = send_updates(url, (u.body for u in updates), secret=SECRET, concurrency=3)

    assert expected_503 > 0
    assert report.status_counts == {200: 150 - expected_503, 503: expected_503}
    assert report.failed == expected_503
    assert recorder.bodies() == Counter(u.body for u in updates)


def test_a_server_closing_idle_connections_silently_loses_nothing() -> None:
    updates = generate_updates(60, chat_id=GROUP_ID, seed=8, duplicate_share=0.0)
    with recording_server(close_after_each=True) as (url, recorder):
        report = send_updates(url, (u.body for u in updates), secret=SECRET, concurrency=2)

    # Each stale connection fails before the server reads anything: retried once, sent once.
    assert recorder.bodies() == Counter(u.body for u in updates)
    assert report.status_counts == {200: 60}
    assert report.connection_errors == 0
    assert report.connections_opened == recorder.connections == 60


def test_http_1_0_servers_get_a_new_connection_per_update() -> None:
    updates = generate_updates(20, chat_id=GROUP_ID, seed=8)
    with recording_server(keep_alive=False) as (url, recorder):
        report = send_updates(url, (u.body for u in updates), concurrency=2)

    assert report.status_counts == {200: 20}
    assert report.connections_opened == recorder.connections == 20
    assert all(SECRET_HEADER.lower() not in r.headers for r in recorder.requests)


def test_requests_dropped_without_an_answer_are_connection_errors() -> None:
    updates = generate_updates(40, chat_id=GROUP_ID, seed=4, duplicate_share=0.0)
    dropped = {u.update_id for u in updates[::10]}
    with recording_server(lambda b: None if update_id_of(b) in dropped else 200) as (url, _):
        report = send_updates(url, (u.body for u in updates), secret=SECRET, concurrency=2)

    assert report.connection_errors == len(dropped)
    assert report.status_counts == {200: 40 - len(dropped)}
    assert report.sent == 40
    assert report.failed == len(dropped)


def test_an_unreachable_url_raises_before_sending_anything() -> None:
    with pytest.raises(TargetUnreachable, match="cannot connect"):
        send_updates(f"http://127.0.0.1:{free_port()}/webhook", [b"{}"])


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["send-updates", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_sends_generated_updates_with_the_secret_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TGPIPE_WEBHOOK_SECRET", SECRET)
    expected = Counter(u.body for u in generate_updates(120, chat_id=GROUP_ID, seed=11))
    with recording_server() as (url, recorder):
        code, out, err = run_cli(capsys, "--url", url, "--count", "120", "--seed", "11")

    assert code == 0
    assert recorder.bodies() == expected
    assert {r.headers[SECRET_HEADER.lower()] for r in recorder.requests} == {SECRET}
    assert "sent 120 updates" in out
    assert "HTTP 200: 120" in out
    assert "connection errors: 0" in out
    assert re.search(r"latency ms: p50 \d+\.\d  p95 \d+\.\d  p99 \d+\.\d\n", out)
    assert SECRET not in out + err
    assert err == ""


def test_cli_exits_1_when_some_requests_fail(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    updates = generate_updates(100, chat_id=GROUP_ID, seed=0)
    expected_503 = sum(u.update_id % 7 == 0 for u in updates)
    with recording_server(fail_every_seventh) as (url, recorder):
        code, out, err = run_cli(
            capsys, "--url", url, "--count", "100", "--secret-env", "HOOK_SECRET"
        )

    assert code == 1
    assert f"HTTP 503: {expected_503}" in out
    assert f"{expected_503} of 100 requests failed" in err
    assert len(recorder.requests) == 100


def test_cli_sends_an_ndjson_file_byte_for_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    updates = generate_updates(30, chat_id=GROUP_ID, seed=3)
    path = tmp_path / "updates.ndjson"
    write_ndjson(path, updates)
    with recording_server() as (url, recorder):
        code, out, _ = run_cli(capsys, "--url", url, "--secret", SECRET, "--file", str(path))

    assert code == 0
    assert recorder.bodies() == Counter(u.body for u in updates)
    assert "HTTP 200: 30" in out


def test_cli_sends_a_pretty_printed_update_compact_as_telegram_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "one.json"
    path.write_bytes(event_bytes("message_text_entities"))
    with recording_server() as (url, recorder):
        code, _, _ = run_cli(capsys, "--url", url, "--secret", SECRET, "--file", str(path))

    assert code == 0
    assert [r.body for r in recorder.requests] == [compact_bytes("message_text_entities")]


def test_cli_names_the_bad_line_of_a_file_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.ndjson"
    good = generate_updates(3, chat_id=GROUP_ID)
    path.write_bytes(good[0].body + b"\n" + good[1].body + b"\n{not json\n" + good[2].body)
    with recording_server() as (url, recorder):
        code, _, err = run_cli(capsys, "--url", url, "--secret", SECRET, "--file", str(path))

    assert code == 2
    assert f"{path}:3: not valid JSON" in err
    assert len(err.strip().splitlines()) == 1
    assert recorder.requests == []


def test_cli_reports_an_unreachable_url_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    code, out, err = run_cli(capsys, "--url", url, "--secret", SECRET, "--count", "5")

    assert code == 1
    assert err.strip().splitlines() == [
        f"tgpipe send-updates: cannot connect to {url.removesuffix('/webhook')}: Connection refused"
    ]
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--url", "ftp://127.0.0.1/webhook"], "not an http(s) URL"),
        (["--url", "http://127.0.0.1:1/x", "--secret", "has space"], "secret must be"),
        (["--url", "http://127.0.0.1:1/x", "--secret-env", "TGPIPE_TEST_UNSET"], "is not set"),
        (["--url", "http://127.0.0.1:1/x", "--secret", "s", "--count", "0"], "--count"),
        (["--url", "http://127.0.0.1:1/x", "--secret", "s", "--concurrency", "0"], "--concurrency"),
    ],
)
def test_cli_usage_errors_are_one_line_with_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("TGPIPE_TEST_UNSET", raising=False)
    code, _, err = run_cli(capsys, *argv)

    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_report_properties_follow_the_counts() -> None:
    report = SendReport(
        sent=10,
        status_counts={200: 6, 204: 1, 503: 2},
        connection_errors=1,
        connections_opened=2,
        elapsed_seconds=2.0,
        latency_p50_ms=1.0,
        latency_p95_ms=2.0,
        latency_p99_ms=3.0,
    )
    assert report.succeeded == 7
    assert report.failed == 3
    assert report.updates_per_second == 5.0
