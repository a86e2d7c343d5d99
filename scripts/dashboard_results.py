"""A dashboard query's result, the page's context, and reading a result's values.

`Rows` reads a result's values by column name; a result without the columns a chart
needs raises `ChartDataError`, which the page shows in the panel with the rows as a
table. The values come typed by either engine (DuckDB locally, Athena's column
metadata), or as text: `as_number`, `as_date` and `as_datetime` take both.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueryResult:
    """One dashboard query's outcome: its rows, or the error that replaced them."""

    name: str
    question: str
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    error: str | None = None
    data_scanned_bytes: int | None = None


@dataclass(frozen=True)
class PageContext:
    """What the header says: the chats, the window, the time zone, the source, when."""

    #: (chat_id, title), busiest first; None when the query that lists them failed.
    chats: Sequence[tuple[int, str | None]] | None
    days: int
    tz: str
    window_start: dt.date
    window_end: dt.date
    generated_at: dt.datetime
    source: str

    def window_days(self) -> list[dt.date]:
        """Every calendar day of the window, oldest first."""
        count = (self.window_end - self.window_start).days + 1
        return [self.window_start + dt.timedelta(days=n) for n in range(max(count, 0))]


class ChartDataError(ValueError):
    """A query's rows do not have the columns its chart needs."""


# -- result values -----------------------------------------------------------------------


def as_number(value: Any) -> float:
    """A result value as a float (None counts as 0)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    return float(str(value))


def as_date(value: Any) -> dt.date:
    """A result value (a date, a datetime or ISO text) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> dt.datetime:
    """A result value (a datetime or ISO text) as a datetime without zone."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)


class Rows:
    """Access to a result's values by column name, with a clear error for a missing one."""

    def __init__(self, result: QueryResult, *needed: str) -> None:
        missing = [name for name in needed if name not in result.columns]
        if missing:
            raise ChartDataError(
                f"the result has no column {', '.join(missing)} "
                f"(columns: {', '.join(result.columns) or 'none'})"
            )
        self.index = {name: position for position, name in enumerate(result.columns)}
        self.rows = result.rows

    def __iter__(self) -> Any:
        return iter(self.rows)

    def get(self, row: Sequence[Any], name: str) -> Any:
        """The value of column `name` in `row`."""
        return row[self.index[name]]


def single_row(result: QueryResult, *columns: str) -> dict[str, Any]:
    """The first row's values by column (all None without a row)."""
    data = Rows(result, *columns)
    rows = list(data)
    if not rows:
        return dict.fromkeys(columns)
    return {name: data.get(rows[0], name) for name in columns}


def sums_per_day(
    data: Rows, value_column: str, key: Callable[[Sequence[Any]], Any]
) -> dict[Any, dict[dt.date, float]]:
    """Sums of `value_column` by series key, then by day."""
    totals: dict[Any, dict[dt.date, float]] = {}
    for row in data:
        day = as_date(data.get(row, "day"))
        series = totals.setdefault(key(row), {})
        series[day] = series.get(day, 0.0) + as_number(data.get(row, value_column))
    return totals


def day_sums(data: Rows, value_column: str) -> dict[dt.date, float]:
    """Sums of `value_column` by day, as one series."""
    return sums_per_day(data, value_column, lambda row: None).get(None, {})
