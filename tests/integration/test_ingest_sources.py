"""`tgpipe ingest` takes what users have at hand: getUpdates answers, arrays, gzip, folders."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scripts.cli import main
from tests.helpers import GROUP_ID, event

NAMES = ("message_text", "message_photo_caption", "message_reply")


def updates() -> list[dict[str, object]]:
    return [event(name) for name in NAMES]


def ingest(capsys: pytest.CaptureFixture[str], lake: Path, *sources: Path) -> tuple[int, str, str]:
    code = main(["ingest", *map(str, sources), "--lake", str(lake), "--chat-ids", str(GROUP_ID)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_pasted_get_updates_answer_is_ingested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "getUpdates.json"
    source.write_text(json.dumps({"ok": True, "result": updates()}, indent=2), "utf-8")
    code, out, _ = ingest(capsys, tmp_path / "lake", source)
    assert code == 0
    assert "accepted 3, ignored 0" in out


def test_a_json_array_of_updates_is_ingested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "array.json"
    source.write_text(json.dumps(updates(), ensure_ascii=False), "utf-8")
    code, out, _ = ingest(capsys, tmp_path / "lake", source)
    assert code == 0
    assert "accepted 3, ignored 0" in out


def test_the_lakes_own_gzip_archive_and_a_folder_are_ingested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a lake built from updates, whose raw archive is gzip NDJSON in dt= folders
    first = tmp_path / "first.ndjson"
    first.write_text("".join(json.dumps(u) + "\n" for u in updates()), "utf-8")
    assert ingest(capsys, tmp_path / "lake", first)[0] == 0
    archives = sorted((tmp_path / "lake" / "raw").rglob("*.ndjson.gz"))
    assert archives
    # WHEN one archive object, then the whole raw folder, go into another lake
    code, out, _ = ingest(capsys, tmp_path / "copy", archives[0])
    assert code == 0
    assert "accepted 3" in out
    code, out, _ = ingest(capsys, tmp_path / "copy2", tmp_path / "lake" / "raw")
    assert code == 0
    assert "accepted 3" in out
    assert gzip.decompress(archives[0].read_bytes()).count(b"\n") == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
            "without updates (Unauthorized)",
        ),
        ({"ok": True, "result": True}, "without updates (no result list)"),
    ],
)
def test_a_bot_api_answer_without_updates_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, message: str
) -> None:
    source = tmp_path / "answer.json"
    source.write_text(json.dumps(content), "utf-8")
    code, _, err = ingest(capsys, tmp_path / "lake", source)
    assert code == 2
    assert err.count("\n") == 1
    assert message in err


def test_a_folder_without_update_files_and_a_missing_path_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = ingest(capsys, tmp_path / "lake", empty)
    assert (code, err.count("\n")) == (2, 1)
    assert "holds no update files" in err
    code, _, err = ingest(capsys, tmp_path / "lake", tmp_path / "nope.json")
    assert (code, err.count("\n")) == (2, 1)
    assert "no such file or directory" in err
