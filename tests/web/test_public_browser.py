"""The public pages in a real browser (Playwright driving Debian's headless Chromium) against the
app served by uvicorn on 127.0.0.1, with the sample edition drafted and published through
``publish.url`` (``memory://``):

- axe-core finds no serious or critical violation on any public page — unsubscribe, preferences,
  subscribe, confirm, the archive, and the error pages — in English and in Arabic (lang="ar",
  dir="rtl");
- a subscriber opens the unsubscribe link of an outbox message and unsubscribes with the button;
  changes language in preferences and sees the page in it; subscribes and confirms through the
  link in the double opt-in email the outbox provider wrote;
- every request the browser makes goes to 127.0.0.1 (no third party).

Without Chromium or axe-core these tests skip; under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import asyncio
import email
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, WebThrottleRow
from tests.browser.checks import SEVERE, by_impact, describe, run_axe
from tests.browser.conftest import (
    AXE,
    EDITION,
    GATHERED_AT,
    chromium,
    require_browser_tools,
)

from .conftest import start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "browser-public-secret-0123456789abcdef"
BASE_URL = "https://news.example.org"  # what links in emails point to; mapped to the test server
LANGS = ["en", "fr", "ar"]
AXE_FOUND: dict[str, dict[str, int]] = {}
OWN_WEBSITE = "humanrightscities.net"  # newsletter.website in outreach.toml


@dataclass
class Site:
    """The app on 127.0.0.1 with the sample edition published; its settings and store."""

    url: str
    settings: Settings
    store: Store
    outbox: Path
    empty_url: str  # the same app with nothing published
    members: dict[str, int] = field(default_factory=dict)

    def local(self, link: str) -> str:
        assert link.startswith(BASE_URL + "/"), link
        return self.url + link.removesuffix("/")[len(BASE_URL) :]


def _in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (which calls asyncio.run) in its own thread: Playwright's sync API keeps an
    event loop running in this one."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(120)
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture(scope="module")
def tools() -> None:
    require_browser_tools()


@pytest.fixture(scope="module")
def site(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Gather the samples, draft edition 2026-12 in en/fr/ar, publish its archive pages to a
    ``memory://`` root, and serve the app (and one with nothing published)."""
    from hrc_outreach.render.archive import publish_pages
    from hrc_outreach.render.draft import draft_edition
    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.storage import published_files
    from hrc_outreach.web.app import create_app

    mp = pytest.MonkeyPatch()
    mp.setenv("HRC_TOKEN_SECRET", SECRET)
    mp.delenv("PREFECT_API_URL", raising=False)
    tmp = tmp_path_factory.mktemp("public-browser")
    common: dict[str, Any] = {
        "env": {},
        "store": {"url": f"sqlite:///{tmp / 'store.db'}"},
        "out_dir": str(tmp / "out"),
        "delivery": {"outbox_dir": str(tmp / "outbox"), "provider": "outbox"},
        "web": {"base_url": BASE_URL},
        "i18n": {"languages": LANGS},
    }
    settings = load_settings(
        ROOT / "outreach.toml", publish={"url": f"memory://pub-{uuid.uuid4().hex}"}, **common
    )
    store = Store(settings.database_url)
    servers = []
    try:
        assert gather_sync(settings, store, now=GATHERED_AT).ok
        draft_edition(settings, store, EDITION, LANGS, settings.resolve(settings.out_dir))
        publish_pages(settings, published_files(settings), EDITION, LANGS)
        empty = load_settings(
            ROOT / "outreach.toml", publish={"url": f"memory://none-{uuid.uuid4().hex}"}, **common
        )
        for s in (settings, empty):
            servers.append(start_server(create_app(s, store=store)))
        yield Site(
            url=servers[0][0],
            settings=settings,
            store=store,
            outbox=settings.resolve(settings.delivery.outbox_dir),
            empty_url=servers[1][0],
        )
    finally:
        for _, server, thread in servers:
            server.should_exit = True
            thread.join(10)
        store.dispose()
        mp.undo()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    """One headless Chromium for this module (started after the draft: gathering runs asyncio)."""
    with chromium() as b:
        yield b


class Visit:
    """A browser context in one language that records every request it makes."""

    def __init__(self, browser: Any, lang: str) -> None:
        self.context = browser.new_context(
            locale={"ar": "ar", "fr": "fr-FR"}.get(lang, "en-GB"),
            viewport={"width": 1280, "height": 900},
        )
        self.requests: list[tuple[str, str, str]] = []  # (url, resource type, page url)
        self.context.on(
            "request", lambda r: self.requests.append((r.url, r.resource_type, r.frame.url))
        )
        # nothing leaves the machine, whatever a page asks for (recorded above all the same)
        self.context.route(
            "**/*",
            lambda r: r.continue_() if _local(r.request.url) else r.abort(),
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)

    def third_party(self) -> list[str]:
        """Requests that did not go to 127.0.0.1, but for one known exception: an archived
        edition shows its items' images where their source hosts them, and the sample items'
        are on the newsletter's own website (not a third party; see the report of issue 12)."""
        return [
            url
            for url, kind, page in self.requests
            if not _local(url)
            and not (kind == "image" and _own_website(url) and _archived_edition(page))
        ]


def _local(url: str) -> bool:
    return url.startswith("http://127.0.0.1:")


def _own_website(url: str) -> bool:
    return urlsplit(url).hostname == OWN_WEBSITE


def _archived_edition(page: str) -> bool:
    return bool(re.fullmatch(r"http://127\.0\.0\.1:\d+/archive/[a-z_]+/\d{4}-\d{2}\.html", page))


@pytest.fixture
def visit(browser: Any, site: Site) -> Iterator[Callable[[str], Visit]]:
    """Open browser contexts; afterwards, no request of theirs left 127.0.0.1."""
    with site.store.session() as s:  # the subscribe throttle counts every test's posts
        s.execute(delete(WebThrottleRow))
    opened: list[Visit] = []

    def make(lang: str) -> Visit:
        opened.append(Visit(browser, lang))
        return opened[-1]

    yield make
    for v in opened:
        v.context.close()
    outside = [u for v in opened for u in v.third_party()]
    assert not outside, f"requests that left 127.0.0.1: {outside[:10]}"
    assert urlsplit(site.settings.newsletter.website).hostname == OWN_WEBSITE
    assert all(v.requests for v in opened)


def _member(site: Site, address: str, lang: str, *, confirmed: bool = True) -> int:
    from hrc_outreach.audience.consent import confirm, subscribe

    with site.store.session() as s:
        sub, token = subscribe(s, site.settings, address, "Ana", lang)
        assert sub is not None and token is not None
        if confirmed:
            confirm(s, site.settings, token)
    return sub.id


def _row(site: Site, sid: int) -> SubscriberRow:
    with site.store.session() as s:
        row = s.get(SubscriberRow, sid)
        assert row is not None
        s.expunge(row)
        return row


def _outbox_message(site: Site, sid: int) -> email.message.EmailMessage:
    """The message the outbox provider wrote for subscriber ``sid`` on a real send (the double
    opt-in email through the configured provider)."""
    from hrc_outreach.audience.consent import to_subscriber
    from hrc_outreach.audience.optin import send_confirmation

    sub = to_subscriber(_row(site, sid))
    _in_thread(lambda: asyncio.run(send_confirmation(site.settings, sub, "x" * 40)))
    eml = next((site.outbox / "opt-in").glob(f"*-sub{sid}.eml"))
    return email.message_from_bytes(eml.read_bytes(), policy=default)  # type: ignore[return-value]


def _unsubscribe_link(msg: email.message.EmailMessage) -> str:
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.search(r"<(https://[^>]+)>", str(msg["List-Unsubscribe"]))
    assert found is not None
    return found.group(1)


def _axe(page: Any, name: str, lang: str) -> None:
    """No serious or critical axe violation; the page in ``lang`` and its direction."""
    html = page.locator("html")
    want_lang = "pt-PT" if lang == "pt_PT" else lang
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (
        want_lang,
        "rtl" if lang == "ar" else "ltr",
    ), name
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the page's CSP (no inline script) holds
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = [v for v in run_axe(page, AXE) if v["impact"] in SEVERE]
    AXE_FOUND[name] = by_impact(violations)
    assert not violations, f"{name}: {describe(violations)}"


# ------------------------------------------------------------------------------------- axe


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_public_page_is_axe_clean(site: Site, visit: Any, lang: str) -> None:
    from hrc_outreach.audience.links import links_for

    links = links_for(site.settings)
    v = visit(lang)
    page = v.page
    url = site.url
    sid = _member(site, f"axe-{lang}@example.org", lang)
    pending = _member(site, f"pending-{lang}@example.org", lang, confirmed=False)

    def check(path: str, name: str, status: int = 200, page_lang: str = lang) -> None:
        answer = page.goto(url + path)
        assert answer is not None and answer.status == status, (name, answer and answer.status)
        _axe(page, f"{name}-{lang}", page_lang)

    # subscribe: the form, a refused form (no consent ticked), the answer
    check("/subscribe", "subscribe")
    page.fill("#email", f"new-{lang}@example.org")
    page.evaluate("document.querySelector('#consent').removeAttribute('required')")
    page.click("button[type=submit]")
    assert page.locator("p.error[role=alert]").count() == 1
    _axe(page, f"subscribe-refused-{lang}", lang)
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_selector("p.ok[role=status]")
    _axe(page, f"subscribe-sent-{lang}", lang)

    # confirm: the button, then confirmed
    confirm_path = links.confirm_url(pending).removeprefix(BASE_URL)
    check(confirm_path, "confirm")
    page.click("button[type=submit]")
    page.wait_for_selector("p.ok")
    _axe(page, f"confirmed-{lang}", lang)

    # preferences: the form, saved; a forged CSRF field: 403
    prefs = links.preferences_url(sid).removeprefix(BASE_URL)
    check(prefs, "preferences")
    page.click("form >> nth=0 >> button[type=submit]")
    page.wait_for_load_state()
    _axe(page, f"preferences-saved-{lang}", lang)
    page.evaluate("document.querySelector('input[name=csrf]').value = 'forged.value'")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form >> nth=0 >> button[type=submit]")
    assert answer.value.status == 403
    _axe(page, f"forbidden-{lang}", lang)

    # unsubscribe: the page, the button, done; then preferences of someone gone: 410
    unsub = links.unsubscribe_url(sid).removeprefix(BASE_URL)
    check(unsub, "unsubscribe")
    page.click("button.danger")
    page.wait_for_selector("p.ok")
    _axe(page, f"unsubscribed-{lang}", lang)
    check(unsub, "already-unsubscribed")
    check(prefs, "preferences-gone", status=410)

    # forged and damaged tokens (the page follows the browser's language)
    for kind, path in (("u", unsub), ("p", prefs), ("confirm", confirm_path)):
        token = path.rsplit("/", 1)[1]
        check(f"/{kind}/{token[:-3]}AAA", f"forged-{kind}", status=400)
    check("/u/" + "A" * 10, "truncated-u", status=400)

    # the archive: the language's index and its edition; the root is in the source language
    check(f"/archive/{lang}/", "archive-index")
    check(f"/archive/{lang}/{EDITION}.html", "archive-edition")
    if lang == "en":
        check("/archive/", "archive-root", page_lang="en")
    # nothing published yet (another app, same store)
    answer = page.goto(site.empty_url + "/archive/")
    assert answer is not None and answer.status == 404
    _axe(page, f"archive-missing-{lang}", lang)
    assert not v.third_party(), v.third_party()
    print(
        "\n".join(
            f"axe {k:36} {c or 'none'}"
            for k, c in sorted(AXE_FOUND.items())
            if k.endswith(f"-{lang}")
        )
    )


# ---------------------------------------------------------------------------------- walks


def test_unsubscribe_with_the_button_from_an_outbox_message(site: Site, visit: Any) -> None:
    sid = _member(site, "walk-unsub@example.org", "fr")
    other = _member(site, "walk-stays@example.org", "fr")
    link = _unsubscribe_link(_outbox_message(site, sid))
    page = visit("en").page
    page.goto(site.local(link))  # a link scanner would stop here: nothing changes
    assert page.locator("html").get_attribute("lang") == "fr"  # the subscriber's language
    assert _row(site, sid).state == "confirmed"
    page.click("button.danger")
    page.wait_for_selector("p.ok")
    assert page.locator("button.danger").count() == 0
    assert _row(site, sid).state == "unsubscribed"
    assert _row(site, other).state == "confirmed"
    with site.store.session() as s:
        actions = s.scalars(
            select(ConsentEventRow.action).where(ConsentEventRow.subscriber_id == sid)
        ).all()
    assert actions.count("unsubscribed") == 1
    page.goto(site.local(link))  # again: already unsubscribed, no button
    assert page.locator("button.danger").count() == 0


def test_change_language_in_preferences(site: Site, visit: Any) -> None:
    sid = _member(site, "walk-lang@example.org", "en")
    link = _unsubscribe_link(_outbox_message(site, sid))
    page = visit("en").page
    page.goto(site.local(link))
    page.click("a[href^='/p/']")  # "Change your preferences" on the unsubscribe page
    page.wait_for_url("**/p/**")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("en", "ltr")
    title_en = page.locator("h1").inner_text()
    page.select_option("#language", "ar")
    page.click("form >> nth=0 >> button[type=submit]")
    page.wait_for_function("document.documentElement.lang === 'ar'")
    assert html.get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() != title_en
    assert page.locator("#language").input_value() == "ar"
    assert _row(site, sid).language == "ar"
    page.reload()  # the language is the subscriber's now, not the browser's (English)
    assert html.get_attribute("lang") == "ar"
    page.select_option("#language", "fr")
    page.click("form >> nth=0 >> button[type=submit]")
    page.wait_for_function("document.documentElement.lang === 'fr'")
    assert html.get_attribute("dir") == "ltr" and _row(site, sid).language == "fr"


def test_subscribe_and_confirm_through_the_outbox_email(site: Site, visit: Any) -> None:
    address = "walk-new@example.org"
    page = visit("en").page
    page.goto(site.url + "/subscribe")
    page.fill("#email", address)
    page.fill("#name", "Nadia")
    page.select_option("#language", "ar")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_selector("p.ok[role=status]")
    assert page.locator("html").get_attribute("dir") == "rtl"  # answered in the chosen language
    with site.store.session() as s:
        row = s.scalars(select(SubscriberRow).where(SubscriberRow.email == address)).one()
        sid, state = row.id, row.state
    assert state == "pending"
    eml = next((site.outbox / "opt-in").glob(f"*-sub{sid}.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert msg["Content-Language"] == "ar"
    body = msg.get_body(("plain",))
    assert body is not None
    found = re.search(r"https://news\.example\.org/confirm/[A-Za-z0-9_-]+", body.get_content())
    assert found is not None
    page.goto(site.local(found.group(0)))  # opening the link changes nothing
    assert _row(site, sid).state == "pending"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.click("button[type=submit]")
    page.wait_for_selector("p.ok")
    assert _row(site, sid).state == "confirmed"
    with site.store.session() as s:
        event = s.scalars(
            select(ConsentEventRow).where(
                ConsentEventRow.subscriber_id == sid, ConsentEventRow.action == "confirmed"
            )
        ).one()
    assert (event.method, event.source) == ("double-opt-in", "web:confirm")
    page.click("a[href^='/p/']")  # the confirmed page offers the preferences
    page.wait_for_url("**/p/**")
    assert page.locator("#language").input_value() == "ar"
