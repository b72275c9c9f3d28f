"""Campaign translation review in the staff area (issue 14), over real HTTP: a campaign whose Dutch
and French texts come from a local server speaking LibreTranslate's API; the step's page links the
edition review page for each translated language; a reviewer's correction lands in the translation
memory as a person's, the step is drafted again with it (the translator asked nothing more), and
the approval given before no longer holds, so launching is refused. Plus the same page in headless
Chromium with axe-core, in English and Arabic."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.memory import source_hash
from hrc_outreach.paths import PROJECT_ROOT
from tests.i18n.fakeservers import FakeEngine
from tests.i18n.fakeservers import serve as serve_translator

from .conftest import ACCOUNTS, NAMES, PASSWORD, csrf_of, environment, login, serve

CAMPAIGN = """\
name: rev
title: Review
date: 2029-06-07
timezone: Europe/Brussels
audience: {segments: [first-time-voters]}
languages: [en, fr, nl, fa]
steps:
  - name: one
    offset_days: -10
    subject: {en: Register to vote, fa: برای رأی دادن ثبت‌نام کنید}
    body: {en: en.md, fa: fa.md}
    cta: {label: {en: How to register, fa: چگونه ثبت‌نام کنیم}, url: "https://elections.europa.eu/"}
"""
BASE = "/staff/campaigns/rev"
STEP = f"{BASE}/one"
CORRECTED = "Registreer je om te stemmen"


@dataclass
class Site:
    url: str
    settings: Settings
    engine: FakeEngine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from hrc_outreach.staff import add_staff
    from hrc_outreach.store import Store

    tmp = tmp_path_factory.mktemp("campaign-review")
    mp = pytest.MonkeyPatch()
    try:
        with serve_translator("libretranslate") as (tr_url, engine):
            mp.setenv("HRC_TRANSLATOR", "libretranslate")
            mp.setenv("HRC_LIBRETRANSLATE_BASE_URL", tr_url)
            mp.setenv("HRC_LIBRETRANSLATE_API_KEY", engine.api_key)
            settings = environment(tmp, mp)
            # the staff area finds campaigns beside the configuration file
            shutil.copy(PROJECT_ROOT / "outreach.toml", tmp / "outreach.toml")
            settings = settings.model_copy(update={"config_path": tmp / "outreach.toml"})
            d = tmp / "campaigns" / "rev"
            d.mkdir(parents=True)
            (d / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
            (d / "en.md").write_text(
                "Registration closes **soon**.\n\nBring an identity document.\n", encoding="utf-8"
            )
            (d / "fa.md").write_text("ثبت‌نام به‌زودی بسته می‌شود.\n", encoding="utf-8")
            store = Store(settings.database_url)
            try:
                for role, email in ACCOUNTS.items():
                    add_staff(store, email, name=NAMES[role], role=role, password=PASSWORD)
            finally:
                store.dispose()
            with serve(settings) as url:
                yield Site(url=url, settings=settings, engine=engine)
    finally:
        mp.undo()


def _hashes(page: str) -> str:
    m = re.search(r'action="[^"]+/one/decision".*?name="hashes" value="([^"]*)"', page, re.S)
    assert m, "no decision form"
    return m.group(1)


def test_review_a_campaign_translation_and_the_approval_no_longer_holds(site: Site) -> None:
    with closing(login(site.url, "editor")) as ed, closing(login(site.url, "approver")) as ap:
        before = ed.get(f"{STEP}/translations/nl")  # never drafted: every string to translate
        assert before.status_code == 200 and before.text.count("origin-row-source") == 4
        assert not site.engine.translate_requests()  # the review page asks the machine nothing
        page = ed.get(BASE)
        r = ed.post(f"{STEP}/draft", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 303 and "done=drafted" in r.headers["location"]
        asked = len(site.engine.translate_requests())
        assert asked == 2  # fr and nl, one batch each
        page = ed.get(BASE)
        for lang in ("fr", "nl"):
            assert f'href="{STEP}/translations/{lang}"' in page.text
        for lang in ("en", "fa"):  # written by staff: nothing to review
            assert f'href="{STEP}/translations/{lang}"' not in page.text
            assert ed.get(f"{STEP}/translations/{lang}").status_code == 404
        assert f'href="{STEP}/translations/nl"' in ed.get(f"{STEP}/preview/nl").text

        page = ap.get(BASE)
        ok = ap.post(
            f"{STEP}/decision",
            data={"csrf": csrf_of(page.text), "decision": "approve", "hashes": _hashes(page.text)},
        )
        assert ok.status_code == 303 and "It holds for these drafts." in ap.get(BASE).text

        form = ed.get(f"{STEP}/translations/nl")
        assert form.status_code == 200
        assert (
            "[nl] Register to vote" in form.text and "[nl] Bring an identity document." in form.text
        )
        assert form.text.count("origin-row-machine") == 4  # subject, two paragraphs, the label
        assert f'action="{STEP}/translations/nl"' in form.text
        name = f"t:campaign:rev:one:{source_hash('Register to vote')[:16]}:subject"
        assert f'name="{name}"' in form.text
        # CSRF as every staff form
        assert ed.post(f"{STEP}/translations/nl", data={name: CORRECTED}).status_code == 403
        # a tag the source does not have: nothing saved, the form shown again
        bad = ed.post(
            f"{STEP}/translations/nl",
            data={"csrf": csrf_of(form.text), name: "<b>Registreer</b>"},
        )
        assert bad.status_code == 422 and "Nothing was saved" in bad.text
        same = ed.post(f"{STEP}/translations/nl", data={"csrf": csrf_of(form.text)})
        assert same.status_code == 303 and "done=unchanged" in same.headers["location"]

        saved = ed.post(
            f"{STEP}/translations/nl", data={"csrf": csrf_of(form.text), name: CORRECTED}
        )
        assert saved.status_code == 303 and "done=translated" in saved.headers["location"]
        assert len(site.engine.translate_requests()) == asked  # drafted again from the memory
        assert CORRECTED in ed.get(f"{STEP}/preview/nl").text
        assert f'id="subject">{CORRECTED}<' in ed.get(f"{STEP}/preview/nl").text
        again = ed.get(f"{STEP}/translations/nl")
        assert again.text.count("origin-row-human") == 1 and CORRECTED in again.text

        page = ap.get(BASE)
        assert "It does not hold for these drafts." in page.text
        refused = ap.post(f"{STEP}/launch", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 409
        outbox = site.settings.resolve(site.settings.delivery.outbox_dir)
        assert not list((outbox / "campaign:rev:one").glob("*.eml"))


def test_campaign_review_page_passes_axe_in_a_real_browser(site: Site) -> None:
    from tests.browser.checks import SEVERE, describe, run_axe
    from tests.browser.conftest import AXE, CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists() or not AXE.is_file():
        pytest.skip(f"needs {CHROMIUM} and {AXE}")
    from playwright.sync_api import sync_playwright

    with closing(login(site.url, "editor")) as ed:  # the step drafted (the other test may not run)
        ed.post(f"{STEP}/draft", data={"csrf": csrf_of(ed.get(BASE).text)})
    found: dict[str, Any] = {}
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        # bypass_csp: axe is injected as a script tag, which our CSP (rightly) forbids
        context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 900})
        context.route(
            "http*://**",
            lambda r: r.continue_() if r.request.url.startswith(site.url) else r.abort(),
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{site.url}/staff/login")
        page.fill("#email", ACCOUNTS["editor"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit] >> text=Sign in")
        page.wait_for_url(f"{site.url}/staff/")
        for ui in ("en", "ar"):
            for path in (f"{STEP}/translations/nl", BASE, f"{STEP}/preview/fr"):
                page.goto(f"{site.url}{path}?ui={ui}")
                assert page.locator("html").get_attribute("dir") == ("rtl" if ui == "ar" else "ltr")
                violations = [v for v in run_axe(page, AXE) if v["impact"] in SEVERE]
                found[f"{path}-{ui}"] = len(violations)
                assert not violations, f"{path} ({ui}): {describe(violations)}"
        # no inline script on the review page (the CSP forbids it anyway)
        page.goto(f"{site.url}{STEP}/translations/nl")
        assert page.locator("script").count() == 0
        # the correction in the browser: the textarea is the reader's language and direction
        area = page.locator("textarea[name$=':subject']")
        assert area.get_attribute("lang") == "nl" and area.get_attribute("dir") == "ltr"
    finally:
        browser.close()
        pw.stop()
    assert set(found.values()) == {0}


def test_a_form_opened_before_the_body_changed_saves_nothing(site: Site) -> None:
    """A reviewer opens the form; staff then insert a paragraph in the source body, so every
    later paragraph moves down one place. Saving the old form must not give the corrections to
    the paragraphs now in those places: nothing is saved, the form is shown again."""
    from hrc_outreach.campaigns.translate import translated
    from hrc_outreach.store import Store

    body = site.settings.resolve("campaigns") / "rev" / "en.md"
    original = body.read_text(encoding="utf-8")
    with closing(login(site.url, "editor")) as ed:
        ed.post(f"{STEP}/draft", data={"csrf": csrf_of(ed.get(BASE).text)})
        form = ed.get(f"{STEP}/translations/fr")
        names = re.findall(r'<textarea[^>]* name="([^"]+)"', form.text)
        second = names[2]  # subject, then the body's paragraphs
        assert "[fr] Bring an identity document." in form.text
        try:
            body.write_text("A new first paragraph.\n\n" + original, encoding="utf-8")
            r = ed.post(
                f"{STEP}/translations/fr",
                data={"csrf": csrf_of(form.text), second: "Apportez une pièce d'identité."},
            )
            assert r.status_code == 422 and "Nothing was saved" in r.text
        finally:
            body.write_text(original, encoding="utf-8")
    store = Store(site.settings.database_url)
    try:
        found = translated(
            ["Registration closes **soon**.", "Bring an identity document."],
            source="en", target="fr", store=store,
        )  # fmt: skip
    finally:
        store.dispose()
    assert {t.origin for t in found.values()} == {"memory"}  # no person's text recorded
