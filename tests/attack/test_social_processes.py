"""Two `hrc-outreach social publish` processes over the same approved edition at the same moment,
on SQLite and on PostgreSQL, with a platform that ignores idempotency keys and takes its time to
answer (each post exists before its answer arrives): every post is published once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hrc_outreach.store import Store
from tests.social.test_social_crash import CLI, _env
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import Platforms


@pytest.mark.parametrize("name", ["facebook", "mastodon"])
def test_two_processes_publishing_at_once_post_each_post_once(
    name: str, store_url: str, tmp_path: Path
) -> None:
    store = Store(store_url)
    approved_edition(store, settings_for(tmp_path))
    store.dispose()
    with Platforms(honour_idempotency=False) as platforms:
        platforms.create_delay = 0.3
        env = {**_env(tmp_path, platforms), "HRC_DATABASE_URL": store_url}
        cmd = [*CLI, "social", "publish", KEY, "--platform", name]
        procs = [
            subprocess.Popen(
                cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=180) for p in procs]
        assert len(platforms.posts[name]) == 2 * len(LANGS), (
            "a post was published twice",
            [o[0].decode()[-600:] + o[1].decode()[-600:] for o in outs],
        )
        again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, timeout=120)
        assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
        assert len(platforms.posts[name]) == 2 * len(LANGS)
    # each process ended cleanly: 0 (all published), or 0 with the other's posts named
    assert all(p.returncode in (0, 2) for p in procs), [o[1].decode()[-800:] for o in outs]
