"""The catalog, single source of truth: tables, columns, types, views and SQL.

Pure Python at import time. `arrow_schema()` imports pyarrow inside itself so
the Lambda package (which has no pyarrow) can import this module.
"""

from glue_schema.tables import (
    DELIVERED_TABLES,
    MEMBER_EVENTS,
    MESSAGES,
    MESSAGES_COLUMN_NAMES,
    RAW_UPDATES,
    REACTIONS,
    TABLES,
    Column,
    Table,
    arrow_schema,
)

DATABASE_DEFAULT = "telegram_pipeline"

__all__ = [
    "DATABASE_DEFAULT",
    "DELIVERED_TABLES",
    "MEMBER_EVENTS",
    "MESSAGES",
    "MESSAGES_COLUMN_NAMES",
    "RAW_UPDATES",
    "REACTIONS",
    "TABLES",
    "Column",
    "Table",
    "arrow_schema",
]
