"""A new user's mistakes, run as a user runs them (a subprocess): one line, non-zero, a hint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from local.generator import DEFAULT_CHAT_ID, generate_updates, write_ndjson

ROOT = Path(__file__).parents[2]


def tgpipe(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mistakes")
    source = root / "updates.ndjson"
    write_ndjson(source, generate_updates(200, seed=9))
    made = tgpipe(
        "ingest", str(source), "--lake", str(root / "lake"), "--chat-ids", str(DEFAULT_CHAT_ID)
    )
    assert made.returncode == 0, made.stderr
    return root / "lake"


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_a_lake_path_one_level_too_deep_names_the_lake(lake: Path) -> None:
    error = one_line_error(tgpipe("query", "--lake", str(lake / "data"), "--named", "top_senders"))
    assert error == (
        f"tgpipe query: {lake / 'data'} is not a lake (no data/ or raw/ in it); "
        f"did you mean --lake {lake}?"
    )


def test_the_folder_holding_a_lake_names_it(lake: Path) -> None:
    error = one_line_error(tgpipe("dashboard", "--lake", str(lake.parent), "-o", "/dev/null"))
    assert error.endswith(f"did you mean --lake {lake}?")


def test_an_empty_folder_is_no_lake(tmp_path: Path) -> None:
    error = one_line_error(tgpipe("status", "--lake", str(tmp_path)))
    assert error.startswith(f"tgpipe status: no lake at {tmp_path} (a lake holds data/ and raw/")


def test_sql_errors_keep_duckdbs_suggestions(lake: Path) -> None:
    typo = one_line_error(
        tgpipe("query", "--lake", str(lake), "--sql", "SELECT count(*) FROM mesages")
    )
    assert 'Did you mean "messages"?' in typo
    column = one_line_error(
        tgpipe("query", "--lake", str(lake), "--sql", "SELECT txt FROM messages")
    )
    assert 'Candidate bindings: "text"' in column


def test_tables_lists_every_table_and_view_with_its_columns() -> None:
    listed = tgpipe("query", "--tables", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    rows = {tuple(line.split(",")) for line in listed.stdout.splitlines()[1:]}
    assert ("messages", "sender_kind", "VARCHAR") in rows
    assert ("messages_unique", "canonical_chat_id", "BIGINT") in rows
    assert ("raw_updates", "message", "JSON") in rows


def test_query_without_a_lake_says_which_flag(tmp_path: Path) -> None:
    error = one_line_error(tgpipe("query", "--named", "top_senders"))
    assert error == "tgpipe query: which lake? pass --lake DIR (the demo's is demo-lake)"


def test_a_lake_under_a_file_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    error = one_line_error(tgpipe("serve", "--lake", str(blocker / "x"), "--chat-ids", "-1001"))
    assert error == f"tgpipe serve: cannot create the lake {blocker / 'x'}: Not a directory"
    error = one_line_error(
        tgpipe("ingest", str(blocker), "--lake", str(blocker), "--chat-ids", "-1001")
    )
    assert error == f"tgpipe ingest: --lake {blocker} is a file, not a directory"
