"""Firehose's data transformation protocol, as the local delivery stream speaks it.

Calls the processor Lambda with a transformation event (split so no event exceeds
Lambda's 6 MB payload), invokes it again when it raises, and checks its answer
record by record as Firehose does: each record id back exactly once with `Ok`
(and base64 data), `Dropped` or `ProcessingFailed`. The records it fails carry
the error codes and messages Firehose writes in its `processing-failed` records.
docs/local-stack.md cites the AWS pages.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from local.lambda_runtime import LOCAL_REGION, Handler, LambdaContext, invoke
from local.spool import SpooledRecord

logger = logging.getLogger(__name__)

#: Lambda's synchronous invocation payload limit, which caps one transformation batch.
MAX_INVOCATION_PAYLOAD_BYTES: Final = 6 * 1024 * 1024
#: Firehose retries a failed Lambda invocation three times by default.
DEFAULT_PROCESSOR_RETRIES: Final = 3

# Transformation error codes and messages, as Firehose writes them in error records.
FUNCTION_ERROR: Final = "Lambda.FunctionError"
FUNCTION_ERROR_MESSAGE: Final = (
    "The Lambda function was successfully invoked but it returned an error result."
)
INVALID_OUTPUT_MESSAGE: Final = (
    "Check your function and make sure the output is in required format. In addition to "
    "that, make sure the processed records contain valid result status of Dropped, Ok, "
    "or ProcessingFailed"
)
JSON_PROCESSING: Final = "Lambda.JsonProcessingException"
JSON_PROCESSING_MESSAGE: Final = (
    "There was an error parsing returned records from the Lambda function. Ensure that "
    "the returned records follow the status model required by Firehose."
)
MISSING_RECORD_ID: Final = "Lambda.MissingRecordId"
MISSING_RECORD_ID_MESSAGE: Final = (
    "One or more record Ids were not returned. Ensure that the Lambda function returns "
    "all received record Ids."
)
DUPLICATED_RECORD_ID: Final = "Lambda.DuplicatedRecordId"
DUPLICATED_RECORD_ID_MESSAGE: Final = (
    "Multiple records were returned with the same record Id. Ensure that the Lambda "
    "function returns a unique record Id for each record."
)
PROCESSING_FAILED_STATUS: Final = "Lambda.ProcessingFailedStatus"
PROCESSING_FAILED_STATUS_MESSAGE: Final = "ProcessingFailed status set for record"

_EVENT_OVERHEAD_BYTES = 512
_RECORD_OVERHEAD_BYTES = 128


@dataclass
class Transformed:
    """The outcome of the processor for one delivery, record by record."""

    #: Each `Ok` record with the row the processor returned for it (decoded).
    rows: list[tuple[SpooledRecord, bytes]] = field(default_factory=list)
    dropped: int = 0
    #: Firehose's `processing-failed` error records, one per failed record.
    processing_errors: list[dict[str, Any]] = field(default_factory=list)
    invocations: int = 0


def invocation_chunks(records: Sequence[SpooledRecord]) -> list[list[SpooledRecord]]:
    """Split so no transformation event exceeds Lambda's 6 MB payload."""
    chunks: list[list[SpooledRecord]] = [[]]
    size = _EVENT_OVERHEAD_BYTES
    for record in records:
        record_size = (
            4 * ((len(record.data) + 2) // 3) + len(record.record_id) + _RECORD_OVERHEAD_BYTES
        )
        if chunks[-1] and size + record_size > MAX_INVOCATION_PAYLOAD_BYTES:
            chunks.append([])
            size = _EVENT_OVERHEAD_BYTES
        chunks[-1].append(record)
        size += record_size
    return chunks


@dataclass(frozen=True)
class FirehoseTransform:
    """One stream's transformation call: its processor, retries and clock."""

    processor: Handler
    processor_name: str
    stream_arn: str
    retries: int
    clock: Callable[[], float]

    @property
    def lambda_arn(self) -> str:
        """The processor's ARN, as error records name it."""
        return LambdaContext(function_name=self.processor_name).invoked_function_arn

    def run(self, records: Sequence[SpooledRecord]) -> Transformed:
        """Transform `records` (in as many invocations as the payload limit needs)."""
        transformed = Transformed()
        for chunk in invocation_chunks(records):
            self._transform(chunk, transformed)
        return transformed

    def _event(self, chunk: Sequence[SpooledRecord]) -> dict[str, Any]:
        return {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": self.stream_arn,
            "region": LOCAL_REGION,
            "records": [
                {
                    "recordId": record.record_id,
                    "approximateArrivalTimestamp": record.arrival_ms,
                    "data": base64.b64encode(record.data).decode("ascii"),
                }
                for record in chunk
            ],
        }

    def _transform(self, chunk: Sequence[SpooledRecord], transformed: Transformed) -> None:
        """Invoke the processor (retrying if it raises) and sort its answer record by record."""
        attempts = 0
        response: Any = None
        while True:
            attempts += 1
            transformed.invocations += 1
            try:
                response = invoke(self.processor, self._event(chunk), self.processor_name)
                break
            except Exception as error:  # noqa: BLE001 - any error of the function is a FunctionError
                logger.warning("processor attempt %d failed: %s", attempts, type(error).__name__)
                if attempts > self.retries:
                    self._fail(chunk, FUNCTION_ERROR, FUNCTION_ERROR_MESSAGE, attempts, transformed)
                    return
        entries = response.get("records") if isinstance(response, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self._fail(chunk, JSON_PROCESSING, JSON_PROCESSING_MESSAGE, attempts, transformed)
            return
        by_id: dict[str, dict[str, Any]] = {}
        duplicated: set[str] = set()
        for entry in entries:
            record_id = entry.get("recordId")
            if not isinstance(record_id, str):
                continue
            if record_id in by_id:
                duplicated.add(record_id)
            by_id[record_id] = entry
        for record in chunk:
            self._sort(record, by_id.get(record.record_id), duplicated, attempts, transformed)

    def _sort(
        self,
        record: SpooledRecord,
        entry: dict[str, Any] | None,
        duplicated: set[str],
        attempts: int,
        transformed: Transformed,
    ) -> None:
        """File one record by its answer: a row, a drop, or a processing error."""
        if entry is None:
            self._fail(
                [record], MISSING_RECORD_ID, MISSING_RECORD_ID_MESSAGE, attempts, transformed
            )
        elif record.record_id in duplicated:
            self._fail(
                [record], DUPLICATED_RECORD_ID, DUPLICATED_RECORD_ID_MESSAGE, attempts, transformed
            )
        elif entry.get("result") == "Dropped":
            transformed.dropped += 1
        elif entry.get("result") == "ProcessingFailed":
            self._fail(
                [record],
                PROCESSING_FAILED_STATUS,
                PROCESSING_FAILED_STATUS_MESSAGE,
                attempts,
                transformed,
            )
        elif entry.get("result") == "Ok" and isinstance(entry.get("data"), str):
            try:
                row = base64.b64decode(entry["data"], validate=True)
            except (binascii.Error, ValueError):
                self._fail([record], FUNCTION_ERROR, INVALID_OUTPUT_MESSAGE, attempts, transformed)
                return
            transformed.rows.append((record, row))
        else:
            self._fail([record], FUNCTION_ERROR, INVALID_OUTPUT_MESSAGE, attempts, transformed)

    def _fail(
        self,
        records: Iterable[SpooledRecord],
        code: str,
        message: str,
        attempts: int,
        transformed: Transformed,
    ) -> None:
        ended_ms = int(self.clock() * 1000)
        lambda_arn = self.lambda_arn
        transformed.processing_errors.extend(
            {
                "attemptsMade": attempts,
                "arrivalTimestamp": record.arrival_ms,
                "errorCode": code,
                "errorMessage": message,
                "attemptEndingTimestamp": ended_ms,
                "rawData": base64.b64encode(record.data).decode("ascii"),
                "lambdaArn": lambda_arn,
            }
            for record in records
        )
