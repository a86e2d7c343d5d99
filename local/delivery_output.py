"""What one delivery of the local delivery stream writes to the data bucket.

The rows the processor returned `Ok` are read with a Glue table by the OpenX
JSON SerDe rules (local.conversion) and written as one Parquet object under the
table's prefix; the records that do not fit, and those the transformation
failed, are written as Firehose's error records under `errors/<output type>/`.
Object names and prefixes follow Firehose's (docs/local-stack.md).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from functions import constants as c
from functions import jsoncodec
from glue_schema import DATABASE_DEFAULT
from glue_schema.tables import Table
from local.conversion import OpenXJsonReader, parquet_bytes
from local.lake import DATA_BUCKET
from local.lambda_runtime import LOCAL_ACCOUNT, LOCAL_REGION
from local.spool import SpooledRecord

#: Firehose stream version in object names: starts at 1, bumped by configuration changes.
STREAM_VERSION: Final = 1

ERROR_PROCESSING_FAILED: Final = "processing-failed"
ERROR_FORMAT_CONVERSION_FAILED: Final = "format-conversion-failed"


def object_key(prefix: str, stream: str, oldest_ms: int, extension: str = "") -> str:
    """`<prefix>dt=<oldest, UTC>/<stream>-<version>-<YYYY-MM-dd-HH-mm-ss>-<uuid><ext>`."""
    oldest = datetime.fromtimestamp(oldest_ms // 1000, tz=UTC)
    return (
        f"{prefix}dt={oldest:%Y-%m-%d}/"
        f"{stream}-{STREAM_VERSION}-{oldest:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{extension}"
    )


@dataclass(frozen=True)
class Written:
    """What one delivery wrote to the data bucket."""

    keys: tuple[str, ...]
    rows_written: int
    conversion_failed: int
    parquet_objects: int

    @property
    def error_objects(self) -> int:
        """How many of `keys` hold error records."""
        return len(self.keys) - self.parquet_objects


class DeliveryOutput:
    """One stream's writes for one Glue table: its Parquet objects and its error records."""

    def __init__(self, stream: str, table: Table) -> None:
        self.stream = stream
        self.table = table
        self._reader = OpenXJsonReader(table)

    def write(
        self,
        store: Any,
        rows: Sequence[tuple[SpooledRecord, bytes]],
        processing_errors: Sequence[dict[str, Any]],
        clock: Callable[[], float],
    ) -> Written:
        """Convert `rows` and write them, then the error records, through `store`."""
        conversion = self._reader.read([row for _, row in rows])
        keys: list[str] = []
        if conversion.table.num_rows:
            written = [rows[index][0] for index in conversion.row_records]
            key = object_key(
                self.table.prefix,
                self.stream,
                min(record.arrival_ms for record in written),
                ".parquet",
            )
            store.put_object(Bucket=DATA_BUCKET, Key=key, Body=parquet_bytes(conversion.table))
            keys.append(key)
        ended_ms = int(clock() * 1000)
        conversion_errors = [
            self._conversion_error(*rows[failure.index], failure.code, failure.message, ended_ms)
            for failure in conversion.failures
        ]
        for output, errors in (
            (ERROR_PROCESSING_FAILED, processing_errors),
            (ERROR_FORMAT_CONVERSION_FAILED, conversion_errors),
        ):
            if errors:
                keys.append(self._write_errors(store, output, errors))
        return Written(
            keys=tuple(keys),
            rows_written=conversion.table.num_rows,
            conversion_failed=len(conversion_errors),
            parquet_objects=1 if conversion.table.num_rows else 0,
        )

    def _conversion_error(
        self, record: SpooledRecord, row: bytes, code: str, message: str, ended_ms: int
    ) -> dict[str, Any]:
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": record.arrival_ms,
            "lastErrorCode": code,
            "lastErrorMessage": message,
            "attemptEndingTimestamp": ended_ms,
            "rawData": base64.b64encode(row).decode("ascii"),
            # Direct PUT records have no Kinesis sequence numbers.
            "sequenceNumber": None,
            "subSequenceNumber": None,
            "dataCatalogTable": {
                "catalogId": LOCAL_ACCOUNT,
                "databaseName": DATABASE_DEFAULT,
                "tableName": self.table.name,
                "region": LOCAL_REGION,
                "versionId": "LATEST",
                "catalogArn": f"arn:aws:glue:{LOCAL_REGION}:{LOCAL_ACCOUNT}:catalog",
            },
        }

    def _write_errors(self, store: Any, output_type: str, errors: Sequence[dict[str, Any]]) -> str:
        """One NDJSON object of error records under errors/<output type>/dt=.../."""
        key = object_key(
            f"{c.ERRORS_PREFIX}{output_type}/",
            self.stream,
            min(error["arrivalTimestamp"] for error in errors),
        )
        body = b"".join(jsoncodec.dumps(error) + b"\n" for error in errors)
        store.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        return key
