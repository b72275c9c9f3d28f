"""mypy --strict holds on src/ and flows/ (the configuration in pyproject.toml says strict)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_mypy_strict_on_src_and_flows() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "src", "flows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
