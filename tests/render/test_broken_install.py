"""A module the product needs that fails to import fails the run loudly: never zero lint findings.

Each case runs the real command line in a subprocess whose import system refuses one of our
modules (as a half-upgraded or broken install would). Before, the lint and social stages were
looked up "if present", so a broken lint module meant an edition with no findings, ready for approval.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_edition_cli import _setup
from tests.cli.test_gather_cli import FEED

RUNNER = """
import importlib.abc
import sys

BROKEN = sys.argv.pop(1)


class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == BROKEN:
            raise ImportError(f"simulated broken install: {name}")
        return None


sys.meta_path.insert(0, Broken())
from hrc_outreach.cli import app

app(prog_name="hrc-outreach")
"""


def _run(tmp_path: Path, broken: str, *args: str) -> subprocess.CompletedProcess[str]:
    runner = tmp_path / "run_cli.py"
    runner.write_text(RUNNER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRC_")}
    return subprocess.run(
        [sys.executable, str(runner), broken, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def _draft(tmp_path: Path, broken: str, config: Path) -> subprocess.CompletedProcess[str]:
    """``edition draft`` of 2026-12 in English, with module ``broken`` made to fail at import."""
    return _run(tmp_path, broken, "--config", str(config), "edition", "draft", "-e", "2026-12",
                "-l", "en", "--json")  # fmt: skip


@pytest.mark.parametrize(
    "broken",
    ["hrc_outreach.render.lint", "hrc_outreach.render.social", "hrc_outreach.cli.translations"],
)
def test_a_broken_module_fails_the_draft_loudly(tmp_path: Path, broken: str) -> None:
    config = _setup(tmp_path)
    done = _draft(tmp_path, broken, config)
    assert done.returncode not in (0, 2), done.stdout  # 2 would be "lint errors", 0 a pass
    assert f"simulated broken install: {broken}" in done.stderr
    assert not (tmp_path / "out" / "editions" / "2026-12" / "en" / "email.html").exists()


def test_the_same_runner_drafts_when_nothing_is_broken(tmp_path: Path) -> None:
    """The control: the runner itself is sound, so the failures above come from the broken module."""
    config = _setup(tmp_path)
    done = _draft(tmp_path, "no.such.module", config)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "editions" / "2026-12" / "en" / "email.html").is_file()


def _gather_config(tmp_path: Path) -> Path:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "hrc.xml").write_text(
        FEED.replace("<language>en</language>", ""), encoding="utf-8"
    )
    config = tmp_path / "outreach.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n[fetch]\nretries = 0\n'
        '[[sources]]\nname = "hrc"\nkind = "feed"\npath = "feeds/hrc.xml"\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    ("broken", "ok"), [("hrc_outreach.i18n.detect", False), ("no.such.module", True)]
)
def test_gather_with_language_detection_broken_fails_loudly(
    tmp_path: Path, broken: str, ok: bool
) -> None:
    """Before, gather skipped detection when it failed to import: items stayed "unknown"."""
    done = _run(tmp_path, broken, "--config", str(_gather_config(tmp_path)), "gather", "--json")
    if ok:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode != 0, done.stdout
        assert f"simulated broken install: {broken}" in done.stderr
