"""The chaos run, smaller: faults, SIGKILLs and redeliveries lose no acknowledged update."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.chaos import ChaosConfig, run_chaos


@pytest.mark.slow
def test_chaos_run_loses_no_acknowledged_update(tmp_path: Path) -> None:
    # GIVEN `tgpipe serve` with 20 % put failures and 10 % archive failures (the full
    # run's rates), and 1,000 updates with redeliveries from a Telegram-like client
    config = ChaosConfig(updates=1000, kills=3, seed=7)
    # WHEN the server is SIGKILLed and restarted 3 times while they are sent
    result = run_chaos(config, tmp_path)
    # THEN the faults and kills really happened ...
    assert result.kills == 3
    assert result.statuses.get("503", 0) > 0  # the webhook gave up on a failing stream
    assert result.statuses.get("connection error", 0) > 0  # requests cut by the kills
    assert result.recovered_after_kills > 0  # acknowledged updates were only in the spool
    # ... every update was eventually acknowledged ...
    assert result.gave_up == 0
    assert result.expected > 0
    # ... and every acknowledged update of the allowed chat is in the lake
    assert result.lost == 0, f"lost update ids: {result.lost_ids}"
    assert result.in_raw_archive + result.in_error_prefixes >= result.expected
