"""The command line: negative chat-id lists are values, usage errors are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import COMMANDS, build_parser, main, parse_args


def test_a_list_of_negative_chat_ids_is_a_value_not_an_option() -> None:
    args = parse_args(
        ["ingest", "f.json", "--lake", "lake", "--chat-ids", "-1001234567890,-1001111111111"]
    )
    assert args.chat_ids == "-1001234567890,-1001111111111"
    assert parse_args(["chats", "allow", "-1001234567890", "--lake", "l"]).chat_id == -1001234567890


def test_the_command_table_says_what_each_module_registers() -> None:
    full = build_parser()
    helps = {action.dest: action.help for action in _commands(full)}
    assert [(name, summary) for name, _, summary in COMMANDS] == list(helps.items())


def _commands(parser: object) -> list[object]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subparsers._choices_actions)


def test_help_imports_no_command_module_and_nothing_heavy() -> None:
    # `tgpipe --help` reads the command table only: no duckdb, pyarrow, boto3, command modules.
    probe = (
        "import sys\nfrom scripts.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'pyarrow', 'botocore', 'boto3', 'scripts.demo', "
        "'local.stack') if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "HEAVY []" in result.stdout, result.stdout[-500:] + result.stderr[-500:]
    assert "chats" in result.stdout


def test_unknown_subcommand_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["no-such-command"])
    assert raised.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [name for name, _, _ in COMMANDS]
    assert {"demo", "serve", "ingest", "send-updates", "query", "template", "deploy"} <= set(
        commands
    )
    for name in commands:
        with pytest.raises(SystemExit) as raised:
            main([name, "--help"])
        assert raised.value.code == 0
    assert "usage:" in capsys.readouterr().out
