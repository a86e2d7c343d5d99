"""The lake as the local stack's buckets, and the archiver that writes its raw one.

One directory per bucket (`local-raw` → `<lake>/raw`, `local-data` → `<lake>/data`),
as docs/architecture.md lays the lake out; the unchanged archiver handler runs
over that store as the delivery stream's processor, with its own settings,
metrics and logger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from functions import constants as c
from functions.archiver import handler as archiver
from functions.logs import MetricsSink
from functions.settings import ArchiverSettings
from local.lambda_runtime import Handler, LocalMetrics, local_logger
from local.object_store import LocalObjectStore

RAW_BUCKET: Final = "local-raw"
DATA_BUCKET: Final = "local-data"
#: Bucket → directory of the lake, as docs/architecture.md lays it out.
LAKE_BUCKETS: Final = {RAW_BUCKET: "raw", DATA_BUCKET: "data"}


def lake_object_store(lake: Path) -> LocalObjectStore:
    """The lake's buckets: `local-raw` → `<lake>/raw`, `local-data` → `<lake>/data`."""
    return LocalObjectStore(Path(lake), LAKE_BUCKETS)


def local_archiver(
    store: Any,
    settings: ArchiverSettings | None = None,
    *,
    metrics: MetricsSink | None = None,
    log_level: str = "WARNING",
) -> Handler:
    """The unchanged archiver over the lake's store, with its own settings, metrics and logger.

    Nothing process-wide is touched: two streams (two stacks) in one process each
    have their own archiver. `settings` defaults to the local raw bucket, no pseudonyms.
    """
    config = settings if settings is not None else ArchiverSettings(raw_bucket=RAW_BUCKET)
    deps = archiver.Dependencies(
        config,
        archiver.read_pseudonym_key(config),
        store,
        metrics if metrics is not None else LocalMetrics(),
        local_logger(c.ARCHIVER_SERVICE, log_level),
    )

    def processor(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return archiver.handle(event, deps)

    return processor
