"""`tgpipe poll` against a fake Bot API on loopback, into a real local stack and lake."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from functions.routing import tables_for
from functions.telegram import KEPT_UPDATE_KINDS, MESSAGE_KINDS, chat_id, update_kind
from local.delivery_stream import firehose_error
from local.stack import LocalStack, StackConfig
from scripts.botapi import BotApi
from scripts.cli import CliError, main
from scripts.poll_chats import chats_in
from scripts.poll_loop import Backoff, Poller, next_offset, update_body
from scripts.poll_status import StatusLine
from scripts.poll_stop import PollStopped, StopRequest
from tests.fake_bot_api import (
    CONFLICT_OTHER_POLLER,
    CONFLICT_WEBHOOK,
    FakeBotApi,
    Scripted,
    running,
    too_many_requests,
)
from tests.helpers import ALLOWED_CHAT_IDS, GROUP_ID, event

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
MASKED = "bot123456:***"
FIRST_ID = 500_000
#: Allowed group and channel, a foreign group, a private chat, no chat at all.
EVENT_MIX = (
    "message_text",
    "message_text_entities",
    "message_other_chat",
    "channel_post",
    "message_photo_caption",
    "message_private",
    "edited_message",
    "inline_query",
    "my_chat_member",
    "message_reaction",
)


def updates(count: int, first_id: int = FIRST_ID) -> list[dict[str, Any]]:
    """`count` realistic updates with consecutive update_ids, cycling through EVENT_MIX."""
    made = []
    for number, name in enumerate(islice(cycle(EVENT_MIX), count)):
        update = event(name)
        update["update_id"] = first_id + number
        made.append(update)
    return made


def kept_ids(served: list[dict[str, Any]]) -> set[int]:
    return {u["update_id"] for u in served if chat_id(u) in ALLOWED_CHAT_IDS}


def puts(served: list[dict[str, Any]]) -> int:
    """How many stream puts the kept updates take: one per table each feeds."""
    kept = kept_ids(served)
    return sum(len(tables_for(u)) for u in served if u["update_id"] in kept)


def raw_ids(lake: Path) -> list[int]:
    """update_ids of every line of the raw archive (duplicates kept)."""
    objects = sorted((lake / "raw" / "updates").rglob("*.ndjson.gz"))
    lines = [line for o in objects for line in gzip.decompress(o.read_bytes()).splitlines()]
    return [json.loads(line)["update_id"] for line in lines if line]


def parquet_ids(lake: Path) -> list[int]:
    files = sorted((lake / "data" / "messages").rglob("*.parquet"))
    return [i for f in files for i in pq.read_table(f, columns=["update_id"]).column(0).to_pylist()]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with running(FakeBotApi(TOKEN, page_size=10)) as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


class Sleeps(list[float]):
    """An injected sleep: records the pause instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def poller(fake: FakeBotApi, sleeps: Sleeps, notes: io.StringIO) -> Poller:
    return Poller(
        BotApi(TOKEN, fake.url, timeout=10),
        timeout=1,
        sleep=sleeps,
        status=StatusLine(notes),
        token_hint="--token-file /tmp/token",
    )


def stop_when_all_confirmed(fake: FakeBotApi, poll: Poller, last_id: int) -> None:
    """Stop the poller once it confirms the last queued update (its work is done)."""

    def hook(number: int, parameters: dict[str, Any]) -> None:
        if parameters.get("offset") == last_id + 1:
            poll.stop.request()

    fake.on_get_updates = hook


# ------------------------------------------------------------------ offsets and delivery


def test_offset_advances_past_each_batch_only_after_the_stream_took_it(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    # GIVEN 25 queued updates (pages of 10) from allowed, foreign and no chats
    served = updates(25)
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    stop_when_all_confirmed(fake, poll, served[-1]["update_id"])
    puts_at_call: list[int] = []
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        hook = fake.on_get_updates
        assert hook is not None

        def record_puts(number: int, parameters: dict[str, Any]) -> None:
            puts_at_call.append(sum(s.records_put for s in stack.stats_by_table().values()))
            hook(number, parameters)

        fake.on_get_updates = record_puts
        # WHEN poll runs until every update is confirmed
        counts = poll.run(stack)
    # THEN each offset is the previous page's last update_id + 1, sent only once the
    # stream holds every kept update of the pages before it
    assert fake.offsets() == [None, FIRST_ID + 10, FIRST_ID + 20, FIRST_ID + 25]
    kept = kept_ids(served)
    # (a stream per table: an update feeding two tables is put twice)
    assert puts_at_call == [0, puts(served[:10]), puts(served[:20]), puts(served)]
    assert all(
        call["allowed_updates"] == list(KEPT_UPDATE_KINDS) for call in fake.get_updates_calls
    )
    assert all(call["timeout"] == 1 for call in fake.get_updates_calls)
    # AND the kept updates are in the raw archive once each, the message-like ones in Parquet
    assert sorted(raw_ids(tmp_path)) == sorted(kept)
    messages = {u["update_id"] for u in served if update_kind(u) in MESSAGE_KINDS}
    assert sorted(parquet_ids(tmp_path)) == sorted(kept & messages)
    assert (counts.received, counts.accepted, counts.ignored) == (25, len(kept), 25 - len(kept))
    assert sleeps == []


def test_update_is_stored_as_compact_json_of_the_same_content() -> None:
    update = event("message_text_entities")
    body = update_body(update)
    assert json.loads(body) == update
    assert b"\n" not in body
    assert b": " not in body
    assert "ção".encode() in body  # UTF-8, not \\u escapes


def test_batch_the_stream_refuses_is_retried_and_the_offset_waits(
    fake: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a delivery stream that is unavailable for its first 4 puts (webhook answers 503)
    monkeypatch.setenv("DELIVERY_BUDGET_SECONDS", "0.001")
    # The webhook's retry pause is random; at its longest it never fits the budget, so
    # each refused put is one refused update (a short draw could retry within 1 ms).
    monkeypatch.setattr("functions.adapters.random.uniform", lambda low, high: high)
    served = [u for u in updates(30) if chat_id(u) == GROUP_ID][:8]
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    stop_when_all_confirmed(fake, poll, served[-1]["update_id"])
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        real_put = stack.stream.put_record
        failures = iter(range(4))

        def flaky_put(**kwargs: Any) -> dict[str, Any]:
            if next(failures, None) is not None:
                raise firehose_error("ServiceUnavailableException", "busy", "PutRecord", 503)
            return real_put(**kwargs)

        monkeypatch.setattr(stack.stream, "put_record", flaky_put)
        # WHEN poll runs
        counts = poll.run(stack)
    # THEN it paused once, re-pushed only the refused updates, and confirmed after that
    assert sleeps == [1.0]
    assert fake.offsets() == [None, served[-1]["update_id"] + 1]
    assert "did not take 4 update(s) (HTTP 503); retrying in 1 s" in notes.getvalue()
    assert sorted(raw_ids(tmp_path)) == sorted(u["update_id"] for u in served)
    assert counts.accepted == len(served)


def test_stop_during_a_refused_batch_leaves_it_unconfirmed(
    fake: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a stream that refuses everything, and a stop requested during the retry pause
    monkeypatch.setenv("DELIVERY_BUDGET_SECONDS", "0.001")
    fake.add(updates(3))
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)

    def sleep_then_stop(seconds: float) -> None:
        sleeps.append(seconds)
        poll.stop.request()

    poll.sleep = sleep_then_stop
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:

        def refuse(**kwargs: Any) -> dict[str, Any]:
            raise firehose_error("ServiceUnavailableException", "busy", "PutRecord", 503)

        monkeypatch.setattr(stack.stream, "put_record", refuse)
        poll.run(stack)
    # THEN no offset past the batch was ever sent: the next run reads it again
    assert fake.offsets() == [None]
    assert fake.confirmed_ids == set()
    assert poll.offset is None


def test_malformed_update_is_counted_as_rejected_and_passed(
    fake: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a batch in which the webhook refuses one update as malformed (400)
    served = [u for u in updates(30) if chat_id(u) == GROUP_ID][:4]
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    stop_when_all_confirmed(fake, poll, served[-1]["update_id"])
    bad_id = served[1]["update_id"]
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        real_handle = stack.handle

        def handle(body: bytes, content_type: str = "application/json") -> int:
            return 400 if json.loads(body)["update_id"] == bad_id else real_handle(body)

        monkeypatch.setattr(stack, "handle", handle)
        counts = poll.run(stack)
    # THEN retrying could not help: it is reported, and the others are stored and confirmed
    assert counts.rejected == 1
    assert f"update {bad_id} refused by the webhook (HTTP 400)" in notes.getvalue()
    assert sorted(raw_ids(tmp_path)) == sorted(
        u["update_id"] for u in served if u["update_id"] != bad_id
    )
    assert fake.offsets()[-1] == served[-1]["update_id"] + 1
    assert sleeps == []


def test_misconfigured_stack_stops_without_confirming(
    fake: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add(updates(3))
    poll = poller(fake, Sleeps(), io.StringIO())
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        monkeypatch.setattr(stack, "handle", lambda body, content_type="": 403)
        with pytest.raises(CliError, match="answered HTTP 403 for update 500000"):
            poll.run(stack)
    assert fake.offsets() == [None]
    assert fake.confirmed_ids == set()


def test_clean_stop_confirms_the_last_accepted_batch(fake: FakeBotApi, tmp_path: Path) -> None:
    # GIVEN a stop requested while the last batch is being fetched
    served = updates(5)
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    fake.on_get_updates = lambda number, parameters: poll.stop.request()
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        poll.run(stack)
    # THEN the final call confirms it without waiting, so a restart does not re-read it
    last_call = fake.get_updates_calls[-1]
    assert fake.offsets() == [None, FIRST_ID + 5]
    assert (last_call["timeout"], last_call["limit"]) == (0, 1)
    assert fake.confirmed_ids == {u["update_id"] for u in served}


# ------------------------------------------------------------------ Telegram's errors


def test_429_waits_the_retry_after_telegram_asks_for(fake: FakeBotApi, tmp_path: Path) -> None:
    fake.script.append(too_many_requests(7))
    served = updates(3)
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    stop_when_all_confirmed(fake, poll, served[-1]["update_id"])
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        poll.run(stack)
    assert sleeps == [7.0]
    assert "Telegram asks to slow down: retrying in 7 s" in notes.getvalue()
    assert fake.offsets() == [None, None, FIRST_ID + 3]
    assert sorted(raw_ids(tmp_path)) == sorted(kept_ids(served))


def test_dropped_connections_and_5xx_back_off_exponentially_then_recover(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    fake.script.extend(
        [
            Scripted.dropped(),
            Scripted.error(502, "Bad Gateway"),
            Scripted.dropped(),
            Scripted(200, {"ok": True, "result": []}),
            Scripted.dropped(),
        ]
    )
    served = updates(4)
    fake.add(served)
    sleeps, notes = Sleeps(), io.StringIO()
    poll = poller(fake, sleeps, notes)
    stop_when_all_confirmed(fake, poll, served[-1]["update_id"])
    with LocalStack(StackConfig(tmp_path, ALLOWED_CHAT_IDS)) as stack:
        poll.run(stack)
    # 1, 2, 4 s; the success in between starts the pauses again from 1 s
    assert sleeps == [1.0, 2.0, 4.0, 1.0]
    text = notes.getvalue()
    assert f"cannot reach the Bot API at {fake.url}" in text
    assert "getUpdates failed: HTTP 502 Bad Gateway; retrying in 2 s" in text
    assert TOKEN not in text
    assert sorted(raw_ids(tmp_path)) == sorted(kept_ids(served))


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=1.0, cap=60.0)
    assert [backoff.next() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    backoff.reset()
    assert backoff.next() == 1


@pytest.mark.parametrize(
    ("conflict", "expected"),
    [
        (CONFLICT_WEBHOOK, "the bot has a webhook set"),
        (CONFLICT_OTHER_POLLER, "another program is reading this bot's updates"),
    ],
)
def test_409_is_one_line_naming_the_command_that_fixes_it(
    fake: FakeBotApi,
    token_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    conflict: Scripted,
    expected: str,
) -> None:
    fake.script.append(conflict)
    fake.add(updates(3))
    lake = tmp_path / "lake"
    code = main(
        [
            "poll",
            "--lake",
            str(lake),
            "--token-file",
            str(token_file),
            "--chat-ids",
            str(GROUP_ID),
            "--api-base",
            fake.url,
            "--timeout",
            "1",
        ]
    )
    out = capsys.readouterr()
    assert code == 2
    error_lines = [line for line in out.err.splitlines() if line.startswith("tgpipe poll:")]
    assert len(error_lines) == 1
    assert expected in error_lines[0]
    assert f"`tgpipe delete-webhook --token-file {token_file}`" in error_lines[0]
    assert "Traceback" not in out.err
    assert TOKEN not in out.out + out.err
    assert fake.confirmed_ids == set()


def test_delete_webhook_drops_pending_updates_only_when_asked(
    fake: FakeBotApi, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["delete-webhook", "--token-file", str(token_file), "--api-base", fake.url]
    assert main(base) == 0
    assert main([*base, "--drop-pending"]) == 0
    assert fake.other_calls == [
        ("deleteWebhook", {"drop_pending_updates": False}),
        ("deleteWebhook", {"drop_pending_updates": True}),
    ]
    assert "pending updates dropped" in capsys.readouterr().out


def test_refused_token_is_masked_in_the_one_error_line(
    tmp_path: Path, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running(FakeBotApi("999:another-bot-token-entirely-0000")) as other_bot:
        code = main(
            ["poll", "--token-file", str(token_file), "--api-base", other_bot.url, "--timeout", "1"]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert "HTTP 401 Unauthorized" in err
    assert "Telegram does not know this token" in err
    assert TOKEN not in err
    assert len(err.strip().splitlines()) == 2  # the waiting hint and the one error line


# ------------------------------------------------------------------ choosing chats


def test_without_chat_ids_it_lists_the_chats_and_stores_nothing(
    fake: FakeBotApi,
    token_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN updates from two allowed chats, a foreign group, a private chat and no chat
    monkeypatch.delenv("TGPIPE_CHAT_IDS", raising=False)
    caplog.set_level(logging.DEBUG)
    fake.add(updates(10))
    lake = tmp_path / "lake"
    # WHEN poll runs without --chat-ids
    code = main(
        [
            "poll",
            "--lake",
            str(lake),
            "--token-file",
            str(token_file),
            "--api-base",
            fake.url,
            "--timeout",
            "1",
        ]
    )
    out = capsys.readouterr()
    # THEN it lists each chat with its type and title, private chats without a name
    assert code == 0
    rows = {line.split()[0]: line for line in out.out.splitlines() if line.startswith("  -")}
    assert set(rows) == {"-1001234567890", "-1001111111111", "-1009876543210"}
    assert "supergroup" in rows["-1001234567890"]
    assert "Vendas Brasil" in rows["-1001234567890"]
    assert "channel" in rows["-1001111111111"]
    assert "(private chat)" in out.out
    assert "Carlos" not in out.out + out.err
    # AND tells how to pick them, with the same token source
    assert "supergroup and channel ids start with -100" in out.out
    assert (
        f"tgpipe poll --lake {lake} --token-file {token_file} --chat-ids "
        "-1001234567890,-1009876543210,-1001111111111"
    ) in out.out
    # AND nothing was stored or confirmed: no offset was ever sent
    assert not lake.exists()
    assert fake.offsets() == [None]
    assert fake.confirmed_ids == set()
    assert TOKEN not in out.out + out.err + caplog.text


def test_chats_are_listed_groups_first_once_each() -> None:
    seen = chats_in([event("message_private"), event("message_text"), event("edited_message")])
    assert [(chat.id, chat.type, chat.updates) for chat in seen] == [
        (GROUP_ID, "supergroup", 2),
        (123456789, "private", 1),
    ]
    assert seen[1].title == "(private chat)"


def test_next_offset_is_the_highest_update_id_plus_one() -> None:
    assert next_offset([{"update_id": 7}, {"update_id": 9}, {"update_id": 8}], None) == 10
    assert next_offset([{"update_id": 3}], 10) == 10  # never moves back
    assert next_offset([{"no": "id"}], 4) == 4


def test_stop_request_aborts_a_wait_only_where_it_is_safe() -> None:
    stop = StopRequest()
    with stop.installed():
        os.kill(os.getpid(), signal.SIGTERM)  # outside an interruptible region: remembered
        assert stop.requested
        with pytest.raises(PollStopped), stop.interruptible():
            pass
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# ------------------------------------------------------------------ crash and resume


def _poll_process(lake: Path, token_file: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.cli",
            "poll",
            "--lake",
            str(lake),
            "--token-file",
            str(token_file),
            "--chat-ids",
            f"{GROUP_ID},-1001111111111",
            "--api-base",
            url,
            "--timeout",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_a_killed_poll_resumes_without_skipping_any_update(
    fake: FakeBotApi, token_file: Path, tmp_path: Path
) -> None:
    # GIVEN 60 queued updates, served 10 per page
    served = updates(60)
    fake.add(served)
    last_id = served[-1]["update_id"]
    lake = tmp_path / "lake"
    process: dict[str, subprocess.Popen[str]] = {}

    def kill_on_fourth_call(number: int, parameters: dict[str, Any]) -> Scripted | None:
        # The fourth call confirms page 3 (Telegram forgets it on receipt), whose records
        # may still be only in the poller's spool: the harshest moment to die.
        if number == 4:
            fake.confirm(parameters.get("offset"))
            process["poll"].kill()
            process["poll"].wait()
            return Scripted.dropped()
        return None

    # WHEN a poll process is SIGKILLed mid-way
    fake.on_get_updates = kill_on_fourth_call
    process["poll"] = _poll_process(lake, token_file, fake.url)
    first_out, first_err = process["poll"].communicate(timeout=60)
    assert process["poll"].returncode == -signal.SIGKILL
    first_run_offsets = fake.offsets()

    # AND a new one runs until everything is confirmed, then gets SIGTERM
    def terminate_when_done(number: int, parameters: dict[str, Any]) -> Scripted | None:
        if parameters.get("offset") == last_id + 1:
            process["poll"].send_signal(signal.SIGTERM)
            return Scripted.dropped()
        return None

    fake.on_get_updates = terminate_when_done
    process["poll"] = _poll_process(lake, token_file, fake.url)
    second_out, second_err = process["poll"].communicate(timeout=60)

    # THEN the second run stopped cleanly, and every kept update served is in the lake
    assert process["poll"].returncode == 0, second_err[-2000:]
    assert first_run_offsets == [None, FIRST_ID + 10, FIRST_ID + 20, FIRST_ID + 30]
    stored = raw_ids(lake)
    assert set(stored) == kept_ids(served)
    assert set(fake.served_ids) == {u["update_id"] for u in served}
    # AND no offset ever went past an update that had not been served
    for offset, highest in zip(fake.offsets(), fake.highest_served_before, strict=True):
        assert offset is None or (highest is not None and offset <= highest + 1)
    assert fake.offsets()[len(first_run_offsets)] is None  # the new run starts unconfirmed
    assert fake.offsets()[-1] == last_id + 1
    assert "received" in second_out
    assert "rows" in second_out
    # AND the rows say they were polled, not pushed to a webhook
    from local.query import LocalQueryEngine

    with LocalQueryEngine(lake) as engine:
        _, sources = engine.query("SELECT DISTINCT source FROM messages")
    assert sources == [("poll",)]
    for text in (first_out, first_err, second_out, second_err):
        assert TOKEN not in text
