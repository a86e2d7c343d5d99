"""An import's rows, staged as Parquet: buffered per (table, dt), written a bounded batch
at a time as part files, and put together as one file per (table, dt) at the end.

Rows arrive as tuples (local/export_messages.py, local/export_events.py), timestamps
in epoch milliseconds; each batch is turned column by column into Arrow arrays of
the catalog's schema (no dict per row), pseudonymised column by column when
PSEUDONYMIZE_USERS is on (functions/privacy.py's rule). Memory holds at most
`flush_rows` rows, whatever the export's size. local/export_import.py runs it.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from functions.privacy import USER_ID_COLUMNS, USER_ID_LIST_COLUMNS, USER_NAME_COLUMNS, pseudonym
from functions.rows import format_timestamp_ms
from glue_schema import MEMBER_EVENTS, MESSAGES, REACTIONS, Table
from glue_schema.tables import arrow_type
from local.export_events import MEMBER_FIELDS, REACTION_FIELDS
from local.export_messages import MESSAGE_FIELDS, Row

TABLES: Final = {table.name: table for table in (MESSAGES, MEMBER_EVENTS, REACTIONS)}
#: The fields of each table's row tuples, in tuple order (columns not named are NULL).
FIELDS: Final = {
    MESSAGES.name: MESSAGE_FIELDS,
    MEMBER_EVENTS.name: MEMBER_FIELDS,
    REACTIONS.name: REACTION_FIELDS,
}
_MS_PER_DAY: Final = 86_400_000


@functools.lru_cache(maxsize=4096)
def utc_date(epoch_ms: int) -> str:
    """`YYYY-MM-DD`, the UTC date of an epoch-milliseconds time: a row's dt partition."""
    return format_timestamp_ms(epoch_ms - epoch_ms % _MS_PER_DAY)[:10]


def arrow_table(
    table: Table, fields: Sequence[str], rows: Sequence[Row], pseudonym_key: bytes | None = None
) -> Any:
    """Row tuples (in `fields` order) as an Arrow table of the catalog's schema."""
    import pyarrow as pa

    from glue_schema import arrow_schema

    unknown = set(fields).difference(table.column_names)
    if unknown:  # the catalog changed: say so rather than drop the values
        raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    columns: dict[str, Sequence[Any]] = dict(zip(fields, zip(*rows, strict=True), strict=True))
    if pseudonym_key is not None:
        _pseudonymize(columns, pseudonym_key)
    arrays = []
    for column in table.columns:
        values = columns.get(column.name)
        kind = arrow_type(column.type)  # timestamps: epoch ms → timestamp("ms")
        arrays.append(pa.nulls(len(rows), kind) if values is None else pa.array(values, kind))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def _pseudonymize(columns: dict[str, Sequence[Any]], key: bytes) -> None:
    """functions.privacy.pseudonymize_row, a column at a time."""
    known: dict[int, int] = {}

    def hidden(value: Any) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        found = known.get(value)
        if found is None:
            found = known[value] = pseudonym(value, key)
        return found

    for name in USER_ID_COLUMNS:
        if name in columns:
            columns[name] = [hidden(value) for value in columns[name]]
    for name in USER_ID_LIST_COLUMNS:
        if name in columns:
            columns[name] = [
                [p for p in map(hidden, ids) if p is not None] if isinstance(ids, list) else ids
                for ids in columns[name]
            ]
    for name in USER_NAME_COLUMNS:
        if name in columns:
            columns[name] = [None] * len(columns[name])


class StagedRows:
    """Rows per (table, dt), written as Parquet parts to `staging` every `flush_rows` rows."""

    def __init__(self, staging: Path, flush_rows: int, pseudonym_key: bytes | None = None) -> None:
        self.staging = staging
        self.flush_rows = flush_rows
        self.pseudonym_key = pseudonym_key
        self._buffers: dict[tuple[str, str], list[Row]] = {}
        self._buffered = 0
        self._parts: dict[tuple[str, str], list[Path]] = defaultdict(list)
        #: The messages buffer of the last dt added to (most messages follow their
        #: predecessor's day): (dt, buffer).
        self._recent: tuple[str, list[Row]] = ("", [])

    def add(self, table: str, row: Row, dt: str) -> None:
        """Buffer one row of `table` for partition `dt`."""
        buffer = self._buffers.get((table, dt))
        if buffer is None:
            buffer = self._buffers[(table, dt)] = []
        buffer.append(row)
        self._buffered += 1
        if self._buffered >= self.flush_rows:
            self.flush()

    def add_message(
        self, dt: str, message: Row, members: Sequence[Row], reactions: Sequence[Row]
    ) -> None:
        """One message's rows, as `add` for each in turn (the same parts, the same files)."""
        count = 1 + len(members) + len(reactions)
        if self._buffered + count >= self.flush_rows:  # a flush falls among these rows
            self.add(MESSAGES.name, message, dt)
            for member in members:
                self.add(MEMBER_EVENTS.name, member, dt)
            for reaction in reactions:
                self.add(REACTIONS.name, reaction, dt)
            return
        recent_dt, buffer = self._recent
        if recent_dt != dt or not buffer:  # another day, or emptied by a flush since
            buffer = self._buffers.get((MESSAGES.name, dt)) or []
            self._buffers[(MESSAGES.name, dt)] = buffer
            self._recent = (dt, buffer)
        buffer.append(message)
        if members:
            self._buffers.setdefault((MEMBER_EVENTS.name, dt), []).extend(members)
        if reactions:
            self._buffers.setdefault((REACTIONS.name, dt), []).extend(reactions)
        self._buffered += count

    def flush(self) -> None:
        """Write every buffered (table, dt) as a part file and empty the buffers."""
        for (table, dt), rows in self._buffers.items():
            parts = self._parts[(table, dt)]
            path = self.staging / "parts" / table / f"dt={dt}" / f"part-{len(parts):05d}.arrow"
            _write_part(path, arrow_table(TABLES[table], FIELDS[table], rows, self.pseudonym_key))
            parts.append(path)
        self._buffers = {}
        self._recent = ("", [])
        self._buffered = 0

    def finish(self, key_of: Callable[[Table, str], str]) -> dict[str, Path]:
        """One Parquet file per (table, dt) under `staging/data/<key_of(table, dt)>`, its
        parts in the order written; key → path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.flush()
        finals: dict[str, Path] = {}
        for (table, dt), parts in sorted(self._parts.items()):
            key = key_of(TABLES[table], dt)
            target = self.staging / "data" / key
            target.parent.mkdir(parents=True, exist_ok=True)
            whole = pa.concat_tables([_read_part(part) for part in parts])
            pq.write_table(whole, target, compression="snappy")
            for part in parts:
                part.unlink()
            finals[key] = target
        return finals


def _write_part(path: Path, arrow: Any) -> None:
    """A staged part: Arrow IPC, uncompressed (cheap to write and to read back)."""
    import pyarrow as pa

    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, arrow.schema) as writer:
        writer.write_table(arrow)


def _read_part(path: Path) -> Any:
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()
