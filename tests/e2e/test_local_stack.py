"""The local stack end to end: real HTTP on loopback, real processes, real Parquet."""

from __future__ import annotations

import gzip
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from functions.routing import SHAPERS, tables_for
from glue_schema import DELIVERED_TABLES
from local.generator import DEFAULT_CHAT_ID, GeneratedUpdate, generate_updates, write_ndjson
from local.query import LocalQueryEngine
from scripts.cli import main
from scripts.webhook_sender import send_updates
from tests.e2e.conftest import SECRET, serve_process


def parquet_update_ids(lake: Path) -> list[int]:
    files = sorted((lake / "data" / "messages").rglob("*.parquet"))
    return [i for f in files for i in pq.read_table(f, columns=["update_id"]).column(0).to_pylist()]


def landed_ids(lake: Path) -> dict[str, set[int]]:
    """update_ids with rows in each delivered table's Parquet."""
    landed = {}
    for table in DELIVERED_TABLES:
        files = sorted((lake / "data" / table.name).rglob("*.parquet"))
        landed[table.name] = {
            i for f in files for i in pq.read_table(f, columns=["update_id"]).column(0).to_pylist()
        }
    return landed


def expected_ids(updates: list[GeneratedUpdate]) -> dict[str, set[int]]:
    """update_ids each table should hold: the tables each update feeds, where it has rows."""
    expected: dict[str, set[int]] = {table.name: set() for table in DELIVERED_TABLES}
    for update in updates:
        decoded = json.loads(update.body)
        for table in tables_for(decoded):
            if SHAPERS[table](decoded, 0):
                expected[table].add(update.update_id)
    return expected


def raw_lines(lake: Path) -> list[bytes]:
    objects = sorted((lake / "raw" / "updates").rglob("*.ndjson.gz"))
    return [line for o in objects for line in gzip.decompress(o.read_bytes()).split(b"\n") if line]


def allowed(updates: list[GeneratedUpdate]) -> list[GeneratedUpdate]:
    return [u for u in updates if u.chat_id == DEFAULT_CHAT_ID]


def test_updates_sent_over_http_land_as_parquet_and_raw(tmp_path: Path) -> None:
    # GIVEN a running `tgpipe serve` and 400 generated updates (foreign chats, redeliveries)
    updates = generate_updates(400, seed=3)
    with serve_process(tmp_path, str(DEFAULT_CHAT_ID)) as (process, url):
        # WHEN they are sent over real HTTP and the server is stopped with SIGTERM
        report = send_updates(url, [u.body for u in updates], secret=SECRET, concurrency=8)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        stdout = process.stdout.read() if process.stdout else ""
    # THEN every update was answered 200, and each accepted one is in Parquet and raw
    assert report.status_counts == {200: len(updates)}
    # AND the server said what it kept and that starting it again is safe
    assert "stopped: every acknowledged update is in the lake; running serve again" in stdout
    # (messages, member_events and reactions: each update in every table it feeds)
    kept = allowed(updates)
    expected = expected_ids(kept)
    assert all(expected.values())  # the traffic had every kind
    assert landed_ids(tmp_path) == expected
    assert sorted(raw_lines(tmp_path)) == sorted(u.body for u in kept)


def post(url: str, body: bytes, connection: http.client.HTTPConnection) -> int:
    connection.request(
        "POST",
        urlsplit(url).path,
        body=body,
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    response = connection.getresponse()
    response.read()
    return response.status


def test_sigkill_during_serve_loses_no_acknowledged_update(tmp_path: Path) -> None:
    updates = allowed(generate_updates(600, seed=11, duplicate_share=0.0))
    acknowledged: list[GeneratedUpdate] = []
    # GIVEN a server with a long buffer interval, so acknowledged updates sit in its buffer
    with serve_process(tmp_path, str(DEFAULT_CHAT_ID), "--buffer-seconds", "600") as (process, url):
        host = urlsplit(url)
        killed = threading.Event()
        connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
        for number, update in enumerate(updates):
            # WHEN it is SIGKILLed in the middle of the stream
            if number == 350:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                killed.set()
            try:
                if post(url, update.body, connection) == 200:
                    acknowledged.append(update)
            except OSError:
                break
        assert killed.is_set()
    assert len(acknowledged) >= 350
    # THEN after a restart (which replays the spool) every acknowledged update is in the lake
    with serve_process(tmp_path, str(DEFAULT_CHAT_ID)) as (process, _url):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    landed = landed_ids(tmp_path)
    for table, ids in expected_ids(acknowledged).items():
        assert ids - landed[table] == set(), table
    assert {u.body for u in acknowledged} <= set(raw_lines(tmp_path))


def test_ingest_of_ten_thousand_updates_with_redeliveries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN 10,000 generated updates with Telegram-style redeliveries, as NDJSON
    updates = generate_updates(10_000, seed=5, duplicate_share=0.05)
    source = tmp_path / "updates.ndjson"
    write_ndjson(source, updates)
    lake = tmp_path / "lake"
    # WHEN they are ingested
    code = main(["ingest", str(source), "--lake", str(lake), "--chat-ids", str(DEFAULT_CHAT_ID)])
    assert code == 0
    kept = allowed(updates)
    out = capsys.readouterr().out
    assert f"accepted {len(kept)}, ignored {len(updates) - len(kept)}" in out
    # THEN messages_unique has one row per distinct accepted update id
    with LocalQueryEngine(lake) as engine:
        _, rows = engine.query("SELECT count(*), count(DISTINCT update_id) FROM messages_unique")
    distinct = expected_ids(kept)["messages"]
    assert rows[0] == (len(distinct), len(distinct))
    assert landed_ids(lake) == expected_ids(kept)
    # AND every accepted update is in the raw archive byte for byte
    archived = set(raw_lines(lake))
    assert all(u.body in archived for u in kept)
    assert any(u.is_duplicate for u in kept)


def test_ingest_reports_bad_lines_with_file_and_line_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = generate_updates(3, seed=1, foreign_share=0.0, duplicate_share=0.0)
    source = tmp_path / "mixed.ndjson"
    source.write_bytes(
        good[0].body + b"\n{not json\n" + good[1].body + b"\n[1,2]\n" + good[2].body + b"\n"
    )
    code = main(
        [
            "ingest",
            str(source),
            "--lake",
            str(tmp_path / "lake"),
            "--chat-ids",
            str(DEFAULT_CHAT_ID),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert f"{source}:2:" in captured.err
    assert f"{source}:4:" in captured.err
    assert "Traceback" not in captured.err
    assert "accepted 3, ignored 0, rejected 2" in captured.out
    assert landed_ids(tmp_path / "lake") == expected_ids(good)


def test_ingest_without_chat_ids_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TGPIPE_CHAT_IDS", raising=False)
    source = tmp_path / "u.json"
    source.write_bytes(b"{}")
    assert main(["ingest", str(source), "--lake", str(tmp_path / "lake")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--chat-ids" in err


def test_serve_on_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.cli",
                "serve",
                "--lake",
                str(tmp_path),
                "--port",
                str(port),
                "--chat-ids",
                "-100",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "demo"
    assert main(["demo", "--lake", str(lake), "--count", "1000"]) == 0
    out = capsys.readouterr().out
    assert "messages_unique" in out
    assert "error records 0" in out
    assert parquet_update_ids(lake)
    dashboard = (lake / "dashboard.html").resolve()
    assert f"dashboard     {dashboard}" in out
    assert dashboard.read_text(encoding="utf-8").count("<svg") >= 10


def test_the_demos_window_fits_its_data_and_its_report_matches_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from local.query import LocalQueryEngine

    lake = tmp_path / "demo"
    assert main(["demo", "--lake", str(lake), "--count", "800"]) == 0
    out = capsys.readouterr().out
    # THEN the window is the days the conversation spans, not a fixed month
    days = int(re.search(r"the last (\d+) days", out).group(1))  # type: ignore[union-attr]
    with LocalQueryEngine(lake) as engine:
        _, rows = engine.query("SELECT min(sent_at) FROM messages")
    first = rows[0][0]
    span = (datetime.now(tz=UTC).date() - first.date()).days + 1
    assert days == span <= 5
    page = (lake / "dashboard.html").read_text(encoding="utf-8")
    assert f"last {days} days" in page
    # AND the report's top sender is the page's, by the same name
    top = re.search(r"top senders +([^:(]+?)(?: \(@\w+\))?: (\d+)", out)
    assert top is not None
    assert top.group(1) in page


def _children(pid: int) -> set[int]:
    """Process ids whose parent is `pid` (from /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def test_a_killed_serve_leaves_no_delivery_worker_behind(tmp_path: Path) -> None:
    updates = allowed(generate_updates(50, seed=5, duplicate_share=0.0))
    with serve_process(tmp_path, str(DEFAULT_CHAT_ID), "--buffer-seconds", "1") as (process, url):
        host = urlsplit(url)
        connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
        for update in updates:
            assert post(url, update.body, connection) == 200
        # GIVEN the delivery worker has started (the first flush starts it)
        deadline = time.monotonic() + 30
        while not (workers := _children(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert workers, "no delivery worker started"
        # WHEN serve is SIGKILLed (no chance to stop its worker)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    # THEN the worker exits by itself within seconds
    deadline = time.monotonic() + 15
    alive = set(workers)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if Path(f"/proc/{pid}").exists() and not _zombie(pid)}
        time.sleep(0.2)
    assert alive == set()


def _zombie(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_chat_ids_without_the_minus_100_prefix_are_named_and_corrected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "one.ndjson"
    write_ndjson(source, allowed(generate_updates(5, seed=2, duplicate_share=0.0)))
    prefixless = str(DEFAULT_CHAT_ID).removeprefix("-100")
    assert (
        main(["ingest", str(source), "--lake", str(tmp_path / "lake"), "--chat-ids", prefixless])
        == 0
    )
    captured = capsys.readouterr()
    assert "positive ids are private chats" in captured.err
    assert "accepted 0, ignored 5" in captured.out
    assert f"  {DEFAULT_CHAT_ID} " in captured.out
    assert f"--chat-ids {prefixless} looks like this group without its -100 prefix" in captured.out
    assert "chats allow ID --lake" in captured.out


def test_a_large_ingest_prints_only_its_summary(tmp_path: Path) -> None:
    # Metrics are counted, never printed: standard output stays the two summary lines.
    source = tmp_path / "big.ndjson"
    write_ndjson(source, allowed(generate_updates(3000, seed=4)))
    result = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "ingest", str(source), "--lake", str(tmp_path / "l"),
         "--chat-ids", str(DEFAULT_CHAT_ID)],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["accepted", "lake"]
    assert "_aws" not in result.stdout + result.stderr
