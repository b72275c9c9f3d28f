"""The plain-text part says what the HTML says: every title, every link, the same chrome."""

from __future__ import annotations

import html as htmllib

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Edition
from hrc_outreach.render.draft import render_message
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.text import LRI, PDI, RLM


def _msg(edition: Edition, settings: Settings, lang: str):  # type: ignore[no-untyped-def]
    loc = localize_all(edition, [lang], settings=settings)[lang]
    return render_message(loc, settings)[0]


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_text_has_every_title_and_link_of_the_html(
    edition: Edition, settings: Settings, lang: str
) -> None:
    msg = _msg(edition, settings, lang)
    doc = parse_html(msg.html)
    hrefs = {a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("href")}
    assert len(hrefs) > 10
    for href in hrefs:
        assert htmllib.unescape(href).removeprefix("mailto:") in msg.text, href
    titles = [" ".join(h.text().split()) for h in doc.find_all("h1", "h2", "h3")]
    flat = " ".join(msg.text.split())
    # the title, "in this issue", the lead story (the only project update), three sections, the
    # other items
    assert len(titles) == 1 + 1 + 1 + 3 + len(edition.items) - 1
    for title in titles:
        assert title in flat, title


def test_text_footnotes_number_summary_links(edition: Edition, settings: Settings) -> None:
    text = _msg(edition, settings, "en").text
    flat = " ".join(text.split())
    assert "human rights cities [1] working together" in flat
    assert "job creation [2]." in flat
    assert max(len(line) for line in text.split("\n") if "://" not in line) <= 80
    assert "[1] https://humanrightscities.net/about\n[2] https://example.org/gwangju" in text
    assert "<p>" not in text and "&amp;" not in text and "education & healthcare" in text


def test_text_has_unsubscribe_and_is_plain(edition: Edition, settings: Settings) -> None:
    msg = _msg(edition, settings, "en")
    text = msg.text
    assert f"Unsubscribe\n[[unsubscribe_url.{msg.nonce}]]" in text
    assert f"Update your preferences\n[[preferences_url.{msg.nonce}]]" in text
    assert "When: Tue, 8 Dec 2026, 14:00–15:30 CET" in text
    assert "\n\n\n" not in text and text.endswith("\n")


def test_arabic_text_is_rtl_with_isolated_english(edition: Edition, settings: Settings) -> None:
    text = _msg(edition, settings, "ar").text
    lines = [ln for ln in text.split("\n") if ln.strip()]
    prose = [ln for ln in lines if not ln.lstrip().startswith(("http", "[", "=", "-"))]
    assert prose and all(ln.lstrip(" ").startswith(RLM) for ln in prose)
    # URLs are left alone so mail clients still link them.
    assert "\nhttps://outreach.humanrightscities.net/archive/ar/2026-12.html\n" in text
    assert f"{LRI}Singkawang, a city of tolerance{PDI}" in text


def test_english_text_has_no_direction_marks(edition: Edition, settings: Settings) -> None:
    text = _msg(edition, settings, "en").text
    assert not set(text) & {RLM, LRI, PDI}
