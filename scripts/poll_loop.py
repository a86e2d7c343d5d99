"""The getUpdates loop of `tgpipe poll`: Telegram's offset rules, retries, delivery.

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

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from functions import constants as c
from functions.telegram import KEPT_UPDATE_KINDS, update_id
from local.stack import LocalStack
from scripts.botapi import BotApi, BotApiError
from scripts.cli import CliError
from scripts.poll_status import PollCounts, StatusLine
from scripts.poll_stop import PollStopped, StopRequest

#: Telegram's recommended long-poll wait; the HTTP read timeout must outlast it.
DEFAULT_POLL_TIMEOUT: Final = 50
#: getUpdates returns at most 100 updates per call.
PAGE_LIMIT: Final = 100
BACKOFF_FIRST_SECONDS: Final = 1.0
BACKOFF_CAP_SECONDS: Final = 60.0
CONFIRM_TIMEOUT_SECONDS: Final = 5.0
#: Concurrent handler calls: the delivery stream fsyncs once per group of them.
WORKERS: Final = 8
#: The webhook's verdicts on the update itself (malformed, too large): retrying cannot help.
PERMANENT_REFUSALS: Final = frozenset({400, 413})


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
