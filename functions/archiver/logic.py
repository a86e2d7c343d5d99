"""Pure logic of the archiver: the archive object of a batch and each record's result."""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from functions import constants as c
from functions import jsoncodec
from functions.privacy import pseudonymize_row
from functions.rows import shape_row
from functions.telegram import as_int64

Result = Literal["Ok", "Dropped", "ProcessingFailed"]
_GZIP_LEVEL = 6
#: 9999-12-31T23:59:59.999Z: a later arrival time cannot be a date (and would crash datetime).
_MAX_ARRIVAL_MS = 253402300799999


@dataclass(frozen=True)
class IncomingRecord:
    """One record of a Firehose transformation event; data None when not valid base64."""

    record_id: str
    arrival_ms: int
    data: bytes | None


@dataclass(frozen=True)
class TransformedRecord:
    """One record of the response: its id, result and (for Ok) the row's JSON bytes."""

    record_id: str
    result: Result
    data: bytes = b""

    def as_response(self) -> dict[str, str]:
        """The record as Firehose expects it back (data base64)."""
        return {
            "recordId": self.record_id,
            "result": self.result,
            "data": base64.b64encode(self.data).decode("ascii"),
        }


def read_records(raw_records: Iterable[Mapping[str, Any]], now_ms: int) -> list[IncomingRecord]:
    """The event's records; a missing or impossible arrival time falls back to now (never raises)."""
    records = []
    for raw in raw_records:
        arrival = as_int64(raw.get("approximateArrivalTimestamp"))
        try:
            data: bytes | None = base64.b64decode(str(raw.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            data = None
        records.append(
            IncomingRecord(
                record_id=str(raw.get("recordId", "")),
                arrival_ms=arrival
                if arrival is not None and 0 <= arrival <= _MAX_ARRIVAL_MS
                else now_ms,
                data=data,
            )
        )
    return records


def archive_key(records: Sequence[IncomingRecord]) -> str:
    """`updates/dt=<oldest arrival, UTC>/<time>-<hash of record ids>.ndjson.gz`.

    Derived from the batch alone, so a retried batch overwrites its own object.
    """
    oldest = datetime.fromtimestamp(min(r.arrival_ms for r in records) // 1000, tz=UTC)
    digest = hashlib.sha256("\n".join(r.record_id for r in records).encode("utf-8")).hexdigest()
    return f"{c.RAW_UPDATES_PREFIX}dt={oldest:%Y-%m-%d}/{oldest:%Y%m%dT%H%M%SZ}-{digest[:32]}.ndjson.gz"


def archive_body(records: Sequence[IncomingRecord]) -> bytes:
    """The batch's raw updates, unchanged, one per line, gzip (fixed mtime: same batch, same bytes)."""
    lines = [r.data if r.data.endswith(b"\n") else r.data + b"\n" for r in records if r.data]
    return gzip.compress(b"".join(lines), compresslevel=_GZIP_LEVEL, mtime=0)


def transform(record: IncomingRecord, pseudonym_key: bytes | None = None) -> TransformedRecord:
    """Ok + row for message-like updates, Dropped for other kinds, ProcessingFailed if undecodable.

    With a pseudonym key the row's users are pseudonymised (the archive is not).
    """
    if record.data is None:
        return TransformedRecord(record.record_id, "ProcessingFailed")
    try:
        update = jsoncodec.loads(record.data)
    except jsoncodec.InvalidJson:
        return TransformedRecord(record.record_id, "ProcessingFailed")
    if not isinstance(update, dict):
        return TransformedRecord(record.record_id, "ProcessingFailed")
    row = shape_row(update, record.arrival_ms)
    if row is None:
        return TransformedRecord(record.record_id, "Dropped")
    if pseudonym_key is not None:
        row = pseudonymize_row(row, pseudonym_key)
    try:
        return TransformedRecord(record.record_id, "Ok", jsoncodec.dumps(row) + b"\n")
    except jsoncodec.InvalidJson:
        return TransformedRecord(record.record_id, "ProcessingFailed")
