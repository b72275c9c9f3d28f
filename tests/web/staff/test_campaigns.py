"""Campaigns in the staff area (issue 14), over real HTTP: listed, a step drafted by an editor and
previewed in every language (Persian right to left, the email in a sandboxed frame), approved by an
approver bound to the hashes the page showed, launched through the outbox; stale hashes refused."""

from __future__ import annotations

import re
from contextlib import closing

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store import Store

from .conftest import Served, csrf_of, login

STEP = "announcement"
BASE = "/staff/campaigns/eu-elections"


def _import_subscribers(served: Served) -> int:
    """The example list (in this app's languages, en/fr/ar); how many the campaign reaches."""
    from hrc_outreach.campaigns.steps import campaign_audience
    from hrc_outreach.campaigns.validate import load_campaign
    from hrc_outreach.paths import PROJECT_ROOT

    store = Store(served.settings.database_url)
    campaign = load_campaign(served.settings, PROJECT_ROOT / "campaigns" / "eu-elections")
    try:
        with store.session() as s:
            import_csv(s, served.settings, SUBSCRIBERS_DIR / "example.csv", source="test")
        with store.session() as s:
            return len(list(campaign_audience(s, served.settings, campaign)))
    finally:
        store.dispose()


def test_campaign_pages_preview_approve_and_launch(served: Served) -> None:
    reached = _import_subscribers(served)
    assert reached >= 3
    with closing(login(served.url, "editor")) as ed, closing(login(served.url, "approver")) as ap:
        listing = ed.get("/staff/campaigns")
        assert listing.status_code == 200 and 'href="/staff/campaigns/eu-elections"' in listing.text
        page = ed.get(BASE)
        assert page.status_code == 200 and "election-day" in page.text
        r = ed.post(f"{BASE}/{STEP}/draft", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 303 and "done=drafted" in r.headers["location"]
        page = ed.get(BASE)
        for lang in ("en", "fr", "ar", "tr", "fa"):
            assert f'href="{BASE}/{STEP}/preview/{lang}"' in page.text
        fa = ed.get(f"{BASE}/{STEP}/preview/fa")
        assert fa.status_code == 200 and 'lang="fa" dir="rtl" id="subject"' in fa.text
        frame = ed.get(f"{BASE}/{STEP}/frame/fa")
        assert "sandbox" in frame.headers["content-security-policy"]
        assert '<html lang="fa" dir="rtl"' in frame.text
        assert "Launch now" not in page.text  # an editor neither decides nor launches

        page = ap.get(BASE)
        forms = re.findall(
            r'action="([^"]+/decision)".*?name="hashes" value="([^"]*)"', page.text, re.S
        )
        hashes = dict(forms)[f"{BASE}/{STEP}/decision"]
        assert hashes.count("=") == 13 * 12  # every language, and its 11 country links
        stale = ap.post(
            f"{BASE}/{STEP}/decision",
            data={"csrf": csrf_of(page.text), "decision": "approve",
                  "hashes": re.sub(r"fa=[0-9a-f]+", "fa=" + "0" * 64, hashes)},
        )  # fmt: skip
        assert stale.status_code == 409 and "changed since" in stale.text
        ok = ap.post(
            f"{BASE}/{STEP}/decision",
            data={"csrf": csrf_of(page.text), "decision": "approve", "hashes": hashes},
        )
        assert ok.status_code == 303 and "done=approved" in ok.headers["location"]
        page = ap.get(BASE)
        assert "It holds for these drafts." in page.text and "Launch now" in page.text
        sent = ap.post(f"{BASE}/{STEP}/launch", data={"csrf": csrf_of(page.text)})
        assert sent.status_code == 303 and "done=launched" in sent.headers["location"]
        outbox = served.settings.resolve(served.settings.delivery.outbox_dir)
        assert len(list((outbox / f"campaign:eu-elections:{STEP}").glob("*.eml"))) == reached
        again = ap.post(f"{BASE}/{STEP}/launch", data={"csrf": csrf_of(page.text)})
        assert again.status_code == 303
        assert len(list((outbox / f"campaign:eu-elections:{STEP}").glob("*.eml"))) == reached
        assert ed.get("/staff/campaigns/no-such-campaign").status_code == 404
