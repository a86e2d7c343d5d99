"""The largest batch the template lets Firehose hand the archiver gets a response Lambda accepts.

Lambda refuses a synchronous response over 6 MB; Firehose would then fail the whole
batch to processing-failed. The batch is built from the captured update whose row
is largest for its size (small service messages), repeated up to the template's
own maximum processor buffer, and run through the archiver's real handler.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from functions import constants as c
from functions.archiver.logic import read_records, transform
from infra import names as n
from tests.helpers import REAL_EVENTS_DIR, real_event, real_event_names

ROOT = Path(__file__).parents[2]
RECORD_ID = "49546986683135544286507457936321625675700192471156785154"  # Firehose's length


def compact(update: dict[str, Any]) -> bytes:
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def response_bytes(records: list[bytes]) -> int:
    """The size of the archiver's response for these records (as the handler builds it)."""
    event_records = [
        {
            "recordId": f"{RECORD_ID}{i:06d}",
            "approximateArrivalTimestamp": 1767254600123,
            "data": base64.b64encode(data).decode(),
        }
        for i, data in enumerate(records)
    ]
    transformed = [transform(r) for r in read_records(event_records, now_ms=0)]
    return len(json.dumps({"records": [t.as_response() for t in transformed]}))


def worst_update() -> tuple[str, float]:
    """The captured update with the largest response per byte of input."""
    ratios = {
        name: response_bytes([compact(real_event(name))]) / len(compact(real_event(name)))
        for name in real_event_names()
    }
    name = max(ratios, key=lambda key: ratios[key])
    return name, ratios[name]


def template_max_buffer_mb() -> float:
    template = json.loads((ROOT / "infra" / "template.json").read_text(encoding="utf-8"))
    return float(template["Parameters"][n.P_PROCESSOR_BUFFER_MB]["MaxValue"])


def test_the_stated_worst_ratio_covers_every_captured_update() -> None:
    assert REAL_EVENTS_DIR.is_dir()
    _, ratio = worst_update()
    assert ratio <= c.WORST_RESPONSE_TO_INPUT_RATIO


@pytest.mark.slow
def test_the_largest_allowed_batch_of_the_worst_updates_fits_lambdas_response_limit() -> None:
    name, _ = worst_update()
    record = compact(real_event(name))
    count = int(template_max_buffer_mb() * 2**20) // len(record)
    size = response_bytes([record] * count)
    assert size <= c.LAMBDA_RESPONSE_LIMIT_BYTES, (name, count, size)
