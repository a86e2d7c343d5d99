"""The command line: negative chat-id lists are values, usage errors are one line."""

from __future__ import annotations

import pytest

from scripts.cli import build_parser, main


def test_a_list_of_negative_chat_ids_is_a_value_not_an_option() -> None:
    args = build_parser().parse_args(
        ["ingest", "f.json", "--lake", "lake", "--chat-ids", "-1001234567890,-1001111111111"]
    )
    assert args.chat_ids == "-1001234567890,-1001111111111"


def test_unknown_subcommand_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["no-such-command"])
    assert raised.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"demo", "serve", "ingest", "send-updates", "query", "template", "deploy"} <= set(
        commands
    )
    for name in commands:
        with pytest.raises(SystemExit) as raised:
            main([name, "--help"])
        assert raised.value.code == 0
    assert "usage:" in capsys.readouterr().out
