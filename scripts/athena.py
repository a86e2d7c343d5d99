"""Run Athena SQL on a deployed stack: start, poll with backoff, read every page, type the values.

The dashboards' queries are rendered (`glue_schema.views.render`) and sent as the
`QueryString` of `StartQueryExecution` in the stack's workgroup, whose enforced
settings give the result location and the bytes-scanned cutoff.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from glue_schema.views import QueryParameters, render_as

#: Final states of a query execution (Athena API `QueryExecutionStatus.State`).
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
CANCELLED: Final = "CANCELLED"
_FINAL_STATES: Final = frozenset({SUCCEEDED, FAILED, CANCELLED})

DEFAULT_TIMEOUT_SECONDS: Final = 300.0
FIRST_POLL_SECONDS: Final = 0.2
MAX_POLL_SECONDS: Final = 5.0
#: GetQueryResults returns at most 1000 rows a page.
PAGE_SIZE: Final = 1000

_INTEGER_TYPES: Final = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOAT_TYPES: Final = frozenset({"double", "float", "real"})


class AthenaQueryError(Exception):
    """An Athena query did not succeed: refused, FAILED, CANCELLED or timed out."""

    def __init__(
        self, message: str, *, state: str | None = None, execution_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.state = state
        self.execution_id = execution_id


@dataclass(frozen=True)
class AthenaResult:
    """The rows of one succeeded query, typed, and what it cost."""

    execution_id: str
    columns: list[str]
    column_types: list[str]
    rows: list[tuple[Any, ...]]
    data_scanned_bytes: int


def typed_value(text: str | None, athena_type: str) -> Any:
    """One `VarCharValue` as a Python value of its column's Athena type (None for NULL)."""
    if text is None:
        return None
    kind = athena_type.lower().split("(", 1)[0].strip()
    if kind in _INTEGER_TYPES:
        return int(text)
    if kind in _FLOAT_TYPES:
        return float(text)  # also reads Athena's NaN, Infinity and -Infinity
    if kind == "decimal":
        return decimal.Decimal(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "timestamp":
        # Athena prints `2026-01-02 03:04:05.678`: a wall time without zone (UTC here).
        return dt.datetime.fromisoformat(text)
    # varchar, char, json, time, timestamp with time zone, and arrays, maps and rows:
    # Athena returns those as display text that does not round-trip (`[a, b]` for an
    # array of 'a' and 'b'), so they stay text.
    return text


def _cell(datum: Mapping[str, Any]) -> str | None:
    value = datum.get("VarCharValue")
    return value if isinstance(value, str) else None


class AthenaRunner:
    """Runs queries in one workgroup and database; the client and the clock can be replaced."""

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        database: str,
        catalog: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        first_poll_seconds: float = FIRST_POLL_SECONDS,
        max_poll_seconds: float = MAX_POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.catalog = catalog
        self.timeout_seconds = timeout_seconds
        self.first_poll_seconds = first_poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self._sleep = sleep
        self._clock = clock

    def start(self, sql: str) -> str:
        """Start one query in the workgroup; its execution id."""
        context: dict[str, str] = {"Database": self.database}
        if self.catalog:
            context["Catalog"] = self.catalog
        try:
            response = self.client.start_query_execution(
                QueryString=sql, QueryExecutionContext=context, WorkGroup=self.workgroup
            )
        except ClientError as error:
            raise AthenaQueryError(f"Athena refused the query: {_client_error(error)}") from None
        except BotoCoreError as error:
            raise AthenaQueryError(f"Athena could not be reached: {error}") from None
        return str(response["QueryExecutionId"])

    def wait(self, execution_id: str) -> dict[str, Any]:
        """Poll until the query is final (backoff, overall timeout); its QueryExecution."""
        deadline = self._clock() + self.timeout_seconds
        delay = self.first_poll_seconds
        while True:
            execution = self._execution(execution_id)
            status = execution.get("Status", {})
            state = status.get("State")
            if state == SUCCEEDED:
                return execution
            if state in (FAILED, CANCELLED):
                reason = status.get("StateChangeReason") or "no reason given"
                raise AthenaQueryError(
                    f"query {state}: {reason}", state=state, execution_id=execution_id
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                self._stop(execution_id)
                raise AthenaQueryError(
                    f"query still {state or 'unknown'} after {self.timeout_seconds:g} s; "
                    "stopped it",
                    state=state,
                    execution_id=execution_id,
                )
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, self.max_poll_seconds)

    def results(self, execution_id: str) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """Every page of a succeeded query's results: (columns, Athena types, typed rows)."""
        paginator = self.client.get_paginator("get_query_results")
        columns: list[str] = []
        types: list[str] = []
        rows: list[tuple[Any, ...]] = []
        first_page = True
        try:
            for page in paginator.paginate(
                QueryExecutionId=execution_id, PaginationConfig={"PageSize": PAGE_SIZE}
            ):
                result_set = page.get("ResultSet", {})
                page_rows = result_set.get("Rows", [])
                if first_page:
                    info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                    columns = [str(column["Name"]) for column in info]
                    types = [str(column.get("Type", "varchar")) for column in info]
                    # A SELECT's first row is the header (the column labels), not data.
                    if page_rows and [_cell(d) for d in page_rows[0].get("Data", [])] == columns:
                        page_rows = page_rows[1:]
                    first_page = False
                for row in page_rows:
                    cells = [_cell(d) for d in row.get("Data", [])]
                    rows.append(
                        tuple(typed_value(c, t) for c, t in zip(cells, types, strict=False))
                    )
        except ClientError as error:
            raise AthenaQueryError(
                f"could not read the results: {_client_error(error)}", execution_id=execution_id
            ) from None
        return columns, types, rows

    def run(self, sql: str) -> AthenaResult:
        """Start, wait for and read one query."""
        execution_id = self.start(sql)
        execution = self.wait(execution_id)
        columns, types, rows = self.results(execution_id)
        scanned = execution.get("Statistics", {}).get("DataScannedInBytes") or 0
        return AthenaResult(execution_id, columns, types, rows, int(scanned))

    def query(
        self, sql: str, parameters: QueryParameters | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The local engine's interface: placeholders rendered, then (columns, rows)."""
        result = self.run(render_as(AthenaQueryError, sql, parameters))
        return result.columns, result.rows

    def _execution(self, execution_id: str) -> dict[str, Any]:
        try:
            response = self.client.get_query_execution(QueryExecutionId=execution_id)
        except ClientError as error:
            raise AthenaQueryError(
                f"could not read the query's state: {_client_error(error)}",
                execution_id=execution_id,
            ) from None
        execution: dict[str, Any] = response["QueryExecution"]
        return execution

    def _stop(self, execution_id: str) -> None:
        # Best effort: the query is abandoned either way, but a stopped one stops costing.
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.stop_query_execution(QueryExecutionId=execution_id)


def _client_error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code = details.get("Code", "Error")
    message = details.get("Message", "")
    return f"{code}: {message}" if message else str(code)
