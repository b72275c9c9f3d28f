"""A publishing process killed with SIGKILL right after the platform accepted a post (before the
answer reached it) does not produce a second post when publishing resumes, on every platform,
with Mastodon ignoring idempotency keys: the ledger's row was committed as submitting before the
request, and the resumed run looks the post up on the platform before any retry."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, PLATFORMS, approved_edition, cli_env, settings_for
from tests.support.social_platforms import Platforms

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hrc_outreach.cli import app; app()"]


def _env(tmp_path: Path, platforms: Platforms) -> dict[str, str]:
    return cli_env(tmp_path, platforms, dict.fromkeys(PLATFORMS, ",".join(LANGS)))


@pytest.mark.parametrize("name", ["mastodon", "bluesky", "facebook", "instagram", "linkedin"])
def test_killed_after_the_platform_accepted_then_resumed_posts_once(
    name: str, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    approved_edition(store, settings_for(tmp_path))
    store.dispose()
    with Platforms(honour_idempotency=False) as platforms:
        env = _env(tmp_path, platforms)
        platforms.hang_after_accept.add(name)
        cmd = [*CLI, "social", "publish", KEY, "--platform", name]
        proc = subprocess.Popen(
            cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert platforms.accepted.wait(60), proc.communicate(timeout=5)
            assert len(platforms.posts[name]) == 1
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        resumed = subprocess.run(
            cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert len(platforms.posts[name]) == 2 * len(LANGS), "the accepted post was posted twice"
        report = subprocess.run(
            [*CLI, "social", "report", KEY, "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert report.returncode == 0, report.stderr
    posts = json.loads(report.stdout)["posts"]
    assert [p["state"] for p in posts] == ["published"] * 2 * len(LANGS)
    found = [p for p in posts if p["note"] == "found on the platform after an interrupted run"]
    assert len(found) == 1 and found[0]["attempts"] == 1 and found[0]["url"].startswith("https://")
