"""The local object store answers the archiver's S3 calls as boto3 would."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions import adapters
from functions.errors import ArchiveUnavailable
from local.object_store import LocalObjectStore

BUCKETS = {"local-raw": "raw", "local-data": "data"}


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    """A store over an empty lake."""
    return LocalObjectStore(tmp_path, BUCKETS)


def _error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_put_writes_the_object_under_its_bucket_directory(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    body = b"\x1f\x8b gzip bytes"
    response = store.put_object(
        Bucket="local-raw",
        Key="updates/dt=2026-01-01/a.ndjson.gz",
        Body=body,
        ContentType="application/gzip",
    )
    assert (tmp_path / "raw/updates/dt=2026-01-01/a.ndjson.gz").read_bytes() == body
    assert response["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - S3's ETag


def test_get_returns_a_readable_body_and_put_overwrites(store: LocalObjectStore) -> None:
    store.put_object(Bucket="local-data", Key="k/v.txt", Body=b"first")
    store.put_object(Bucket="local-data", Key="k/v.txt", Body="second")
    response = store.get_object(Bucket="local-data", Key="k/v.txt")
    assert response["Body"].read() == b"second"
    assert response["ContentLength"] == len(b"second")
    assert store.head_object(Bucket="local-data", Key="k/v.txt")["ContentLength"] == 6
    assert store.put_count("local-data") == 2


def test_unknown_bucket_is_no_such_bucket_and_the_archive_adapter_maps_it(
    store: LocalObjectStore,
) -> None:
    with pytest.raises(ClientError) as error:
        store.put_object(Bucket="nope", Key="a", Body=b"x")
    assert _error_code(error) == "NoSuchBucket"
    with pytest.raises(ArchiveUnavailable):
        adapters.put_archive(store, "nope", "updates/a.ndjson.gz", b"x")


def test_missing_keys_are_no_such_key_and_404(store: LocalObjectStore) -> None:
    with pytest.raises(ClientError) as get_error:
        store.get_object(Bucket="local-raw", Key="missing")
    with pytest.raises(ClientError) as head_error:
        store.head_object(Bucket="local-raw", Key="missing")
    assert _error_code(get_error) == "NoSuchKey"
    assert _error_code(head_error) == "404"


@pytest.mark.parametrize("key", ["../escape", "a//b", "/abs", "a/./b", "", "x/.y.tmp", "a\\b"])
def test_keys_that_cannot_be_a_path_are_refused(store: LocalObjectStore, key: str) -> None:
    with pytest.raises(ClientError) as error:
        store.put_object(Bucket="local-raw", Key=key, Body=b"x")
    assert _error_code(error) == "InvalidArgument"


def test_a_failed_write_leaves_the_old_object_and_no_temporary_file(
    store: LocalObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_object(Bucket="local-data", Key="obj", Body=b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="I/O error"):
        store.put_object(Bucket="local-data", Key="obj", Body=b"new")
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["obj"]
    assert (tmp_path / "data/obj").read_bytes() == b"old"


def _list_all(store: LocalObjectStore, **kwargs: Any) -> list[str]:
    keys: list[str] = []
    token: str | None = None
    while True:
        paging: dict[str, Any] = {"ContinuationToken": token} if token else {}
        page = store.list_objects_v2(Bucket="local-data", **kwargs, **paging)
        keys.extend(item["Key"] for item in page.get("Contents", []))
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(
            page.get("CommonPrefixes", [])
        )
        if not page["IsTruncated"]:
            return keys
        token = page["NextContinuationToken"]


def test_list_pages_through_keys_in_order_under_a_prefix(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    keys = [f"messages/dt=2026-01-0{day}/part-{n}.parquet" for day in (1, 2) for n in range(3)]
    for key in reversed(keys):
        store.put_object(Bucket="local-data", Key=key, Body=b"p")
    store.put_object(Bucket="local-data", Key="errors/processing-failed/x", Body=b"e")
    (tmp_path / "data/messages/dt=2026-01-01/.part-9.parquet.abc.tmp").write_bytes(b"torn")
    assert _list_all(store, Prefix="messages/", MaxKeys=2) == keys
    assert _list_all(store, Prefix="messages/dt=2026-01-02/part-1") == [keys[4]]
    assert _list_all(store, Prefix="nothing/") == []


def test_list_with_a_delimiter_rolls_up_common_prefixes(store: LocalObjectStore) -> None:
    for key in ("messages/dt=2026-01-01/a", "messages/dt=2026-01-01/b", "messages/dt=2026-01-02/c"):
        store.put_object(Bucket="local-data", Key=key, Body=b"p")
    page = store.list_objects_v2(Bucket="local-data", Prefix="messages/", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == [
        "messages/dt=2026-01-01/",
        "messages/dt=2026-01-02/",
    ]
    assert "Contents" not in page
    first = store.list_objects_v2(Bucket="local-data", Prefix="messages/", Delimiter="/", MaxKeys=1)
    second = store.list_objects_v2(
        Bucket="local-data",
        Prefix="messages/",
        Delimiter="/",
        ContinuationToken=first["NextContinuationToken"],
    )
    assert [p["Prefix"] for p in first["CommonPrefixes"] + second["CommonPrefixes"]] == [
        "messages/dt=2026-01-01/",
        "messages/dt=2026-01-02/",
    ]
