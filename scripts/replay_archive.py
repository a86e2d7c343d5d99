"""Reading the raw archive for `tgpipe replay`: its objects in a local directory or on S3.

The archive (`<raw>/updates/dt=YYYY-MM-DD/<batch time>-<hash>.ndjson.gz`) holds
every accepted update byte for byte, one per line, grouped by the Firehose batch
that carried it; the gzip header records each line's arrival time (archives
written before that have none). Objects are listed, filtered to a dt window and
sorted in batch order; their bodies are read only when replay gets to them.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from functions.archiver.logic import archive_arrivals
from scripts.cli import CliError

ARCHIVE_SUFFIX: Final = ".ndjson.gz"
#: The dt segment of an archive key, and the batch time the archiver puts first in its name.
_DT_SEGMENT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")
_BATCH_TIME = re.compile(r"^(\d{8}T\d{6}Z)-")


@dataclass(frozen=True)
class ArchiveObject:
    """One raw archive object: its key, dt partition, batch time (epoch ms) and size."""

    key: str
    dt: str
    batch_ms: int
    size: int
    read: Callable[[], bytes] = field(compare=False, repr=False)

    def contents(self) -> tuple[list[bytes], list[int] | None]:
        """The archived updates in batch order, and their arrival times when the archive has them."""
        body = self.read()
        payload = gzip.decompress(body)
        arrivals = archive_arrivals(body)
        lines = payload.split(b"\n")[:-1] if payload.endswith(b"\n") else []
        if arrivals is not None and len(arrivals) == len(lines) and all(map(bytes.strip, lines)):
            return lines, arrivals
        # Written before arrival times were recorded (or not one update per line).
        return [line for line in payload.split(b"\n") if line.strip()], None

    def lines(self) -> list[bytes]:
        """The archived updates, in the order the batch carried them."""
        return self.contents()[0]


def archive_time_ms(key: str, dt: str, fallback_ms: int | None) -> int:
    """The batch time in the object's name (oldest arrival, whole seconds), else a fallback.

    The fallback is the object's modification time, else midnight of its dt.
    """
    match = _BATCH_TIME.match(key.rsplit("/", 1)[-1])
    if match:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    if fallback_ms is not None:
        return fallback_ms
    return int(datetime.fromisoformat(dt).replace(tzinfo=UTC).timestamp() * 1000)


def _in_range(dt: str, dt_from: str | None, dt_to: str | None) -> bool:
    return (dt_from is None or dt >= dt_from) and (dt_to is None or dt <= dt_to)


def _archive_dt(key: str) -> str | None:
    matches = _DT_SEGMENT.findall(key)
    return matches[-1] if matches and key.endswith(ARCHIVE_SUFFIX) else None


def local_archive(root: Path, dt_from: str | None, dt_to: str | None) -> list[ArchiveObject]:
    """The archive objects under a local directory (`<lake>/raw`, its `updates/`, or one dt)."""
    if not root.is_dir():
        raise CliError(f"{root}: no such directory (pass <lake>/raw or an s3://bucket/prefix)")
    objects = []
    for path in root.rglob(f"*{ARCHIVE_SUFFIX}"):
        if path.name.startswith("."):
            continue  # an object store's temporary file
        key = path.relative_to(root).as_posix()
        dt = _archive_dt("/" + key)
        if dt is None or not _in_range(dt, dt_from, dt_to):
            continue
        stat = path.stat()
        objects.append(
            ArchiveObject(
                key=key,
                dt=dt,
                batch_ms=archive_time_ms(key, dt, int(stat.st_mtime * 1000)),
                size=stat.st_size,
                read=path.read_bytes,
            )
        )
    return sorted(objects, key=lambda o: (o.dt, o.batch_ms, o.key))


def s3_archive(url: str, s3: Any, dt_from: str | None, dt_to: str | None) -> list[ArchiveObject]:
    """The archive objects under `s3://bucket/prefix` (listed with ListObjectsV2)."""
    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.lstrip("/")
    if not bucket:
        raise CliError(f"{url}: not an s3://bucket/prefix URL")
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            key = str(entry["Key"])
            dt = _archive_dt("/" + key)
            if dt is None or not _in_range(dt, dt_from, dt_to):
                continue
            modified = entry.get("LastModified")
            objects.append(
                ArchiveObject(
                    key=key,
                    dt=dt,
                    batch_ms=archive_time_ms(
                        key, dt, int(modified.timestamp() * 1000) if modified else None
                    ),
                    size=int(entry.get("Size", 0)),
                    read=_s3_reader(s3, bucket, key),
                )
            )
    return sorted(objects, key=lambda o: (o.dt, o.batch_ms, o.key))


def _s3_reader(s3: Any, bucket: str, key: str) -> Callable[[], bytes]:
    def read() -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    return read
