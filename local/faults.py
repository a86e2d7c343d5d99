"""Fault injection for the local stack: the failures AWS can produce, at chosen rates.

Three faults, all off by default and all drawn from seeded random generators so
a run can be repeated:

- **put failures**: the delivery stream's `put_record` raises Firehose's
  `ServiceUnavailableException` or `ThrottlingException` (a botocore ClientError,
  as boto3 raises it) before the record reaches the stream; `put_record_batch`
  fails single entries with `ServiceUnavailableException`/`InternalFailure` and
  a non-zero `FailedPutCount`, as Firehose does. The unchanged webhook adapter
  retries within its budget and then answers 503, so Telegram redelivers.
- **archive failures**: the archiver's `put_object` to the raw bucket fails with
  S3's `SlowDown` or `InternalError`, so the archiver raises and the delivery
  stream retries the invocation, then writes the records to `processing-failed`.
- **archiver timeouts**: the processor call ends with a Lambda timeout, either
  before the function ran or after it ran (its archive object written, its
  answer lost), as a timeout on Lambda can strike at any point.

docs/reliability.md describes the flags and the chaos run built on them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from local.delivery_stream import RAW_BUCKET, LocalDeliveryStream
from local.lambda_runtime import Handler
from local.object_store import LocalObjectStore, client_error

#: (error code, HTTP status) Firehose answers a PutRecord it cannot take now.
PUT_RECORD_ERRORS: Final = (("ServiceUnavailableException", 503), ("ThrottlingException", 400))
#: The error codes a PutRecordBatch entry carries when that record failed.
BATCH_ENTRY_ERRORS: Final = ("ServiceUnavailableException", "InternalFailure")
#: (error code, HTTP status, message) S3 answers a PutObject it cannot take now.
ARCHIVE_ERRORS: Final = (
    ("SlowDown", 503, "Please reduce your request rate."),
    ("InternalError", 500, "We encountered an internal error. Please try again."),
)
#: The archiver's configured timeout, quoted in the injected timeout's message.
ARCHIVER_TIMEOUT_SECONDS: Final = 60.0

# Each fault draws from its own generator (seed + offset) so enabling one fault
# does not shift the sequence of another.
_PUT_SEED_OFFSET: Final = 1
_ARCHIVE_SEED_OFFSET: Final = 2
_TIMEOUT_SEED_OFFSET: Final = 3


@dataclass(frozen=True)
class FaultConfig:
    """Rates (0-1) of each injected fault, and the seed of their random draws."""

    fail_put_rate: float = 0.0
    fail_archive_rate: float = 0.0
    archiver_timeout_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("fail_put_rate", "fail_archive_rate", "archiver_timeout_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate!r}")

    @property
    def enabled(self) -> bool:
        """True when any fault has a non-zero rate."""
        return any((self.fail_put_rate, self.fail_archive_rate, self.archiver_timeout_rate))

    def describe(self) -> str:
        """One line for the terminal, e.g. `put 20 %, archive 10 %, timeout 0 %, seed 7`."""
        return (
            f"put {self.fail_put_rate:.0%}, archive {self.fail_archive_rate:.0%}, "
            f"timeout {self.archiver_timeout_rate:.0%}, seed {self.seed}"
        ).replace("%", " %")


class Dice:
    """A seeded, thread-safe draw: `roll()` is True with probability `rate`."""

    def __init__(self, rate: float, seed: int | None) -> None:
        self.rate = rate
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not crypto
        self._lock = threading.Lock()
        self.rolls = 0
        self.hits = 0

    def roll(self) -> bool:
        """One draw; counts how many were drawn and how many hit."""
        with self._lock:
            self.rolls += 1
            hit = self.rate > 0 and self._random.random() < self.rate
            self.hits += hit
            return hit

    def pick(self, choices: tuple[Any, ...]) -> Any:
        """One of `choices`, from the same seeded sequence."""
        with self._lock:
            return self._random.choice(choices)


class LambdaTimeout(RuntimeError):
    """What the Lambda runtime reports when a function exceeds its timeout."""


class FlakyDeliveryStream:
    """Firehose's put calls, failing at a rate before the record reaches the stream."""

    def __init__(self, stream: Any, dice: Dice) -> None:
        self.stream = stream
        self.dice = dice

    def put_record(self, **kwargs: Any) -> dict[str, Any]:
        """PutRecord, or ServiceUnavailableException / ThrottlingException (nothing stored)."""
        if self.dice.roll():
            code, status = self.dice.pick(PUT_RECORD_ERRORS)
            raise client_error(code, "Slow down.", "PutRecord", status=status)
        response: dict[str, Any] = self.stream.put_record(**kwargs)
        return response

    def put_record_batch(self, *, Records: Any, **kwargs: Any) -> dict[str, Any]:
        """PutRecordBatch where each entry fails independently (FailedPutCount, not an exception)."""
        records = list(Records) if isinstance(Records, list | tuple) else Records
        if not isinstance(records, list) or not records:
            # Let the stream answer the validation error exactly as it would.
            response: dict[str, Any] = self.stream.put_record_batch(Records=Records, **kwargs)
            return response
        failed = [self.dice.roll() for _ in records]
        passed = [record for record, fail in zip(records, failed, strict=True) if not fail]
        inner: list[dict[str, Any]] = []
        if passed:
            inner = list(self.stream.put_record_batch(Records=passed, **kwargs)["RequestResponses"])
        entries: list[dict[str, Any]] = []
        for fail in failed:
            if fail:
                code = self.dice.pick(BATCH_ENTRY_ERRORS)
                entries.append({"ErrorCode": code, "ErrorMessage": "Slow down."})
            else:
                entries.append(inner.pop(0))
        return {
            "FailedPutCount": sum(1 for entry in entries if "ErrorCode" in entry),
            "Encrypted": False,
            "RequestResponses": entries,
        }


class FlakyObjectStore:
    """An object store whose `put_object` to some buckets fails at a rate; reads pass through."""

    def __init__(self, store: LocalObjectStore, dice: Dice, buckets: Collection[str]) -> None:
        self.store = store
        self.dice = dice
        self.buckets = frozenset(buckets)

    def put_object(self, *, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        """PutObject, or SlowDown / InternalError for the faulty buckets (nothing written)."""
        if Bucket in self.buckets and self.dice.roll():
            code, status, message = self.dice.pick(ARCHIVE_ERRORS)
            raise client_error(code, message, "PutObject", status=status)
        return self.store.put_object(Bucket=Bucket, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # get_object, head_object, list_objects_v2, put_count: the real store's.
        return getattr(self.store, name)


class TimingOutProcessor:
    """A processor handler that, at a rate, ends in a Lambda timeout instead of an answer."""

    def __init__(self, handler: Handler, dice: Dice) -> None:
        self.handler = handler
        self.dice = dice

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The handler's answer, or LambdaTimeout (before or after the handler did its work)."""
        if self.dice.roll():
            if self.dice.pick((True, False)):
                # Timed out after its side effects: the archive is written, the answer lost.
                self.handler(event, context)
            raise LambdaTimeout(f"Task timed out after {ARCHIVER_TIMEOUT_SECONDS:.2f} seconds")
        return self.handler(event, context)


def _seed(config: FaultConfig, offset: int) -> int | None:
    return None if config.seed is None else config.seed * 10 + offset


@dataclass
class InjectedFaults:
    """The dice of the faults wired into one stack (their counts show what was injected)."""

    put: Dice
    archive: Dice
    timeout: Dice

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far."""
        return {
            "put_failures": self.put.hits,
            "archive_failures": self.archive.hits,
            "archiver_timeouts": self.timeout.hits,
        }


def inject(stream: LocalDeliveryStream, config: FaultConfig) -> tuple[Any, InjectedFaults]:
    """Wire the configured faults around a delivery stream.

    Replaces the stream's processor (timeouts) and the archiver's S3 client
    (archive failures); returns the Firehose client the webhook must use
    (the stream itself when puts do not fail) and the faults' dice.
    """
    faults = InjectedFaults(
        put=Dice(config.fail_put_rate, _seed(config, _PUT_SEED_OFFSET)),
        archive=Dice(config.fail_archive_rate, _seed(config, _ARCHIVE_SEED_OFFSET)),
        timeout=Dice(config.archiver_timeout_rate, _seed(config, _TIMEOUT_SEED_OFFSET)),
    )
    if config.fail_archive_rate > 0:
        # Only the archiver's writes fail: the stream's own Parquet and error
        # objects go through its unwrapped store (Firehose retries S3 delivery
        # for up to 24 h, which the local stream does by keeping them spooled).
        flaky = FlakyObjectStore(stream.store, faults.archive, {RAW_BUCKET})
        stream.processor = stream.archiver_over(flaky)
    if config.archiver_timeout_rate > 0:
        stream.processor = TimingOutProcessor(stream.processor, faults.timeout)
    if config.fail_put_rate > 0:
        return FlakyDeliveryStream(stream, faults.put), faults
    return stream, faults
