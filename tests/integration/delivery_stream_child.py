"""Child process of the crash test: puts updates forever, printing each acknowledged one.

Run as `python -m tests.integration.delivery_stream_child LAKE`; the test reads
the printed update ids and SIGKILLs this process mid-stream. Nothing is ever
flushed here: every acknowledged update must come back from the spool.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import orjson

from functions import adapters
from local.delivery_stream import LocalDeliveryStream
from tests.helpers import event

FIRST_UPDATE_ID = 900_000_000


def update_bytes(update_id: int) -> bytes:
    """A realistic text message update with the given id, as the webhook puts it."""
    update = event("message_text")
    update["update_id"] = update_id
    return bytes(orjson.dumps(update)) + b"\n"


def main(lake: Path) -> None:
    """Put numbered updates until killed; print each id once it is acknowledged."""
    stream = LocalDeliveryStream(lake, buffer_size_mb=512, buffer_interval_s=3600)
    for update_id in itertools.count(FIRST_UPDATE_ID):
        adapters.put_record(stream, stream.name, update_bytes(update_id))
        sys.stdout.write(f"{update_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
