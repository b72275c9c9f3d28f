"""Render-time sanitising (the store may hold anything) and HTML → plain text for the text part.

Summaries are sanitised when gathered, but the renderer does not trust the store: every piece of
item HTML goes through :func:`clean_html` again (nh3), so a ``<script>``, an ``onerror=`` or a
``javascript:`` link injected straight into the database never reaches a reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from hrc_outreach.sources.sanitize import without_userinfo

ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"https", "http", "mailto"}
_URL_QUOTE = str.maketrans({"{": "%7B", "}": "%7D", "[": "%5B", "]": "%5D"})

_md = MarkdownIt("commonmark", {"html": False, "linkify": False})


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (no ``javascript:``, no relative links)."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return None
    if any(c in url for c in "\"'<>\\ \t\r\n"):
        return None
    return quote_url_syntax(without_userinfo(url))


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


_BLOCKS = {"p", "ul", "ol", "blockquote", "div", "h1", "h2", "h3", "h4"}
_WS = re.compile(r"[ \t\r\n\f\v]+")


class _TextParser(HTMLParser):
    def __init__(self, ref: Callable[[str], int]) -> None:
        super().__init__(convert_charrefs=True)
        self.ref = ref
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.href: list[str | None] = []

    def _flush(self) -> None:
        line = _WS.sub(" ", "".join(self.current)).strip()
        if line:
            self.blocks.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
        elif tag == "li":
            self._flush()
            self.current.append("- ")
        elif tag == "br":
            self._flush()
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.href.append(href if href.lower().startswith("mailto:") else safe_url(href))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS or tag == "li":
            self._flush()
        elif tag == "a" and self.href:
            url = self.href.pop()
            if url:
                self.current.append(f" [{self.ref(url)}]")

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_text(html: str, ref: Callable[[str], int]) -> str:
    """Plain text of (sanitised) HTML: blocks become paragraphs, links become ``text [n]`` where
    ``ref(url)`` numbers the footnote. Only for the small HTML of summaries and intros."""
    parser = _TextParser(ref)
    parser.feed(str(clean_html(html)))
    parser.close()
    return "\n\n".join(parser.blocks)
