"""The monthly flow's social step (flows/monthly.py social_task), its function run directly: after
approval it writes the export bundle and publishes what is due to the accounts the environment
names (no Prefect server needed to call the task's function)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import Platforms


def test_social_task_exports_and_publishes_what_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monthly import social_task

    settings = settings_for(tmp_path)
    store = Store(settings.database_url)
    approved_edition(store, settings)
    store.dispose()
    config = tmp_path / "outreach.toml"
    config.write_text(
        f'out_dir = "{tmp_path / "out"}"\n[store]\nurl = "{settings.database_url}"\n'
        f'[i18n]\nlanguages = {list(LANGS)!r}\n[web]\nbase_url = "https://outreach.example"\n'.replace(
            "'", '"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("HRC_TOKEN_SECRET", "flow-step-secret-0123456789")
    with Platforms() as platforms:
        for k, v in platforms.env().items():
            if k.startswith("HRC_MASTODON"):
                monkeypatch.setenv(k, v)
        lines = social_task.fn(str(config), KEY)
        assert len(platforms.posts["mastodon"]) == 2  # the source language's posts, both due by now
    assert lines["mastodon"] == "2 published"
    assert (tmp_path / "out" / "social" / KEY / "meta-business-suite.csv").is_file()
