"""Printed next steps run as printed, in a new shell that knows nothing of the venv."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
TGPIPE = ROOT / ".venv" / "bin" / "tgpipe"
#: A new shell: no activated venv, only the system's programs.
NEW_SHELL_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}


def test_the_demos_next_steps_work_copy_pasted_in_a_new_shell(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    demo = subprocess.run(
        [".venv/bin/tgpipe", "demo", "--lake", str(lake), "--count", "300"],
        cwd=ROOT,
        env={**NEW_SHELL_ENV, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    steps = [
        line[line.index(".venv/bin/tgpipe") :]
        for line in demo.stdout.splitlines()
        if line.startswith(("query it", "health"))
    ]
    assert len(steps) == 2
    for step in steps:
        assert step.startswith(".venv/bin/tgpipe "), step
        ran = subprocess.run(
            ["bash", "-c", step],
            cwd=ROOT,
            env=NEW_SHELL_ENV,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, (step, ran.stderr[-2000:])
