"""The Athena SQL kept as files: views (`views/*.sql`) and the dashboards' queries (`queries/*.sql`).

Stdlib only: `infra/` creates the views on Athena from this text and the local
engine transpiles the very same text to DuckDB. The views build on each other
(messages -> chat_migrations -> messages_all -> messages_unique and messages_current
-> posts; member_events -> member_events_unique -> member_changes; reactions ->
reactions_unique -> reactions_current) and take their column list from
glue_schema.tables (`{{view_columns}}`). Query parameters (a time window in days
and a time zone) are `{{days}}` / `{{tz}}` placeholders that `render()` replaces
with validated SQL literals before a query is sent to either engine (see
docs/query-engine.md for why not Athena's `?` execution parameters);
`{{sent_in_window}}` (`{{changed_in_window}}`, `{{reacted_in_window}}`) and
`{{window_VIEW}}` are the window on a table's event time and a view read from the
window's dt partitions only.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from glue_schema.tables import MEMBER_EVENTS, MESSAGES, REACTIONS, Table

VIEWS_DIR: Final = Path(__file__).parent / "views"
QUERIES_DIR: Final = Path(__file__).parent / "queries"

#: The views, in creation order (a view may only use tables and views before it).
VIEW_NAMES: Final = (
    "chat_migrations",
    "messages_all",
    "messages_unique",
    "messages_current",
    "posts",
    "member_events_unique",
    "member_changes",
    "reactions_unique",
    "reactions_current",
)
#: The table each view's rows come from: its `{{view_columns}}` line lists that
#: table's columns. chat_migrations is a lookup with columns of its own.
VIEW_TABLES: Final[dict[str, Table]] = {
    "messages_all": MESSAGES,
    "messages_unique": MESSAGES,
    "messages_current": MESSAGES,
    "posts": MESSAGES,
    "member_events_unique": MEMBER_EVENTS,
    "member_changes": MEMBER_EVENTS,
    "reactions_unique": REACTIONS,
    "reactions_current": REACTIONS,
}
#: chat_migrations' columns: a basic group's id and the supergroup's it became.
MIGRATION_COLUMNS: Final = ("old_chat_id", "new_chat_id")
#: Columns the views add after their table's columns (then dt): the chat's newest
#: id after group -> supergroup migrations, so one group is one chat on every chart.
VIEW_EXTRA_COLUMNS: Final = ("canonical_chat_id",)


def table_view_columns(table: Table) -> tuple[str, ...]:
    """The columns of a view over `table`: its columns, the extra ones, then the partition key."""
    return (
        *table.column_names,
        *VIEW_EXTRA_COLUMNS,
        *(key.name for key in table.partition_keys),
    )


#: The messages views' columns, in order. A view file writes `{{view_columns}}` on a
#: line of its own for its table's (Trino has no `SELECT * EXCEPT` to drop a view's
#: row_number() column).
VIEW_COLUMNS: Final = table_view_columns(MESSAGES)


def view_columns(name: str) -> tuple[str, ...]:
    """The columns of view `name`, in order (KeyError for a name that is not a view)."""
    if name == "chat_migrations":
        return MIGRATION_COLUMNS
    return table_view_columns(VIEW_TABLES[name])


_VIEW_COLUMNS_LINE: Final = re.compile(r"^([ \t]*)\{\{\s*view_columns\s*\}\}[ \t]*$", re.MULTILINE)

#: What a view or query file may be called: also keeps `--named ../x` out of the folder.
_NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER: Final = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

#: The parameters a query may use, each rendered as one SQL literal.
PARAMETER_NAMES: Final = ("days", "tz")


def in_window_sql(column: str) -> str:
    """The window as a condition on `column`: its local date is one of the last `days` days."""
    return (
        f"date({column} AT TIME ZONE {{{{tz}}}})"
        " >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))"
    )


#: `{{sent_in_window}}`: the window itself, the last `days` calendar days in the time
#: zone, today included, as a condition on a table's event time. Every query restricts
#: its rows to it; the dt bounds below are derived from it. One placeholder per table:
#: messages are sent, membership changes changed, reactions reacted.
SENT_IN_WINDOW: Final = "sent_in_window"
SENT_IN_WINDOW_SQL: Final = in_window_sql("sent_at")
#: Each delivered table's window placeholder and the event time it bounds.
WINDOW_CONDITIONS: Final = {
    MESSAGES.name: (SENT_IN_WINDOW, "sent_at"),
    MEMBER_EVENTS.name: ("changed_in_window", "changed_at"),
    REACTIONS.name: ("reacted_in_window", "reacted_at"),
}
#: `{{sender_is_a_user}}`: a row sent by a user account (a person or a bot), not as a
#: chat, and not by one of Telegram's placeholder accounts: rows shaped before
#: sender_kind kept GroupAnonymousBot (1087968824), Channel_Bot (136817688) and
#: Telegram (777000) as users.
SENDER_IS_A_USER: Final = "sender_is_a_user"
SENDER_IS_A_USER_SQL: Final = (
    "(user_id IS NOT NULL AND user_id NOT IN (1087968824, 136817688, 777000))"
)
#: The conditions a query may write as a placeholder, by name.
_CONDITION_SQL: Final = {
    **{placeholder: in_window_sql(column) for placeholder, column in WINDOW_CONDITIONS.values()},
    SENDER_IS_A_USER: SENDER_IS_A_USER_SQL,
}

#: dt is the UTC arrival date: the window's first day minus one (in the query's
#: time zone) through tomorrow (UTC), so every partition that can hold an event
#: of the window is read, and no other.
DT_FROM_SQL: Final = "date_format(date_add('day', -{{days}}, date(current_timestamp AT TIME ZONE {{tz}})), '%Y-%m-%d')"
DT_TO_SQL: Final = "date_format(date_add('day', 1, current_date), '%Y-%m-%d')"

#: `{{window_NAME}}` renders view NAME as a subquery over only the window's dt
#: partitions. A filter on dt written outside a view cannot reach the scan: the
#: views deduplicate with row_number() partitioned by update_id / chat_id +
#: message_id, and neither Trino nor DuckDB pushes a predicate on another column
#: through a window, so every partition would be read. Inside, it prunes.
WINDOW_PREFIX: Final = "window_"
#: What a view reads: `FROM` or `JOIN` a table or view, and its alias if it has one.
_SOURCE: Final = re.compile(r"\b(FROM|JOIN) ([a-z_][a-z0-9_]*)\b(?: AS ([a-z_][a-z0-9_]*)\b)?")
MAX_DAYS: Final = 3660
DEFAULT_DAYS: Final = 30
DEFAULT_TZ: Final = "UTC"


class UnknownQueryError(KeyError):
    """No view or query file of that name; the message lists the names there are."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class QueryParameterError(ValueError):
    """A query parameter is missing, unknown or has a value that is not allowed."""


def _strip_header(sql: str) -> str:
    # Leading `--` lines document the file; the statement Athena stores starts after them.
    lines = sql.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()


def _names_in(folder: Path) -> tuple[str, ...]:
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(path.stem for path in folder.glob("*.sql") if _NAME_PATTERN.fullmatch(path.stem))
    )


def _read(folder: Path, name: str, kind: str) -> str:
    available = _names_in(folder)
    if name not in available:
        listed = ", ".join(available) or "none"
        raise UnknownQueryError(f"unknown {kind} {name!r} (available: {listed})")
    return _strip_header((folder / f"{name}.sql").read_text(encoding="utf-8"))


@cache
def view_sql(name: str) -> str:
    """The SELECT that defines view `name`, in Athena (Trino) SQL, header comments removed.

    Its `{{view_columns}}` line is rendered as `view_columns(name)`, one a line, indented as it.
    """
    text = _read(VIEWS_DIR, name, "view")
    if name not in VIEW_TABLES and _VIEW_COLUMNS_LINE.search(text):
        raise QueryParameterError(f"view {name} reads no table whose columns it could list")
    sql = _VIEW_COLUMNS_LINE.sub(
        lambda line: line.group(1) + (",\n" + line.group(1)).join(view_columns(name)),
        text,
    )
    if placeholders(sql):
        raise QueryParameterError(
            f"view {name} may use only a `{{{{view_columns}}}}` line of its own, "
            f"not {', '.join(sorted(placeholders(sql)))}"
        )
    return sql


def views() -> dict[str, str]:
    """Every view's name and SELECT, in creation order."""
    return {name: view_sql(name) for name in VIEW_NAMES}


def create_view_statement(name: str) -> str:
    """The Athena DDL that creates or replaces view `name`."""
    return f"CREATE OR REPLACE VIEW {name} AS\n{view_sql(name)}"


def query_names() -> tuple[str, ...]:
    """Names of the dashboards' queries (`queries/NAME.sql`), sorted."""
    return _names_in(QUERIES_DIR)


def query_sql(name: str) -> str:
    """The text of query `name` (placeholders not yet rendered); UnknownQueryError lists the names."""
    return _read(QUERIES_DIR, name, "query")


@dataclass(frozen=True)
class QueryParameters:
    """The dashboards' parameters: a window of `days` ending today and an IANA time zone `tz`."""

    days: int = DEFAULT_DAYS
    tz: str = DEFAULT_TZ

    def __post_init__(self) -> None:
        # bool is an int in Python; `days=True` is a bug, not a window of one day.
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            raise QueryParameterError(f"days must be a whole number, got {self.days!r}")
        if not 1 <= self.days <= MAX_DAYS:
            raise QueryParameterError(f"days must be between 1 and {MAX_DAYS}, got {self.days}")
        if not isinstance(self.tz, str) or not is_time_zone(self.tz):
            raise QueryParameterError(
                f"tz must be an IANA time zone such as America/Sao_Paulo, got {self.tz!r}"
            )

    def literals(self) -> dict[str, str]:
        """Each parameter as the SQL literal that replaces its placeholder."""
        # Validated above: an int, and a zone name made of letters, digits, / _ + -.
        return {"days": str(self.days), "tz": "'" + self.tz.replace("'", "''") + "'"}


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA zone both Athena and DuckDB know (UTC always is)."""
    return name == "UTC" or (
        name in _known_zones() and re.fullmatch(r"[A-Za-z0-9/_+-]+", name) is not None
    )


def placeholders(sql: str) -> frozenset[str]:
    """Names of the `{{name}}` placeholders used in `sql`."""
    return frozenset(_PLACEHOLDER.findall(sql))


def windowed_view_sql(name: str) -> str:
    """View `name` as a parenthesised subquery reading only the window's dt partitions.

    Every scan of a delivered table (messages, member_events, reactions) in it becomes
    a scan of the window's partitions, and every view it builds on (an earlier one in
    VIEW_NAMES) that view's windowed form.
    """
    earlier = VIEW_NAMES[: VIEW_NAMES.index(name)] if name in VIEW_NAMES else ()
    bounded = 0

    def bound(match: re.Match[str]) -> str:
        nonlocal bounded
        keyword, source, alias = match.groups()
        if source in WINDOW_CONDITIONS:
            # The migration lookup (chat_migrations) reads the same partitions as the
            # rows it names: a window that holds an old group's rows also holds its
            # later migration (the window runs to today), and a window after the
            # migration holds none of the old id's rows.
            subquery = f"(SELECT * FROM {source} WHERE dt BETWEEN {DT_FROM_SQL} AND {DT_TO_SQL})"  # noqa: S608  # nosec B608 - schema names and constants only
        elif source in earlier:
            subquery = windowed_view_sql(source)
        else:
            return match.group(0)
        bounded += 1
        return f"{keyword} {subquery} AS {alias or source}"

    body = _SOURCE.sub(bound, view_sql(name))
    if not bounded:
        raise QueryParameterError(
            f"view {name} reads neither a delivered table nor an earlier view"
        )
    return "(\n" + body + "\n)"


def _expand_windows(sql: str) -> str:
    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _CONDITION_SQL:
            return _CONDITION_SQL[name]
        if name.startswith(WINDOW_PREFIX) and name[len(WINDOW_PREFIX) :] in VIEW_NAMES:
            return windowed_view_sql(name[len(WINDOW_PREFIX) :])
        return match.group(0)

    return _PLACEHOLDER.sub(expand, sql)


def known_placeholders() -> tuple[str, ...]:
    """Every placeholder a query may use: the parameters, the windows and the windowed views."""
    return (*PARAMETER_NAMES, *_CONDITION_SQL, *(WINDOW_PREFIX + name for name in VIEW_NAMES))


def render(sql: str, parameters: QueryParameters | None = None) -> str:
    """`sql` with windowed views expanded and `{{days}}` / `{{tz}}` replaced by literals.

    The same rendered text goes to Athena and to DuckDB.
    """
    used = placeholders(sql)
    unknown = sorted(used - set(known_placeholders()))
    if unknown:
        raise QueryParameterError(
            f"unknown placeholder(s) {', '.join(unknown)}; known: {', '.join(known_placeholders())}"
        )
    sql = _expand_windows(sql)
    used = placeholders(sql)
    if not used:
        return sql
    if parameters is None:
        raise QueryParameterError(f"the query needs parameters: {', '.join(sorted(used))}")
    literals = parameters.literals()
    return _PLACEHOLDER.sub(lambda match: literals[match.group(1)], sql)


def render_as(
    engine_error: Callable[[str], Exception], sql: str, parameters: QueryParameters | None
) -> str:
    """`render()` for an engine: a parameter mistake is raised as the engine's own error."""
    try:
        return render(sql, parameters)
    except QueryParameterError as error:
        raise engine_error(str(error)) from None
