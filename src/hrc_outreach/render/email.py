"""The HTML part: Jinja2 → MJML → HTML with mjml-python (MRML), plus the subject and preheader."""

from __future__ import annotations

import re

import mjml

from hrc_outreach.errors import RenderError
from hrc_outreach.i18n.formatting import format_list
from hrc_outreach.render.environment import environment
from hrc_outreach.render.inert import neutralise_html, neutralise_text
from hrc_outreach.render.view import EditionView

EMAIL_TEMPLATE = "email/edition.mjml.j2"
_BODY = re.compile(r"<body(?=[\s>])")


def render_subject(view: EditionView) -> str:
    """The subject line, with the edition's month in the reader's language."""
    text = environment(view.lang).get_template("email/subject.txt.j2").render(view=view)
    return neutralise_text(" ".join(text.split()), view.nonce)


def render_preheader(view: EditionView) -> str:
    """The preview text shown after the subject: what the edition holds, as a localised list."""
    text = environment(view.lang).get_template("email/preheader.txt.j2").render(view=view)
    parts = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return neutralise_text(format_list(parts, view.lang), view.nonce) if parts else ""


def render_mjml(view: EditionView, preheader: str) -> str:
    """The MJML source of the email (kept apart so the benchmark can feed the same to npm mjml)."""
    return environment(view.lang).get_template(EMAIL_TEMPLATE).render(view=view, preheader=preheader)


def compile_mjml(source: str, *, lang: str, dir: str, where: str = "") -> str:
    """MJML → HTML; also puts ``lang``/``dir`` on ``<body>`` (MRML only sets them on ``<html>``)."""
    try:
        html = mjml.mjml2html(source, fonts={}, disable_comments=True)
    except (ValueError, RuntimeError) as exc:  # MRML reports parse errors as ValueError
        raise RenderError(f"MJML for {where or lang} did not compile: {exc}") from exc
    html = _BODY.sub(f'<body lang="{lang}" dir="{dir}"', html, count=1)
    if dir == "rtl":  # MRML leaves columns left-aligned even with direction rtl (FACTS.md)
        html = html.replace("text-align:left;direction:rtl", "text-align:right;direction:rtl")
    return html


def render_email(view: EditionView, preheader: str) -> str:
    """The email's HTML for one language; outside text inert (after MJML, which decodes
    character references, see :mod:`hrc_outreach.render.inert`)."""
    source = render_mjml(view, preheader)
    html = compile_mjml(source, lang=view.html_lang, dir=view.dir, where=f"{view.key}/{view.lang}")
    return neutralise_html(html, view.nonce)
