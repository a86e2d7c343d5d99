"""The local Athena: DuckDB over the lake directory, queried in Athena (Trino) SQL.

Tables and views carry Athena's names (`messages`, `member_events`, `reactions`,
`raw_updates`, and the views of glue_schema/views/). Every query is transpiled by sqlglot
(read trino, write duckdb); where that is not enough, a few rewrites and
polyfill macros keep Athena's meaning (each is listed in docs/query-engine.md).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types

from glue_schema import DELIVERED_TABLES, MESSAGES, RAW_UPDATES, Table
from glue_schema.tables import RAW_UPDATE_KINDS
from glue_schema.views import QueryParameters, render_as, views


def parquet_glob(table: Table) -> str:
    """Where a delivered table's Parquet objects live under the lake (the data bucket's layout)."""
    return f"data/{table.prefix}dt=*/*.parquet"


#: Where each table's objects live under the lake (S3 layout, one folder per bucket).
MESSAGES_GLOB: Final = parquet_glob(MESSAGES)
RAW_UPDATES_GLOB: Final = "raw/updates/dt=*/*.ndjson.gz"

_SCALAR_TYPES: Final = {
    "bigint": "BIGINT",
    "int": "INTEGER",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    # Athena timestamps are wall times without zone, read as UTC (TimeZone is UTC below).
    "timestamp": "TIMESTAMP",
}

#: Polyfills for Trino functions DuckDB lacks and sqlglot does not translate.
#: Created as DuckDB macros; each one is documented in docs/query-engine.md.
POLYFILL_MACROS: Final = {
    # Trino: host of an absolute URL, NULL when the text has no scheme://authority.
    "url_extract_host": (
        "(url) AS nullif(regexp_extract(url, "
        "'^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\\[[^\\]]*\\]|[^/?#:]*)', 1), '')"
    ),
    # Trino: the wall time `ts` read in `zone` -> timestamp with time zone (an instant).
    "with_timezone": "(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMP))",
    # Trino: the instant `ts` seen in `zone`. DuckDB values carry no zone, so this
    # returns the wall time in `zone` (the digits Athena prints, without the suffix).
    "at_timezone": "(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMPTZ))",
}

#: Units for which Trino's date arithmetic on a DATE stays a DATE (DuckDB's becomes TIMESTAMP).
_DATE_UNITS: Final = frozenset({"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"})

_ANSI_ESCAPE: Final = re.compile(r"\x1b\[[0-9;]*m")


class QueryError(Exception):
    """The query could not be run: bad SQL, an unknown name or parameter, a runtime error."""


def duckdb_type(glue_type: str) -> str:
    """The DuckDB type matching a Glue (Hive) column type."""
    if glue_type.startswith("array<") and glue_type.endswith(">"):
        return f"{duckdb_type(glue_type[len('array<') : -1])}[]"
    return _SCALAR_TYPES[glue_type]


def table_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a table's columns, partition keys last, as Athena shows them."""
    columns = [
        # raw_updates keeps each update kind as JSON text (a Glue string); DuckDB's
        # JSON type is text too and lets json_extract_scalar reach inside.
        (
            c.name,
            "JSON" if table is RAW_UPDATES and c.name in RAW_UPDATE_KINDS else duckdb_type(c.type),
        )
        for c in table.columns
    ]
    return columns + [(key.name, duckdb_type(key.type)) for key in table.partition_keys]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed_projection(columns: list[tuple[str, str]]) -> str:
    return ",\n  ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in columns)


def _empty_relation(columns: list[tuple[str, str]]) -> str:
    # A relation with the table's columns and types and no rows: what Athena
    # returns for a table whose prefix holds no objects yet.
    nulls = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in columns)
    return f"SELECT {nulls} WHERE false"


def _parquet_source(table: Table, file_groups: Sequence[Sequence[str]]) -> str:
    columns = table_columns(table)
    # UNION ALL BY NAME with the empty typed relation: a column missing from every
    # file (added to the schema after they were written) still exists, as NULL.
    # Files are grouped by their columns and each group is read without
    # union_by_name: union_by_name reads every file's footer at every query, which
    # defeats partition pruning on dt (Athena, knowing the schema from Glue, reads
    # nothing outside the pruned partitions). Schema names and quoted paths only.
    reads = "".join(
        "\n  UNION ALL BY NAME\n  SELECT * FROM read_parquet(["  # noqa: S608  # nosec B608 - quoted paths
        + ", ".join(_sql_string(path) for path in group)
        + "], hive_partitioning = true, hive_types = {'dt': 'VARCHAR'},"
        " hive_types_autocast = false)"
        for group in file_groups
    )
    return (
        f"SELECT\n  {_typed_projection(columns)}\nFROM (\n"  # nosec B608 # schema names, quoted paths
        f"  {_empty_relation(columns)}{reads}\n)"
    )


def _raw_updates_source(glob: str) -> str:
    columns = table_columns(RAW_UPDATES)
    data_columns = ", ".join(
        f"{_sql_string(name)}: {_sql_string(kind)}" for name, kind in columns if name != "dt"
    )
    # ignore_errors: a malformed line becomes a row of NULLs, as with the OpenX
    # JSON SerDe's ignore.malformed.json; the query does not fail.
    return (
        f"SELECT\n  {_typed_projection(columns)}\nFROM read_json({_sql_string(glob)},"  # nosec B608 # schema names, quoted path
        f" format = 'newline_delimited', compression = 'gzip', columns = {{{data_columns}}},"
        " ignore_errors = true, hive_partitioning = true, hive_types = {'dt': 'VARCHAR'},"
        " hive_types_autocast = false)"
    )


def _rewrite_at_time_zone(node: exp.Expression) -> exp.Expression:
    # Trino reads `ts AT TIME ZONE z` on a zone-less timestamp as UTC (the session
    # zone) and shows it in z; DuckDB would read ts as a wall time in z instead.
    if isinstance(node, exp.AtTimeZone):
        return exp.Anonymous(this="at_timezone", expressions=[node.this, node.args["zone"]])
    return node


def _keep_dates_dates(tree: exp.Expression) -> exp.Expression:
    # Trino: date_add('day', n, DATE) and DATE +/- INTERVAL 'n' DAY are DATEs;
    # DuckDB makes them TIMESTAMPs, which then compare and print differently
    # (CAST(... AS varchar) gives '2026-01-01 00:00:00', not '2026-01-01').
    typed = annotate_types(tree, dialect="trino")
    for node in list(typed.find_all(exp.DateAdd, exp.DateSub, exp.Add, exp.Sub)):
        if node.type is None or not node.type.is_type(exp.DataType.Type.DATE):
            continue
        if isinstance(node, exp.DateAdd | exp.DateSub):
            unit = node.args.get("unit")
            if unit is not None and unit.name.upper() not in _DATE_UNITS:
                continue
        elif not isinstance(node, exp.Binary) or not any(
            isinstance(side, exp.Interval) for side in (node.left, node.right)
        ):
            continue
        if isinstance(node.parent, exp.Cast) and node.parent.to.is_type(exp.DataType.Type.DATE):
            continue
        node.replace(exp.cast(node.copy(), exp.DataType.build("DATE")))
    return typed


def _name_columns_as_athena(tree: exp.Expression) -> exp.Expression:
    # Athena names an output column that is neither a column nor aliased `_colN`
    # (N = its position from 0); DuckDB would name it after the expression text.
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Select):
        for position, projection in enumerate(select.expressions):
            if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
                projection.replace(exp.alias_(projection.copy(), f"_col{position}"))
    return tree


def transpile(sql: str) -> str:
    """One Athena (Trino) SELECT transpiled to the DuckDB SQL this engine runs."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    except ParseError as error:
        raise QueryError(_parse_error_line(error)) from None
    except SqlglotError as error:
        raise QueryError(_one_line(str(error))) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryError("only queries (SELECT / WITH / VALUES) run on the local lake")
    tree = tree.transform(_rewrite_at_time_zone)
    tree = _keep_dates_dates(tree)
    tree = _name_columns_as_athena(tree)
    try:
        return tree.sql(dialect="duckdb")
    except SqlglotError as error:
        raise QueryError(_one_line(str(error))) from None


#: Lines of a DuckDB error worth keeping after its first: the engine's own suggestions.
_HINTS: Final = ("Did you mean", "Candidate bindings", "Candidate tables", "HINT")


def _one_line(message: str) -> str:
    lines = [line.strip() for line in _ANSI_ESCAPE.sub("", message).splitlines() if line.strip()]
    if not lines:
        return "query failed"
    hints = [line for line in lines[1:] if line.startswith(_HINTS)]
    return " ".join([lines[0], *hints])


def _parse_error_line(error: ParseError) -> str:
    if error.errors:
        first = error.errors[0]
        where = (
            f" (line {first.get('line')}, column {first.get('col')})" if first.get("line") else ""
        )
        return f"SQL syntax: {first.get('description')}{where}"
    return f"SQL syntax: {_one_line(str(error))}"


class LocalQueryEngine:
    """DuckDB over `<lake>/data` and `<lake>/raw`, with Athena's tables, views and SQL dialect."""

    def __init__(self, lake: Path, *, threads: int | None = None) -> None:
        self.lake = Path(lake)
        if any(char in str(self.lake) for char in "*?[]{}"):
            raise QueryError(f"the lake path must not contain glob characters: {self.lake}")
        self._connection = duckdb.connect(
            database=":memory:",
            config={
                # Two cores is the target machine; queries here are small.
                "threads": threads or min(2, os.cpu_count() or 1),
                # Nothing may reach the network: only the built-in extensions.
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )
        # Athena's session zone is UTC and `/` on integers is integer division.
        self._connection.execute("SET TimeZone = 'UTC'")
        self._connection.execute("SET integer_division = true")
        for name, body in POLYFILL_MACROS.items():
            self._connection.execute(f"CREATE OR REPLACE MACRO {name}{body}")
        # One DuckDB connection is not safe for concurrent use: queries take turns.
        self._lock = threading.Lock()
        self._sources: dict[str, object] = {
            **{table.name: None for table in DELIVERED_TABLES},
            RAW_UPDATES.name: None,
        }
        self._footers: dict[str, tuple[int, int, frozenset[str]]] = {}
        self._refresh()
        for name, select in views().items():
            self._connection.execute(f'CREATE OR REPLACE VIEW "{name}" AS {transpile(select)}')

    def close(self) -> None:
        """Release the DuckDB connection."""
        self._connection.close()

    def __enter__(self) -> LocalQueryEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _refresh(self) -> None:
        # A view binds its files when created: rebuild a source whenever the lake's
        # files change (the first object arriving, new flushes, a replayed partition).
        footers: dict[str, tuple[int, int, frozenset[str]]] = {}
        for table in DELIVERED_TABLES:
            groups = self._file_groups(parquet_glob(table), footers)
            if self._sources[table.name] != groups:
                body = (
                    _parquet_source(table, groups)
                    if groups
                    else _empty_relation(table_columns(table))
                )
                self._connection.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS {body}')
                self._sources[table.name] = groups
        self._footers = footers
        has_raw = next(self.lake.glob(RAW_UPDATES_GLOB), None) is not None
        if self._sources["raw_updates"] != has_raw:
            body = (
                _raw_updates_source(str(self.lake / RAW_UPDATES_GLOB))
                if has_raw
                else _empty_relation(table_columns(RAW_UPDATES))
            )
            self._connection.execute(f'CREATE OR REPLACE VIEW "raw_updates" AS {body}')
            self._sources["raw_updates"] = has_raw

    def _file_groups(
        self, glob: str, seen: dict[str, tuple[int, int, frozenset[str]]]
    ) -> tuple[tuple[str, ...], ...]:
        """A table's Parquet files, grouped by their column names (footers cached, kept in `seen`)."""
        import pyarrow.parquet as pq

        groups: dict[frozenset[str], list[str]] = {}
        for path in sorted(self.lake.glob(glob)):
            try:
                stat = path.stat()
            except FileNotFoundError:  # replaced by a concurrent flush or replay
                continue
            key = str(path)
            cached = self._footers.get(key)
            if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
                try:
                    names = frozenset(pq.read_schema(path).names)
                except (OSError, ValueError):
                    continue  # being written or not Parquet: Athena would fail, we skip it
                cached = (stat.st_mtime_ns, stat.st_size, names)
            seen[key] = cached
            groups.setdefault(cached[2], []).append(key)
        return tuple(tuple(files) for _, files in sorted(groups.items(), key=lambda g: g[1][0]))

    def query(
        self, sql: str, parameters: QueryParameters | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one Athena SQL query (placeholders rendered with `parameters`): (columns, rows)."""
        duck_sql = transpile(render_as(QueryError, sql, parameters))
        with self._lock:
            try:
                self._refresh()
                cursor = self._connection.execute(duck_sql)
                columns = [description[0] for description in cursor.description or ()]
                return columns, cursor.fetchall()
            except duckdb.Error as error:
                raise QueryError(_one_line(str(error))) from None

    def table_names(self) -> Sequence[str]:
        """The tables and views a query can use, as Athena names them."""
        return (*(table.name for table in DELIVERED_TABLES), RAW_UPDATES.name, *views())
