"""The HTML part: structure, accessibility, right-to-left, sanitising at render time."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.errors import RenderError
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Edition, ItemKind, Severity, placeholder
from hrc_outreach.render.draft import render_message
from hrc_outreach.render.email import compile_mjml, render_email, render_subject
from hrc_outreach.render.htmldoc import Node, parse_html
from hrc_outreach.render.view import build_view


def _html(edition: Edition, settings: Settings, lang: str = "en") -> str:
    loc = localize_all(edition, [lang], settings=settings)[lang]
    msg, _ = render_message(loc, settings)
    return msg.html


def test_headings_do_not_skip_levels(edition: Edition, settings: Settings) -> None:
    doc = parse_html(_html(edition, settings))
    levels = [int(n.tag[1]) for n in doc.iter() if re.fullmatch(r"h[1-6]", n.tag or "")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    # "in this issue", the lead story (the only project update: its section goes), the three
    # other sections; every other item an h3
    assert levels.count(2) == 1 + 1 + 3 and levels.count(3) == len(edition.items) - 1


def test_every_image_has_alt_and_links_are_https_or_placeholders(
    edition: Edition, settings: Settings
) -> None:
    loc = localize_all(edition, ["en"], settings=settings)["en"]
    msg, _ = render_message(loc, settings)
    doc = parse_html(msg.html)
    imgs = doc.find_all("img")
    assert imgs and all("alt" in i.attrs for i in imgs)
    assert any(i.attrs["alt"] == "A street festival in Singkawang" for i in imgs)
    hrefs = [a.attrs.get("href", "") for a in doc.find_all("a")]
    assert msg.nonce and placeholder("unsubscribe_url", msg.nonce) in hrefs
    assert placeholder("preferences_url", msg.nonce) in hrefs
    assert all(h.startswith("https://") or h.startswith("[[") for h in hrefs), hrefs


def test_no_webfonts_no_mj_preview_white_text(edition: Edition, settings: Settings) -> None:
    html = _html(edition, settings)
    assert "fonts.googleapis" not in html and "@import" not in html and "<link" not in html
    assert "color:#ffffff;line-height:1px" not in html  # mj-preview's hidden white text
    assert "2 good practices from human rights cities" in html  # our own preheader


def test_lint_has_no_errors(edition: Edition, settings: Settings) -> None:
    for lang in ("en", "fr", "ar"):
        loc = localize_all(edition, [lang], settings=settings)[lang]
        msg, _ = render_message(loc, settings)
        errors = [f for f in msg.lint if f.severity is Severity.ERROR]
        assert not errors, (lang, errors)


def test_subject_has_the_localised_month(edition: Edition, settings: Settings) -> None:
    for lang, month in (("en", "December 2026"), ("fr", "décembre 2026"), ("pl", "grudzień 2026")):
        view = build_view(localize_all(edition, [lang], settings=settings)[lang], settings)
        assert month in render_subject(view)


def test_event_time_in_its_zone_with_the_zone_named(edition: Edition, settings: Settings) -> None:
    html = _html(edition, settings)
    assert "14:00–15:30 CET" in html  # 13:00 UTC in Brussels


def test_french_item_translated_and_english_ones_marked(edition: Edition, settings: Settings) -> None:
    doc = parse_html(_html(edition, settings, "fr"))
    assert doc.find("html").attrs["lang"] == "fr"  # type: ignore[union-attr]
    text = doc.text()
    assert "Le programme de soins intégrés de Gwangju" in text
    assert "Corée du Sud" in text  # country name from Babel
    marked = [n for n in doc.iter() if n.attrs.get("lang") == "en"]
    titles = {" ".join(n.text().split()) for n in marked}
    assert any("Singkawang, a city of tolerance" in t for t in titles)
    assert not any("Gwangju" in t for t in titles)


def test_arabic_is_rtl_on_html_and_body_and_right_aligned(
    edition: Edition, settings: Settings
) -> None:
    html = _html(edition, settings, "ar")
    doc = parse_html(html)
    for tag in ("html", "body"):
        node = doc.find(tag)
        assert node is not None and node.attrs["lang"] == "ar" and node.attrs["dir"] == "rtl"
    assert "direction:ltr" not in html
    # Every text block is right-aligned except the embedded English items, which keep ltr.
    lefts = [n for n in doc.iter() if "text-align:left" in n.attrs.get("style", "")]
    assert lefts and all(n.attrs.get("dir") == "ltr" and n.attrs.get("lang") == "en" for n in lefts)
    assert "text-align:right" in html
    assert "letter-spacing" not in html
    assert "Tahoma" in html  # an Arabic-capable system font first
    # the event row is mirrored: its date badge on the right, the text padded on its right side
    assert "padding-right:14px" in html and "padding-left:14px" not in html
    assert "padding-left:14px" in _html(edition, settings, "en")


def _hostile_edition(edition: Edition) -> Edition:
    section = edition.sections[0]
    evil = section.items[0].model_copy(update={
        "summary": '<p>Hi<script>alert(1)</script><img src=x onerror="alert(2)">'
                   '<a href="javascript:alert(3)">click</a></p>',
        "url": "javascript:alert(4)",
        "image_url": "javascript:alert(5)",
    })
    return edition.model_copy(update={"sections": (section.model_copy(
        update={"items": (evil,) + section.items[1:]}),) + edition.sections[1:]})


def test_hostile_summary_is_sanitised_at_render_time(edition: Edition, settings: Settings) -> None:
    html = _html(_hostile_edition(edition), settings).lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "alert(" not in html


def test_bad_mjml_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="did not compile"):
        compile_mjml("<mjml><mj-body><mj-section>", lang="en", dir="ltr")


def test_view_is_the_single_source(edition: Edition, settings: Settings) -> None:
    view = build_view(localize_all(edition, ["en"], settings=settings)["en"], settings)
    emptied = replace(view, sections=())
    html = render_email(emptied, "")
    doc: Node = parse_html(html)
    assert not doc.find_all("h3")
    assert edition.items[0].kind is ItemKind.PRACTICE


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colour_pairs_have_enough_contrast(edition: Edition, settings: Settings) -> None:
    html = _html(edition, settings)
    brand = settings.newsletter.brand_color
    accent = settings.newsletter.accent_color
    pairs = [(brand, "#ffffff"), ("#1f2933", "#ffffff"), ("#52606d", "#ffffff"),
             ("#1f2933", "#eef1f5"), ("#3e4c59", "#eef1f5"), ("#ffffff", brand),
             ("#3e4c59", "#f3f6fa"), ("#1f2933", "#f3f6fa"), (brand, "#eaf1f8"), (accent, "#ffffff")]
    for fg, bg in pairs:
        assert fg.lower() in html.lower() and bg.lower() in html.lower()
        assert _contrast(fg, bg) >= 4.5, (fg, bg, _contrast(fg, bg))


def test_foreign_event_title_keeps_its_direction_and_the_button_is_short(
    edition: Edition, settings: Settings
) -> None:
    doc = parse_html(_html(edition, settings, "ar"))
    title = "Webinar: monitoring human rights in social services"
    wrappers = [n for n in doc.find_all("div") if n.attrs.get("lang") == "en"
                and " ".join(n.text().split()) == title]
    assert wrappers and all(n.attrs.get("dir") == "ltr" for n in wrappers)
    register = "https://humanrightscities.net/events/monitoring-webinar/register"
    buttons = [a for a in doc.find_all("a") if a.attrs.get("href") == register]
    assert len(buttons) == 1  # one registration link per event: the button
    assert buttons[0].text().strip() == "التسجيل" and title in buttons[0].attrs["aria-label"]
