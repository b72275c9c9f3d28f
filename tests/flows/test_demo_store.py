"""``make run`` (``python -m hrc_outreach.demo``) sends the sample edition into its own store and
output folder: the store, out folder, outbox and archive the configuration names are never touched,
so a demo never marks a real edition as sent."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hrc_outreach.paths import PROJECT_ROOT

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def _real_config(tmp: Path) -> Path:
    """The project's outreach.toml as a deployment would have it: its own store and out folder
    (and editions), the bundled samples as sources."""
    shutil.copytree(PROJECT_ROOT / "editions", tmp / "editions")
    text = (PROJECT_ROOT / "outreach.toml").read_text(encoding="utf-8")
    text = text.replace('path = "samples/', f'path = "{PROJECT_ROOT}/samples/')
    head = (
        f'out_dir = "{tmp}/real-out"\n'
        f'[store]\nurl = "sqlite:///{tmp}/real.db"\n'
        f'[delivery]\noutbox_dir = "{tmp}/real-out/outbox"\n'
    )
    config = tmp / "outreach.toml"
    config.write_text(head + text, encoding="utf-8")
    return config


def _sent_editions(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as con:
        return list(con.execute("select key, status from editions where status = 'sent'"))


def test_make_run_sends_into_its_own_store_and_folder_never_the_configured_ones(
    tmp_path: Path,
) -> None:
    config = _real_config(tmp_path)
    demo_dir = tmp_path / "demo"
    env = {
        k: v for k, v in os.environ.items() if not (k.startswith("HRC_") or k == "PREFECT_API_URL")
    }
    env |= {
        "HRC_DEMO_DIR": str(demo_dir),
        "PREFECT_HOME": str(tmp_path / "prefect"),  # its own temporary Prefect server
        "HRC_TOKEN_SECRET": "demo-test-secret-0123456789abcdef",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrc_outreach.demo",
            "--config",
            str(config),
            "--edition",
            "2026-12",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    real_db = tmp_path / "real.db"
    assert not real_db.exists() or _sent_editions(real_db) == [], "the demo sent a real edition"
    assert not (tmp_path / "real-out").exists(), "the demo wrote into the configured out folder"
    assert _sent_editions(demo_dir / "outreach.db") == [("2026-12", "sent")]
    assert list((demo_dir / "outbox").rglob("*.eml")), "the demo's messages are in its own outbox"
    assert (demo_dir / "archive" / "index.html").is_file()
    assert str(demo_dir.relative_to(tmp_path)) in done.stdout or str(demo_dir) in done.stdout
