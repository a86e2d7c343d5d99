"""The local object store: S3 buckets as directories, with boto3's call shapes.

Implements the few S3 calls the archiver and the delivery stream make
(`put_object`, `get_object`, `head_object`, `list_objects_v2`) with the same
keyword arguments and response keys as a boto3 S3 client, and raises
botocore's ClientError with S3's error codes, so `functions.adapters` maps its
failures exactly as it maps real S3's. Writes are atomic (temporary file in the
same directory, fsync, rename): a reader or a crash never sees half an object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

#: Temporary files are hidden (leading dot) and end with this suffix; listings skip them.
TMP_SUFFIX = ".tmp"
_DEFAULT_MAX_KEYS = 1000


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """A botocore ClientError shaped as boto3 raises it for an S3 error response."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def _body_bytes(body: Any) -> bytes:
    """The bytes of a Body argument as boto3 accepts it: bytes, str or a readable."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise TypeError(f"Body must be bytes, str or a readable object, not {type(body).__name__}")


def _etag(data: bytes) -> str:
    # S3's ETag of a single-part upload is the quoted MD5 of the body.
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one.

    The temporary file lives in the target directory (same filesystem, so the
    rename is atomic); the file and then the directory are fsynced so the
    object survives a power cut once this returns.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (created, renamed, deleted files) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    """S3 buckets as directories under `root`: bucket name → sub-directory."""

    def __init__(self, root: Path, buckets: Mapping[str, str]) -> None:
        self.root = Path(root)
        self._buckets = dict(buckets)
        self._lock = threading.Lock()
        self._puts: Counter[str] = Counter()

    @property
    def buckets(self) -> dict[str, Path]:
        """Each bucket's directory."""
        return {name: self.root / subdir for name, subdir in self._buckets.items()}

    def bucket_path(self, bucket: str, operation: str = "HeadBucket") -> Path:
        """The directory of a bucket; NoSuchBucket (as S3) when it is not configured."""
        subdir = self._buckets.get(bucket)
        if subdir is None:
            raise client_error(
                "NoSuchBucket", "The specified bucket does not exist", operation, status=404
            )
        return self.root / subdir

    def object_path(self, bucket: str, key: str, operation: str = "GetObject") -> Path:
        """Where an object lives; keys that cannot be a local path are refused."""
        base = self.bucket_path(bucket, operation)
        parts = key.split("/")
        unsafe = (
            not key
            or "\\" in key
            or "\x00" in key
            or any(part in ("", ".", "..") for part in parts)
            or parts[-1].endswith(TMP_SUFFIX)
        )
        if unsafe:
            # S3 takes almost any key; a directory cannot, so say which keys it can't hold.
            raise client_error(
                "InvalidArgument",
                "The local object store only holds keys made of non-empty path "
                f"segments, none '.', '..' or ending in {TMP_SUFFIX!r}",
                operation,
            )
        return base.joinpath(*parts)

    def put_count(self, bucket: str) -> int:
        """How many objects were written to a bucket through this store."""
        with self._lock:
            return self._puts[bucket]

    def put_object(
        self, *, Bucket: str, Key: str, Body: Any = b"", **_ignored: Any
    ) -> dict[str, Any]:
        """Write an object atomically (overwriting); returns {"ETag": ...} as S3 does."""
        path = self.object_path(Bucket, Key, "PutObject")
        data = _body_bytes(Body)
        if path.is_dir():
            raise client_error(
                "InvalidArgument", "A prefix of other objects cannot be an object", "PutObject"
            )
        write_atomically(path, data)
        with self._lock:
            self._puts[Bucket] += 1
        return {"ETag": _etag(data), "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _existing(self, bucket: str, key: str, operation: str) -> Path:
        path = self.object_path(bucket, key, operation)
        if not path.is_file():
            if operation == "HeadObject":
                # HEAD has no body: boto3 reports the bare status code.
                raise client_error("404", "Not Found", operation, status=404)
            raise client_error(
                "NoSuchKey", "The specified key does not exist.", operation, status=404
            )
        return path

    def get_object(self, *, Bucket: str, Key: str, **_ignored: Any) -> dict[str, Any]:
        """Read an object: {"Body": a readable, "ContentLength", "ETag", "LastModified"}."""
        path = self._existing(Bucket, Key, "GetObject")
        data = path.read_bytes()
        return {
            "Body": io.BytesIO(data),
            "ContentLength": len(data),
            "ETag": _etag(data),
            "LastModified": datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def head_object(self, *, Bucket: str, Key: str, **_ignored: Any) -> dict[str, Any]:
        """An object's size and modification time (no ETag: that would read the whole file)."""
        stat = self._existing(Bucket, Key, "HeadObject").stat()
        return {
            "ContentLength": stat.st_size,
            "LastModified": datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def _keys(self, base: Path, prefix: str) -> Iterator[str]:
        # Walk only the directory the prefix points into, not the whole bucket.
        start = base.joinpath(*prefix.split("/")[:-1]) if "/" in prefix else base
        if not start.is_dir():
            return
        for directory, dirnames, filenames in os.walk(start):
            dirnames.sort()
            relative = Path(directory).relative_to(base).as_posix()
            head = "" if relative == "." else relative + "/"
            for name in filenames:
                if name.startswith(".") and name.endswith(TMP_SUFFIX):
                    continue
                key = head + name
                if key.startswith(prefix):
                    yield key

    def list_objects_v2(
        self,
        *,
        Bucket: str,
        Prefix: str = "",
        ContinuationToken: str | None = None,
        StartAfter: str = "",
        MaxKeys: int = _DEFAULT_MAX_KEYS,
        Delimiter: str = "",
        **_ignored: Any,
    ) -> dict[str, Any]:
        """List keys in UTF-8 binary order, up to MaxKeys per page, as S3 does."""
        base = self.bucket_path(Bucket, "ListObjectsV2")
        after = StartAfter
        if ContinuationToken is not None:
            try:
                after = base64.urlsafe_b64decode(ContinuationToken.encode("ascii")).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError):
                raise client_error(
                    "InvalidArgument",
                    "The continuation token provided is incorrect",
                    "ListObjectsV2",
                ) from None
        # Code point order is UTF-8 byte order, which is the order S3 lists in.
        keys = sorted(key for key in self._keys(base, Prefix) if key > after)
        contents: list[dict[str, Any]] = []
        common: list[str] = []
        last = ""
        truncated = False
        for key in keys:
            rolled = ""
            if Delimiter and Delimiter in key[len(Prefix) :]:
                rolled = key[: key.index(Delimiter, len(Prefix)) + len(Delimiter)]
                if common and common[-1] == rolled:
                    # Keys sharing a prefix are contiguous: fold them into one entry.
                    last = key
                    continue
            if len(contents) + len(common) >= MaxKeys:
                truncated = True
                break
            if rolled:
                common.append(rolled)
            else:
                stat = (base / key).stat()
                contents.append(
                    {
                        "Key": key,
                        "Size": stat.st_size,
                        "LastModified": datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                        "StorageClass": "STANDARD",
                    }
                )
            last = key
        response: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": Prefix,
            "MaxKeys": MaxKeys,
            "KeyCount": len(contents) + len(common),
            "IsTruncated": truncated,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        if contents:
            response["Contents"] = contents
        if common:
            response["CommonPrefixes"] = [{"Prefix": p} for p in common]
        if Delimiter:
            response["Delimiter"] = Delimiter
        if ContinuationToken is not None:
            response["ContinuationToken"] = ContinuationToken
        if truncated:
            response["NextContinuationToken"] = base64.urlsafe_b64encode(
                last.encode("utf-8")
            ).decode("ascii")
        return response
