"""The catalog, single source of truth: tables, columns, types, views and SQL.

Pure Python at import time. `arrow_schema()` imports pyarrow inside itself so
the Lambda package (which has no pyarrow) can import this module.
"""

from glue_schema.tables import (
    MESSAGES,
    MESSAGES_COLUMN_NAMES,
    RAW_UPDATES,
    TABLES,
    Column,
    Table,
    arrow_schema,
)

DATABASE_DEFAULT = "telegram_pipeline"

__all__ = [
    "DATABASE_DEFAULT",
    "MESSAGES",
    "MESSAGES_COLUMN_NAMES",
    "RAW_UPDATES",
    "TABLES",
    "Column",
    "Table",
    "arrow_schema",
]
