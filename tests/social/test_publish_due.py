"""The flow's step after approval (social.publishing.publish_due): the export bundle, then the due
posts to every platform whose account the environment names, each platform on its own line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hrc_outreach.social.publishing import publish_due
from hrc_outreach.store import Store
from tests.support.social_data import KEY, approved_edition, settings_for
from tests.support.social_platforms import Platforms


def test_export_and_the_configured_platforms(sqlite_store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    approved_edition(sqlite_store, settings)
    with Platforms() as platforms:
        env = {
            k: v
            for k, v in platforms.env().items()
            if not k.startswith(("HRC_FACEBOOK", "HRC_INSTAGRAM"))
        }
        env["HRC_BLUESKY_APP_PASSWORD"] = "wrong"  # refused: its posts fail, the others go on
        env["HRC_MASTODON_LANGUAGES"] = "en,ar"
        between = datetime(2026, 11, 3, 12, tzinfo=UTC)  # edition posts due, item posts not yet
        lines = publish_due(sqlite_store, settings, KEY, env=env, now=between)
        assert len(platforms.posts["mastodon"]) == 2 and len(platforms.posts["linkedin"]) == 1
        again = publish_due(sqlite_store, settings, KEY, env=env, now=between)
        assert len(platforms.posts["mastodon"]) == 2 and len(platforms.posts["linkedin"]) == 1
    assert lines["export"].startswith("40 posts in ")
    assert lines["mastodon"] == "2 published, 2 not due"
    assert lines["linkedin"] == "1 published, 1 not due"
    assert lines["bluesky"] == "1 failed, 1 not due"  # createSession refused: the post failed
    assert "facebook" not in lines and "instagram" not in lines
    assert again["mastodon"] == "2 published, 2 not due"
    assert (tmp_path / "out" / "social" / KEY / "buffer-bluesky.csv").is_file()
