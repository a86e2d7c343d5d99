"""Pure logic of the archiver: the archive object of a batch and each record's result."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from functions import constants as c
from functions import jsoncodec
from functions.privacy import pseudonymize_row
from functions.routing import SHAPERS, tables_for
from functions.settings import DEFAULT_SOURCE
from functions.telegram import as_int64
from glue_schema import MESSAGES

Result = Literal["Ok", "Dropped", "ProcessingFailed"]
_GZIP_LEVEL = 6
_FEXTRA = 0x04
_OS_UNKNOWN = 255
#: gzip FEXTRA subfield id of the arrival times ("tgpipe arrivals"), and its format version.
_ARRIVALS_ID = b"TA"
_ARRIVALS_VERSION = 1
#: XLEN is 16 bits; the subfield's own 4-byte header comes out of it.
_MAX_SUBFIELD_BYTES = 65535 - 4
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

    @property
    def data_base64(self) -> str:
        """The row's bytes as Firehose expects them back."""
        return base64.b64encode(self.data).decode("ascii")

    def as_response(self) -> dict[str, str]:
        """The record as Firehose expects it back (data base64)."""
        return {"recordId": self.record_id, "result": self.result, "data": self.data_base64}


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
    """The batch's raw updates, unchanged, one per line, gzip (fixed mtime: same batch, same bytes).

    Each line's arrival time (the row's received_at) rides in the gzip header's
    FEXTRA field (RFC 1952 2.3.1.1), which every gzip reader skips (Athena, DuckDB,
    zcat); `archive_arrivals` reads it back so a replay rebuilds rows exactly.
    """
    archived = [(r.data, r.arrival_ms) for r in records if r.data]
    payload = b"".join(data if data.endswith(b"\n") else data + b"\n" for data, _ in archived)
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(payload) + compressor.flush()
    extra = _arrivals_subfield([arrival for _, arrival in archived])
    flags = _FEXTRA if extra else 0
    header = struct.pack("<BBBBIBB", 0x1F, 0x8B, 8, flags, 0, 0, _OS_UNKNOWN)
    if extra:
        header += struct.pack("<H", len(extra)) + extra
    trailer = struct.pack("<II", zlib.crc32(payload), len(payload) & 0xFFFFFFFF)
    return header + deflated + trailer


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _arrivals_subfield(arrivals: Sequence[int]) -> bytes:
    """`TA` subfield: version, first arrival (int64 ms), zigzag varint deltas; b"" if too big."""
    if not arrivals:
        return b""
    data = bytearray(struct.pack("<Bq", _ARRIVALS_VERSION, arrivals[0]))
    previous = arrivals[0]
    for arrival in arrivals[1:]:
        data += _varint(_zigzag(arrival - previous))
        previous = arrival
    if len(data) > _MAX_SUBFIELD_BYTES:
        return b""  # a batch of tens of thousands: replay falls back to the batch time
    return _ARRIVALS_ID + struct.pack("<H", len(data)) + bytes(data)


def archive_arrivals(archive: bytes) -> list[int] | None:
    """The arrival times (epoch ms) of an archive object's lines, or None if it has none."""
    if len(archive) < 12 or archive[:3] != b"\x1f\x8b\x08" or not archive[3] & _FEXTRA:
        return None
    (xlen,) = struct.unpack_from("<H", archive, 10)
    extra, position = archive[12 : 12 + xlen], 0
    while position + 4 <= len(extra):
        ident = extra[position : position + 2]
        (length,) = struct.unpack_from("<H", extra, position + 2)
        data = extra[position + 4 : position + 4 + length]
        position += 4 + length
        if ident == _ARRIVALS_ID and len(data) >= 9 and data[0] == _ARRIVALS_VERSION:
            return _decode_arrivals(data)
    return None


def _decode_arrivals(data: bytes) -> list[int] | None:
    (first,) = struct.unpack_from("<q", data, 1)
    arrivals, value, shift = [first], 0, 0
    for byte in data[9:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            arrivals.append(arrivals[-1] + ((value >> 1) ^ -(value & 1)))
            value, shift = 0, 0
    return arrivals if shift == 0 else None


def archived_here(update: dict[str, Any] | None, table: str) -> bool:
    """Whether this table's stream archives a (decoded) update: only if the table comes
    first for it.

    Undecodable records (None) are archived wherever they arrive: the archive is the evidence.
    """
    return table == MESSAGES.name or update is None or tables_for(update)[0] == table


def decode(record: IncomingRecord) -> dict[str, Any] | None:
    """The record's update (a JSON object), or None when it is not one."""
    if record.data is None:
        return None
    try:
        update = jsoncodec.loads(record.data)
    except jsoncodec.InvalidJson:
        return None
    return update if isinstance(update, dict) else None


def shape(
    record: IncomingRecord,
    update: dict[str, Any] | None,
    pseudonym_key: bytes | None = None,
    table: str = MESSAGES.name,
    source: str = DEFAULT_SOURCE,
) -> TransformedRecord:
    """Ok + the table's rows of a decoded update (one JSON line each); Dropped when none;
    ProcessingFailed when the record did not decode (None).

    Every row carries `source`: how the update reached the lake (webhook or poll).
    """
    if update is None:
        return TransformedRecord(record.record_id, "ProcessingFailed")
    rows = SHAPERS[table](update, record.arrival_ms)
    if not rows:
        return TransformedRecord(record.record_id, "Dropped")
    lines = []
    for row in rows:
        row["source"] = source
        if pseudonym_key is not None:
            row = pseudonymize_row(row, pseudonym_key)
        # Null columns are left out: the OpenX JSON SerDe reads a missing key as NULL, and
        # a small update's row would otherwise be several times its size, pushing a batch's
        # response toward Lambda's 6 MB limit (docs/deploy.md, "Ceilings").
        present = {column: value for column, value in row.items() if value is not None}
        try:
            lines.append(jsoncodec.dumps(present) + b"\n")
        except jsoncodec.InvalidJson:
            return TransformedRecord(record.record_id, "ProcessingFailed")
    # Several rows ride in one record as concatenated JSON objects, which Firehose's
    # conversion reads as several rows (record format conversion, "Deserializer").
    return TransformedRecord(record.record_id, "Ok", b"".join(lines))


def transform(
    record: IncomingRecord,
    pseudonym_key: bytes | None = None,
    table: str = MESSAGES.name,
    source: str = DEFAULT_SOURCE,
) -> TransformedRecord:
    """Ok + the table's rows, Dropped when the update has none for this table,
    ProcessingFailed if undecodable.

    With a pseudonym key the rows' users are pseudonymised (the archive is not).
    """
    return shape(record, decode(record), pseudonym_key, table, source)
