"""The staff edition page shows each social post's state in the publishing ledger and its link
(issue 15): the sample edition, drafted by the real pipeline (its social posts and cards), approved,
published to a local Mastodon and to a Bluesky that refuses one post."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from hrc_outreach.approval import approve, content_hashes
from hrc_outreach.render.output import load_drafts
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.publishing import publish_edition
from hrc_outreach.store import Store
from tests.support.social_platforms import Platforms, Reply
from tests.web.staff.conftest import EDITION, LANGS, Served, login


def test_edition_page_shows_each_posts_state_and_link(served: Served) -> None:
    settings = served.settings
    store = Store(settings.database_url)
    try:
        msgs = load_drafts(store, EDITION)
        approve(store, EDITION, msgs, by="Ana Approver", shown=content_hashes(msgs))
        later = datetime(2027, 1, 31, tzinfo=UTC)
        with Platforms() as platforms, httpx.Client() as client:
            platforms.script(
                "bluesky", Reply(400, {"error": "InvalidRequest", "message": "Bad facet"})
            )
            masto = publish_edition(
                store,
                settings,
                EDITION,
                publisher_for("mastodon", client, platforms.env()),
                languages=LANGS,
                now=later,
            )
            sky = publish_edition(
                store,
                settings,
                EDITION,
                publisher_for("bluesky", client, platforms.env()),
                languages=LANGS,
                now=later,
            )
    finally:
        store.dispose()
    assert masto.outcomes and all(o.state == "published" for o in masto.outcomes)
    assert [o.state for o in sky.outcomes].count("failed") == 1
    c = login(served.url, "editor")
    try:
        page = c.get(f"/staff/editions/{EDITION}")
    finally:
        c.close()
    assert page.status_code == 200
    html = page.text
    for o in masto.outcomes:
        assert f'<a href="{o.url}" rel="noopener noreferrer">' in html
    assert html.count("<code>mastodon</code>") == len(masto.outcomes)
    assert html.count("<code>bluesky</code>") == len(sky.outcomes)
    assert "Bad facet" in html and "<strong>Failed</strong>" in html
