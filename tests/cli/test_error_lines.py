"""A CLI error is one line whatever the terminal's width: a path or a command in it can be copied."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_an_error_naming_a_long_path_is_not_broken_at_the_terminal_width(tmp_path: Path) -> None:
    config = tmp_path / ("x" * 150) / "outreach.toml"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hrc-outreach")), "--config", str(config), "status"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(config) in lines[0], done.stderr
