"""`tgpipe poll`: a real bot, no public URL: long-poll getUpdates into the local stack.

Each update goes through the unchanged webhook handler and the local delivery
stream, exactly as `tgpipe serve` would take it over HTTP. The `offset` that
confirms updates to Telegram advances only after every update of a batch was
answered 200 by the handler, which the delivery stream gives only once the record
is fsynced in its spool: a crash re-reads a batch (duplicates, deduplicated by
update_id downstream), never skips one.

getUpdates answers parsed objects inside one JSON document, so each update is
re-encoded as compact UTF-8 JSON: the same content as the webhook body Telegram
would POST, not necessarily the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from types import FrameType
from typing import Any, Final, TextIO

from functions import constants as c
from functions.telegram import CHAT_KINDS, KEPT_UPDATE_KINDS, as_int64, as_object, update_id
from local.stack import LocalStack, StackConfig
from scripts.botapi import BotApi, BotApiError, add_token_arguments, read_token
from scripts.cli import CliError
from scripts.common import (
    CHAT_IDS_ENV,
    add_chat_ids_argument,
    add_lake_argument,
    chat_ids,
    writable_lake,
)

#: Telegram's recommended long-poll wait; the HTTP read timeout must outlast it.
DEFAULT_POLL_TIMEOUT: Final = 50
HTTP_GRACE_SECONDS: Final = 15
#: getUpdates returns at most 100 updates per call.
PAGE_LIMIT: Final = 100
BACKOFF_FIRST_SECONDS: Final = 1.0
BACKOFF_CAP_SECONDS: Final = 60.0
#: Without a terminal, one status line at most this often.
STATUS_INTERVAL_SECONDS: Final = 30.0
CONFIRM_TIMEOUT_SECONDS: Final = 5.0
#: Concurrent handler calls: the delivery stream fsyncs once per group of them.
WORKERS: Final = 8
#: The webhook's verdicts on the update itself (malformed, too large): retrying cannot help.
PERMANENT_REFUSALS: Final = frozenset({400, 413})


class PollStopped(BaseException):
    """Raised by the signal handler to cut a long poll or a pause short.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way
    (urllib, the Bot API client) can swallow it.
    """


class StopRequest:
    """Ctrl-C / SIGTERM: remembered always, raised only where nothing is half done."""

    def __init__(self) -> None:
        self.requested = False
        self._interruptible = False

    def request(self) -> None:
        """Ask the poller to stop after the current batch."""
        self.requested = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._interruptible:
            raise PollStopped

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A region (waiting on the network, sleeping) a signal may abort at once."""
        self._interruptible = True
        try:
            # A signal that came just before the flag was set must still stop us.
            if self.requested:
                raise PollStopped
            yield
        finally:
            self._interruptible = False

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT and SIGTERM (main thread only), restoring the old handlers after."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class Backoff:
    """Exponential pauses (1, 2, 4 ... seconds), capped; reset after a success."""

    def __init__(
        self, first: float = BACKOFF_FIRST_SECONDS, cap: float = BACKOFF_CAP_SECONDS
    ) -> None:
        self.first = first
        self.cap = cap
        self._failures = 0

    def next(self) -> float:
        """The pause before the next attempt."""
        pause = min(self.cap, self.first * 2.0 ** min(self._failures, 32))
        self._failures += 1
        return pause

    def reset(self) -> None:
        """Start again from the first pause."""
        self._failures = 0


@dataclass
class PollCounts:
    """What the live line shows."""

    received: int = 0
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    last_update_at: datetime | None = None

    def line(self) -> str:
        """`received 12, accepted 10, ignored 2, last update 14:03:07`."""
        when = f"{self.last_update_at:%H:%M:%S}" if self.last_update_at else "-"
        rejected = f", rejected {self.rejected}" if self.rejected else ""
        return (
            f"received {self.received}, accepted {self.accepted}, "
            f"ignored {self.ignored}{rejected}, last update {when}"
        )


class StatusLine:
    """A live line on a terminal (rich); otherwise a plain line now and then."""

    def __init__(self, stream: TextIO | None = None, interval: float = STATUS_INTERVAL_SECONDS):
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._live: Any = None
        self._last_plain = 0.0
        self._last_line = ""

    def __enter__(self) -> StatusLine:
        if self.stream.isatty():
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                console=Console(file=self.stream), auto_refresh=False, transient=False
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def show(self, counts: PollCounts, *, force: bool = False) -> None:
        """Refresh the line (throttled when it is not a terminal)."""
        line = counts.line()
        if line == self._last_line:
            return
        if self._live is not None:
            from rich.text import Text

            self._live.update(Text(line), refresh=True)
            self._last_line = line
            return
        now = time.monotonic()
        if force or now - self._last_plain >= self.interval:
            print(line, file=self.stream, flush=True)
            self._last_plain, self._last_line = now, line

    def note(self, message: str) -> None:
        """A one-off line (a retry, a refusal) above the live line."""
        if self._live is not None:
            from rich.text import Text

            self._live.console.print(Text(message))
        else:
            print(message, file=self.stream, flush=True)


def update_body(update: dict[str, Any]) -> bytes:
    """The update as a webhook body: compact UTF-8 JSON (re-encoded, see the module doc)."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def next_offset(updates: Sequence[dict[str, Any]], offset: int | None) -> int | None:
    """The offset that confirms every update of the batch: the highest update_id + 1."""
    ids = [i for i in (update_id(u) for u in updates) if i is not None]
    if not ids:
        return offset
    following = max(ids) + 1
    return following if offset is None else max(offset, following)


@dataclass(frozen=True)
class SeenChat:
    """A chat some updates came from (the title is a group name: shown, never logged)."""

    id: int
    type: str
    title: str
    updates: int


def _update_chat(update: dict[str, Any]) -> dict[str, Any]:
    for kind in CHAT_KINDS:
        payload = update.get(kind)
        if isinstance(payload, dict):
            return as_object(payload.get("chat"))
    callback = as_object(update.get("callback_query"))
    return as_object(as_object(callback.get("message")).get("chat"))


def chats_in(updates: Sequence[dict[str, Any]]) -> list[SeenChat]:
    """The chats the updates are about, groups first, in order of first appearance."""
    seen: dict[int, SeenChat] = {}
    for update in updates:
        chat = _update_chat(update)
        chat_id = as_int64(chat.get("id"))
        if chat_id is None:
            continue
        chat_type = str(chat.get("type") or "?")
        # A private chat's "title" would be a person's name: never shown.
        title = "(private chat)" if chat_type == "private" else str(chat.get("title") or "")
        known = seen.get(chat_id)
        count = known.updates + 1 if known else 1
        seen[chat_id] = SeenChat(chat_id, chat_type, title, count)
    return sorted(seen.values(), key=lambda chat: chat.type == "private")


def describe_chats(chats: Sequence[SeenChat], received: int, example_command: str) -> list[str]:
    """The chats as a table, and how to choose among them."""
    if not chats:
        return [
            f"{received} update(s), none from a chat: send a message in the group "
            "(with the bot in it) and run this again"
        ]
    lines = [f"chats in the first {received} update(s) (nothing was stored):", ""]
    lines.append(f"  {'chat id':<16}  {'type':<10}  {'updates':>7}  title")
    for chat in chats:
        lines.append(f"  {chat.id:<16}  {chat.type:<10}  {chat.updates:>7}  {chat.title}")
    groups = [str(chat.id) for chat in chats if chat.id < 0]
    pick = ",".join(groups) if groups else str(chats[0].id)
    lines += [
        "",
        "Group and channel ids are negative; supergroup and channel ids start with -100.",
        "Pick the chats to keep (comma-separated) and run:",
        "",
        f"  {example_command} --chat-ids {pick}",
        "",
        "These updates were not confirmed to Telegram, so that run reads them again.",
    ]
    return lines


class Poller:
    """getUpdates in a loop with Telegram's offset rules, retries and a clean stop."""

    def __init__(
        self,
        api: BotApi,
        *,
        timeout: int = DEFAULT_POLL_TIMEOUT,
        stop: StopRequest | None = None,
        sleep: Callable[[float], None] = time.sleep,
        status: StatusLine | None = None,
        token_hint: str = "--token-file FILE",  # noqa: S107 - how to pass one, not a token
    ) -> None:
        self.api = api
        self.timeout = timeout
        self.stop = stop if stop is not None else StopRequest()
        self.sleep = sleep
        self.status = status if status is not None else StatusLine()
        self.token_hint = token_hint
        #: The next offset to send; None until a batch was accepted (Telegram's default).
        self.offset: int | None = None
        #: The offset Telegram last saw; differs from `offset` after the final batch.
        self.sent_offset: int | None = None
        self.counts = PollCounts()
        self._network = Backoff()
        self._delivery = Backoff()

    # -- Telegram -----------------------------------------------------------------

    def fetch(self) -> list[dict[str, Any]]:
        """One batch (maybe empty); retries 429, 5xx and network errors; PollStopped on stop."""
        parameters: dict[str, Any] = {
            "timeout": self.timeout,
            "limit": PAGE_LIMIT,
            "allowed_updates": list(KEPT_UPDATE_KINDS),
        }
        if self.offset is not None:
            parameters["offset"] = self.offset
        while True:
            try:
                with self.stop.interruptible():
                    result = self.api.call("getUpdates", parameters)
            except BotApiError as error:
                self._pause_or_raise(error)
                continue
            self.sent_offset = self.offset
            self._network.reset()
            if not isinstance(result, list):
                raise CliError("getUpdates answered something that is not a list of updates")
            return [update for update in result if isinstance(update, dict)]

    def _pause_or_raise(self, error: BotApiError) -> None:
        """Wait before the next attempt, or raise what waiting cannot fix."""
        if error.status == 409:
            raise CliError(self._conflict_message(str(error))) from None
        if error.status == 429:
            pause = error.retry_after if error.retry_after is not None else self._network.next()
            self.status.note(f"Telegram asks to slow down: retrying in {pause:g} s")
        elif error.unreachable or (error.status is not None and error.status >= 500):
            pause = self._network.next()
            self.status.note(f"{error}; retrying in {pause:g} s")
        elif error.status in (401, 404):
            raise CliError(
                f"{error}: Telegram does not know this token; check it "
                f"(BotFather /token shows it again)"
            ) from None
        else:
            raise error
        with self.stop.interruptible():
            self.sleep(pause)

    def _conflict_message(self, description: str) -> str:
        if "webhook" in description.lower():
            return (
                "the bot has a webhook set, and Telegram refuses getUpdates while it has one: "
                f"remove it (pending updates are kept) with `tgpipe delete-webhook "
                f"{self.token_hint}`, then run poll again"
            )
        return (
            "another program is reading this bot's updates (only one getUpdates at a time): "
            "stop it and run poll again; if a webhook is set instead, remove it with "
            f"`tgpipe delete-webhook {self.token_hint}`"
        )

    def confirm(self) -> None:
        """Tell Telegram the last accepted batch is done, so the next run starts after it."""
        if self.offset is None or self.offset == self.sent_offset:
            return
        try:
            # limit 1 and timeout 0: the update that may come back has id >= offset,
            # so it stays unconfirmed and the next run reads it. A short HTTP timeout:
            # shutting down must not hang on a network that is gone.
            replace(self.api, timeout=CONFIRM_TIMEOUT_SECONDS).call(
                "getUpdates",
                {
                    "offset": self.offset,
                    "limit": 1,
                    "timeout": 0,
                    "allowed_updates": list(KEPT_UPDATE_KINDS),
                },
            )
            self.sent_offset = self.offset
        except BotApiError:
            pass  # The next run re-reads that batch; the lake deduplicates by update_id.

    # -- the local stack ----------------------------------------------------------

    def deliver(self, stack: LocalStack, updates: Sequence[dict[str, Any]]) -> bool:
        """Push the batch through the webhook until every update is taken; False if stopped."""
        pending = [(update_id(u), update_body(u)) for u in updates]
        self.counts.received += len(updates)
        self.counts.last_update_at = datetime.now().astimezone()
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            while pending:
                accepted = stack.metrics.count(c.METRIC_ACCEPTED)
                ignored = stack.metrics.count(c.METRIC_IGNORED)
                statuses = list(pool.map(lambda item: stack.handle(item[1]), pending))
                self.counts.accepted += stack.metrics.count(c.METRIC_ACCEPTED) - accepted
                self.counts.ignored += stack.metrics.count(c.METRIC_IGNORED) - ignored
                retry = []
                for (the_id, body), status in zip(pending, statuses, strict=True):
                    if status in PERMANENT_REFUSALS:
                        # Retrying cannot change the answer; holding the offset forever
                        # would stop the whole group's capture for one bad update.
                        self.counts.rejected += 1
                        self.status.note(f"update {the_id} refused by the webhook (HTTP {status})")
                    elif status >= 500:
                        retry.append((the_id, body))
                    elif status != 200:
                        # 401/403/405 mean the local stack is misconfigured, not that the
                        # update is bad: stop with the batch unconfirmed rather than skip it.
                        raise CliError(
                            f"the webhook handler answered HTTP {status} for update {the_id}: "
                            "check the local stack's configuration; nothing was confirmed, "
                            "so the next run reads this batch again"
                        )
                self.status.show(self.counts)
                if not retry:
                    self._delivery.reset()
                    return True
                pending = retry
                pause = self._delivery.next()
                codes = ", ".join(str(s) for s in sorted(set(statuses) - {200}))
                self.status.note(
                    f"the local delivery stream did not take {len(retry)} update(s) "
                    f"(HTTP {codes}); retrying in {pause:g} s"
                )
                try:
                    with self.stop.interruptible():
                        self.sleep(pause)
                except PollStopped:
                    return False
        return True

    def run(self, stack: LocalStack) -> PollCounts:
        """Poll until stopped; the offset moves only past batches the stream took."""
        try:
            while not self.stop.requested:
                updates = self.fetch()
                if not updates:
                    self.status.show(self.counts)
                    continue
                if not self.deliver(stack, updates):
                    break
                self.offset = next_offset(updates, self.offset)
        except PollStopped:
            pass
        self.confirm()
        self.status.show(self.counts, force=True)
        return self.counts

    def first_batch(self) -> list[dict[str, Any]]:
        """The first non-empty batch, never confirmed (no offset is ever sent)."""
        while not self.stop.requested:
            updates = self.fetch()
            if updates:
                return updates
        raise PollStopped


def token_hint(args: argparse.Namespace) -> str:
    """How the user gave the token, to repeat in suggested commands (never the token)."""
    if args.token_file is not None:
        return f"--token-file {shlex.quote(str(args.token_file))}"
    return f"--token-env {shlex.quote(args.token_env)}"


def list_chats(poller: Poller, args: argparse.Namespace) -> int:
    """Wait for the first updates, print their chats and how to choose; store nothing."""
    print(
        "no --chat-ids: waiting for updates to show which chats the bot is in. Send a message "
        "in the group (or add the bot to it now). Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    try:
        updates = poller.first_batch()
    except PollStopped:
        print("stopped before any update came", file=sys.stderr)
        return 0
    lake = shlex.quote(str(args.lake)) if args.lake is not None else "my-lake"
    command = f"tgpipe poll --lake {lake} {token_hint(args)}"
    for line in describe_chats(chats_in(updates), len(updates), command):
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    """Poll into the lake until Ctrl-C / SIGTERM, then flush; or list chats without --chat-ids."""
    if args.timeout < 1:
        raise CliError(f"--timeout must be at least 1 second, got {args.timeout}")
    token = read_token(args)
    api = BotApi(token, args.api_base, timeout=args.timeout + HTTP_GRACE_SECONDS)
    choosing = not (args.chat_ids or os.environ.get(CHAT_IDS_ENV, "").strip())
    with StopRequest().installed() as stop:
        if choosing:
            return list_chats(
                Poller(api, timeout=args.timeout, stop=stop, token_hint=token_hint(args)), args
            )
        if args.lake is None:
            raise CliError("--lake DIR is required to store updates (it is created if missing)")
        config = StackConfig(writable_lake(args.lake), chat_ids(args))
        with StatusLine() as status:
            poller = Poller(
                api, timeout=args.timeout, stop=stop, status=status, token_hint=token_hint(args)
            )
            with LocalStack(config) as stack:
                recovered = stack.stats().records_recovered
                if recovered:
                    status.note(f"recovered {recovered} spooled updates from an earlier run")
                status.note(
                    f"polling for chats {','.join(str(i) for i in sorted(config.chat_ids))} "
                    f"into {args.lake}; Ctrl-C to stop"
                )
                counts = poller.run(stack)
                status.note("stopping: flushing buffered updates ...")
            stats = stack.stats()
    print(
        f"{counts.line()}; lake {args.lake}: {stats.rows_written} rows, "
        f"{stats.raw_objects} raw objects, "
        f"{stats.processing_failed + stats.conversion_failed} error records",
        flush=True,
    )
    return 0


def positive_int(text: str) -> int:
    """argparse type: a whole number of seconds."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds")
    return int(text)


def register(subparsers: Any) -> None:
    """Add `poll`."""
    parser = subparsers.add_parser(
        "poll",
        help="capture a real bot's updates without a public URL (long-polls getUpdates)",
        description=(
            "Long-polls getUpdates and pushes each update through the webhook handler and the "
            "local delivery stream into the lake; the offset advances only after a batch is "
            "durably accepted. Without --chat-ids, lists the chats the first updates come "
            "from and stores nothing. Works only while the bot has no webhook."
        ),
    )
    add_lake_argument(parser, required=False)
    add_token_arguments(parser)
    add_chat_ids_argument(parser)
    parser.add_argument(
        "--timeout",
        type=positive_int,
        default=DEFAULT_POLL_TIMEOUT,
        metavar="S",
        help=f"long-poll wait per getUpdates call, seconds (default {DEFAULT_POLL_TIMEOUT})",
    )
    parser.set_defaults(func=run)
