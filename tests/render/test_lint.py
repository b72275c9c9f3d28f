"""The lint: each rule fires on a crafted bad message and stays quiet on a good one."""

from __future__ import annotations

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import Edition, LintFinding, Severity
from hrc_outreach.render import caniemail
from hrc_outreach.render.lint import has_errors, lint_message

GOOD_HTML = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><title>The Readers</title>
<style>.card {{ color: #111111; padding: 8px }}</style></head>
<body>
<div style="display:none;max-height:0">A preheader that only inboxes show</div>
<h1>The Human Rights Readers</h1>
<h2>Practices from cities</h2>
<h3><a href="https://example.org/gwangju?id=7&amp;x=1">Gwangju's integrated care programme</a></h3>
<p class="card">Basic standards of care for every resident.</p>
<img src="https://example.org/logo.png" alt="Human Rights Cities Network">
<img src="https://example.org/spacer.gif" alt="" role="presentation">
<img src="https://example.org/pixel.gif" alt="" width="1" height="1">
<h2>Events</h2>
<h3>Webinar on monitoring</h3>
<p><a href="https://example.org/webinar" aria-label="Read more about the monitoring webinar">Read
more</a></p>
<p><a href="[[unsubscribe_url]]">Unsubscribe</a> ·
<a href="mailto:info@example.org">info@example.org</a></p>
</body></html>"""

GOOD_TEXT = """THE HUMAN RIGHTS READERS

PRACTICES FROM CITIES

Gwangju's integrated care programme [1]
Basic standards of care for every resident.

EVENTS

Webinar on monitoring
Read more [2]

Unsubscribe: [[unsubscribe_url]]
info@example.org

[1] https://example.org/gwangju?id=7&x=1
[2] https://example.org/webinar
"""


def good(lang: str = "en") -> str:
    return GOOD_HTML.format(lang=lang.replace("_", "-"), dir="rtl" if lang == "ar" else "ltr")


def rules(findings: list[LintFinding], severity: Severity | None = None) -> set[str]:
    return {f.rule for f in findings if severity is None or f.severity is severity}


def test_good_message_has_no_finding_but_css_support_notes() -> None:
    findings = lint_message(good(), GOOD_TEXT, "en")
    assert rules(findings) <= {"css-support"}, findings
    assert not has_errors(findings)


@pytest.mark.parametrize("lang", ["fr", "pt_PT", "ar", "uk"])
def test_good_message_in_other_languages(lang: str) -> None:
    assert not has_errors(lint_message(good(lang), GOOD_TEXT, lang))


def _one(html: str, text: str = GOOD_TEXT, lang: str = "en") -> dict[str, LintFinding]:
    return {f.rule: f for f in lint_message(html, text, lang)}


def test_html_over_100_kb_is_an_error() -> None:
    big = good().replace("</body>", "<!--" + "x" * 110_000 + "--></body>")
    f = _one(big)["html-size"]
    assert f.severity is Severity.ERROR and "102 KB" in f.message
    assert "html-size" not in _one(good())


def test_image_without_alt_is_an_error() -> None:
    html = good().replace('alt="Human Rights Cities Network"', "")
    f = _one(html)["img-alt"]
    assert f.severity is Severity.ERROR and "logo.png" in f.where


def test_empty_alt_is_a_warning_unless_decorative() -> None:
    html = good().replace('alt="Human Rights Cities Network"', 'alt=""')
    assert _one(html)["img-alt-empty"].severity is Severity.WARNING
    assert "img-alt-empty" not in _one(good())  # role=presentation and a 1x1 pixel are fine


def test_linked_image_with_empty_alt_is_an_error() -> None:
    html = good().replace(
        '<img src="https://example.org/logo.png" alt="Human Rights Cities Network">',
        '<a href="https://example.org/gwangju?id=7&amp;x=1"><img src="https://example.org/l.png" '
        'alt="" role="presentation"></a>',
    )
    assert _one(html)["img-alt"].severity is Severity.ERROR


@pytest.mark.parametrize(
    "href", ["http://example.org/a", "/relative/path", "javascript:alert(1)", "#top", "ftp://x/y"]
)
def test_link_that_is_not_absolute_https_is_an_error(href: str) -> None:
    html = good().replace('href="https://example.org/webinar"', f'href="{href}"')
    text = GOOD_TEXT.replace("https://example.org/webinar", href)
    f = _one(html, text)["link-not-https"]
    assert f.severity is Severity.ERROR and href[:20] in f.message


def test_image_over_http_is_an_error() -> None:
    html = good().replace("https://example.org/logo.png", "http://example.org/logo.png")
    assert _one(html)["image-not-https"].severity is Severity.ERROR


def test_missing_or_wrong_lang_is_an_error() -> None:
    assert _one(good().replace(' lang="en"', ""))["html-lang"].severity is Severity.ERROR
    assert _one(good(), lang="fr")["html-lang-mismatch"].severity is Severity.ERROR
    assert "html-lang-mismatch" not in _one(good("pt_PT"), lang="pt_PT")


def test_arabic_without_rtl_is_an_error() -> None:
    html = good("ar").replace('dir="rtl"', 'dir="ltr"')
    assert _one(html, lang="ar")["html-dir"].severity is Severity.ERROR
    assert "html-dir" not in _one(good("ar"), lang="ar")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Click here"),
        ("en", "Read more »"),
        ("fr", "Lire la suite"),
        ("de", "Mehr erfahren"),
        ("nl", "Lees meer"),
        ("es", "Leer más"),
        ("it", "Scopri di più"),
        ("pt_PT", "Saiba mais"),
        ("pl", "Czytaj więcej"),
        ("hu", "Bővebben"),
        ("uk", "Читати далі"),
        ("ar", "اقرأ المزيد"),
    ],
)
def test_generic_link_text_is_a_warning_in_every_language(lang: str, words: str) -> None:
    html = good(lang).replace(
        "<h3>Webinar on monitoring</h3>",
        f'<h3>Webinar on monitoring</h3><p><a href="https://example.org/webinar">{words}</a></p>',
    )
    f = _one(html, lang=lang)["generic-link-text"]
    assert f.severity is Severity.WARNING and words in f.message
    labelled = html.replace(
        f'<a href="https://example.org/webinar">{words}</a>',
        f'<a href="https://example.org/webinar" title="The monitoring webinar">{words}</a>',
    )
    assert "generic-link-text" not in _one(labelled, lang=lang)


def test_descriptive_link_text_is_fine() -> None:
    html = good().replace(
        "</body>",
        '<a href="https://example.org/webinar">More about the monitoring webinar</a></body>',
    )
    assert "generic-link-text" not in _one(html)


def test_heading_levels_that_skip_are_a_warning() -> None:
    html = good().replace("<h2>Practices from cities</h2>", "<h4>Practices from cities</h4>")
    f = _one(html)["heading-skip"]
    assert f.severity is Severity.WARNING and "h1 to h4" in f.message
    assert "heading-skip" not in _one(good())  # h1 h2 h3 h2 h3: going back up is fine


def test_style_block_over_16_kb_is_an_error() -> None:
    rules_css = "".join(f".c{n} {{ color: #123456 }}\n" for n in range(900))
    html = good().replace("</style>", rules_css + "</style>")
    f = _one(html)["style-size"]
    assert f.severity is Severity.ERROR and "16,384" in f.message


def test_broken_css_is_a_warning() -> None:
    html = good().replace(".card {{", ".card {{").replace("padding: 8px }", "padding: 8px } }")
    assert _one(html)["css-parse-error"].severity is Severity.WARNING


def test_css_unsupported_in_clients_is_a_warning_naming_them() -> None:
    html = good().replace('<p class="card">', '<p class="card" style="display:flex; gap:4px">')
    findings = [f for f in lint_message(html, GOOD_TEXT, "en") if f.rule == "css-support"]
    flex = next(f for f in findings if "display:flex" in f.message)
    assert flex.severity is Severity.WARNING
    assert "Outlook (windows" in flex.message
    expected = caniemail.unsupported_in(caniemail.support("display:flex"))
    assert all(client in flex.message for client in expected)


def test_text_part_missing_a_link_is_an_error() -> None:
    text = GOOD_TEXT.replace("[2] https://example.org/webinar\n", "")
    f = _one(good(), text)["parts-links"]
    assert f.severity is Severity.ERROR and "https://example.org/webinar" in f.message


def test_text_part_with_a_different_title_is_an_error() -> None:
    text = GOOD_TEXT.replace("Gwangju's integrated care programme", "Seoul's housing plan")
    f = _one(good(), text)["parts-titles"]
    assert f.severity is Severity.ERROR and "Gwangju's integrated care programme" in f.message


def test_text_part_saying_something_else_is_an_error() -> None:
    text = "Hello!\n" + "\n".join(
        f"[{n}] {u}"
        for n, u in enumerate(
            [
                "https://example.org/gwangju?id=7&x=1",
                "https://example.org/webinar",
                "[[unsubscribe_url]]",
                "info@example.org",
            ]
        )
    )
    assert _one(good(), text)["parts-text"].severity is Severity.ERROR
    assert _one(good(), "  \n")["parts-text"].severity is Severity.ERROR


def test_wrapped_text_part_still_agrees() -> None:
    text = GOOD_TEXT.replace(
        "Gwangju's integrated care programme", "Gwangju's integrated\ncare programme"
    )
    assert not has_errors(lint_message(good(), text, "en"))


def test_broken_html_does_not_crash() -> None:
    for html in [
        "",
        "<",
        "<html><body><a href=",
        "<table><tr><td><p>x</table></b></i>",
        "<style>@media { .a { </style>",
        "\x00\ufffd<img>",
    ]:
        assert isinstance(lint_message(html, "", "en"), list)


@pytest.mark.parametrize("lang", ["en", "fr", "ar", "uk"])
def test_rendered_sample_edition_has_no_lint_error(
    edition: Edition, settings: Settings, lang: str
) -> None:
    render = pytest.importorskip("hrc_outreach.render.draft")
    msg, _ = render.render_message(localize_edition(edition, lang), settings)
    errors = [f for f in lint_message(msg.html, msg.text, lang) if f.severity is Severity.ERROR]
    assert errors == []
