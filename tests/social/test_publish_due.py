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


def test_a_campaign_step_publishes_like_an_edition(sqlite_store: Store, tmp_path: Path) -> None:
    """A campaign step's drafts and approval live under ``campaign:<name>:<step>``: its posts (no
    cards, no edition date: due from the approval) are exported and published the same way."""
    import httpx

    from hrc_outreach.models import SocialPlatform, SocialPost
    from hrc_outreach.social.accounts import publisher_for
    from hrc_outreach.social.publishing import publish_edition
    from tests.support.ledger_data import approved, message, write_draft

    step = "campaign:eu-elections:reminder"
    posts = tuple(
        SocialPost(
            platform=SocialPlatform(p),
            lang="uk",
            text=f"Реєстрація виборців 🗳️ → https://example.org/{p}",
            link=f"https://example.org/{p}",
        )
        for p in ("mastodon", "bluesky", "instagram")
    )
    msgs = {"uk": message(step, "uk").model_copy(update={"social": posts})}
    write_draft(sqlite_store, msgs)
    approved(sqlite_store, step, msgs)
    settings = settings_for(tmp_path)
    with Platforms() as platforms, httpx.Client() as client:
        env = platforms.env()
        report = publish_edition(
            sqlite_store, settings, step, publisher_for("mastodon", client, env), languages=["uk"]
        )
        ig = publish_edition(
            sqlite_store, settings, step, publisher_for("instagram", client, env), languages=["uk"]
        )
    assert [o.state for o in report.outcomes] == ["published"]
    assert [o.state for o in ig.outcomes] == ["failed"] and "public URL" in ig.outcomes[0].note
    lines = publish_due(sqlite_store, settings, step, env={})
    assert lines == {
        "export": f"3 posts in {tmp_path / 'out' / 'social' / 'campaign-eu-elections-reminder'}"
    }
