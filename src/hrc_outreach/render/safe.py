"""Render-time sanitising (the store may hold anything) and HTML → plain text for the text part.

Summaries are sanitised when gathered, but the renderer does not trust the store: every piece of
item HTML goes through :func:`clean_html` again (nh3), so a ``<script>``, an ``onerror=`` or a
``javascript:`` link injected straight into the database never reaches a reader.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from hrc_outreach import htmltext
from hrc_outreach.urls import WEB_SCHEMES, checked_link, without_userinfo

ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"https", "http", "mailto"}
_URL_QUOTE = str.maketrans({"{": "%7B", "}": "%7D", "[": "%5B", "]": "%5D"})

_md = MarkdownIt("commonmark", {"html": False, "linkify": False})


def outbound_url(url: str | None) -> str | None:
    """``url`` if it may go out in a message: an absolute http(s) URL (no ``javascript:``, no
    relative links, no quotes or spaces), read as gathering reads it (:func:`checked_link`,
    credentials dropped), with template syntax percent-encoded (:func:`quote_url_syntax`); else None.

    >>> outbound_url("https://u:pw@ex.org/{{x}}")
    'https://ex.org/%7B%7Bx%7D%7D'
    """
    if not url:
        return None
    url = url.strip()
    if any(c in url for c in "\"'<>\\ \t\r\n"):
        return None
    checked = checked_link(url, WEB_SCHEMES, need_host=True)
    return quote_url_syntax(checked) if checked else None


safe_url = outbound_url  # the name the renderer has always used


def quote_url_syntax(url: str) -> str:
    """Braces and brackets after the host percent-encoded: the same URL to every server, but one
    that can never carry template syntax or a placeholder's shape into a message.

    >>> quote_url_syntax("https://[::1]/a/{{ params.email }}?u=[[email]]")
    'https://[::1]/a/%7B%7B params.email %7D%7D?u=%5B%5Bemail%5D%5D'
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    at = url.find(netloc) + len(netloc) if netloc else 0
    return url[:at] + url[at:].translate(_URL_QUOTE)


def _quote_href(tag: str, attribute: str, value: str) -> str:
    return quote_url_syntax(without_userinfo(value)) if attribute == "href" else value


def clean_html(html: str) -> Markup:
    """Sanitised HTML, safe to put in a template unescaped."""
    return Markup(
        nh3.clean(
            html or "",
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            attribute_filter=_quote_href,
            link_rel="noopener",
            strip_comments=True,
        ).strip()
    )


def markdown_html(text: str) -> Markup:
    """Staff Markdown (an edition intro) as sanitised HTML; raw HTML in the Markdown is not allowed."""
    return clean_html(_md.render(text or ""))


def html_to_text(html: str, ref: Callable[[str], int]) -> str:
    """Plain text of (sanitised) HTML for the text part (:func:`hrc_outreach.htmltext.html_to_text`):
    blocks become paragraphs, list items ``- ``, links ``text [n]`` where ``ref(url)`` numbers the
    footnote (only links :func:`outbound_url` lets out, and ``mailto:``). Only for the small HTML of
    summaries and intros."""

    def footnote(href: str) -> int | None:
        url = href if href.lower().startswith("mailto:") else outbound_url(href)
        return ref(url) if url else None

    return htmltext.html_to_text(str(clean_html(html)), link_ref=footnote, bullets=True)
