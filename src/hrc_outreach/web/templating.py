"""Rendering a page: the project's Jinja2 environment per language (gettext chrome), the page's
language (the subscriber's, else Accept-Language, else the source language) and its direction.

>>> page_language(None, "fr-BE,fr;q=0.9,en;q=0.5", ["en", "fr"], "en")
'fr'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from hrc_outreach.i18n.catalog import html_lang, text_direction
from hrc_outreach.languages import normalise_language
from hrc_outreach.render.environment import environment
from hrc_outreach.render.view import ARABIC_FONTS, language_name

# Headers a page that carries a token in its URL must have (see security.py for the rest).
NO_STORE = {"Cache-Control": "no-store"}


def accepted_languages(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, best first (``q=0`` dropped, malformed parts
    skipped; at most 20 parts are read).

    >>> accepted_languages("de;q=0.5, fr-BE, *;q=0.1, en;q=0")
    ['fr-BE', 'de', '*']
    """
    out: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or len(tag) > 35:
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if 0 < q <= 1:
            out.append((-q, i, tag))
    return [tag for _, _, tag in sorted(out)]


def page_language(
    subscriber_language: str | None,
    accept_language: str | None,
    languages: Sequence[str],
    source_language: str,
) -> str:
    """The language a public page is shown in: the subscriber's (when configured), else the
    browser's first configured choice, else the source language."""
    if subscriber_language:
        lang = normalise_language(subscriber_language, languages)
        if lang:
            return lang
    for tag in accepted_languages(accept_language):
        if tag == "*":
            continue
        lang = normalise_language(tag, languages)
        if lang:
            return lang
    return source_language


def request_language(request: Request, subscriber_language: str | None = None) -> str:
    """:func:`page_language` for this request and the app's settings."""
    settings = request.app.state.settings
    return page_language(
        subscriber_language,
        request.headers.get("accept-language"),
        settings.i18n.languages,
        settings.i18n.source_language,
    )


def render(
    request: Request,
    template: str,
    lang: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` (under templates/) rendered in ``lang`` as an HTML response.

    Every page gets ``lang``, ``html_lang``, ``dir``, ``settings``, ``newsletter`` and
    ``language_name`` (a language's name in the page's language) besides ``context``.
    """
    settings = request.app.state.settings
    env = environment(lang)
    body = env.get_template(template).render(
        lang=lang,
        html_lang=html_lang(lang),
        dir=text_direction(lang),
        rtl=text_direction(lang) == "rtl",
        arabic_fonts=ARABIC_FONTS,
        settings=settings,
        newsletter=settings.newsletter,
        languages=settings.i18n.languages,
        language_name=lambda code: language_name(code, code),
        **context,
    )
    return HTMLResponse(body, status_code=status_code, headers=headers)
