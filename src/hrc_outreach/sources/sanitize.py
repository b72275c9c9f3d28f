"""HTML from sources made safe to store and to put in an email (nh3), and HTML made plain text.

No script or style, no event handlers, no ``javascript:``/``data:`` URLs, no remote CSS; relative
links made absolute against the source's URL; links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

from hrc_outreach import htmltext
from hrc_outreach.urls import checked_link

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# nh3's defaults minus what an email must not carry (no <link>, <style>, style="" are in them
# anyway); script/style are removed with their content, not just unwrapped.
_TAGS = set(nh3.ALLOWED_TAGS) - {"map", "area"}
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed"}


def inbound_url(url: str | None, base_url: str = "") -> str | None:
    """A gathered link cleaned for the store: made absolute against ``base_url``, without
    credentials (see :func:`hrc_outreach.urls.without_userinfo`); None unless it is http(s),
    mailto or tel. The renderer checks again, more strictly (``render.safe.outbound_url``).

    >>> inbound_url("../a.html", "https://example.org/x/y.html")
    'https://example.org/a.html'
    >>> inbound_url("javascript:alert(1)") is None
    True
    """
    if not url:
        return None
    # Browsers ignore control characters and whitespace inside schemes ("java\tscript:").
    return checked_link(re.sub(r"[\x00-\x20]", "", url), SAFE_SCHEMES, base_url=base_url)


safe_url = inbound_url  # the name the source modules have always used


def sanitize_html(html: str | None, base_url: str = "") -> str:
    """Sanitised HTML, safe to store and to send.

    >>> sanitize_html('<a href="/p" onclick="x()">p</a><script>x()</script>', "https://ex.org/")
    '<a href="https://ex.org/p" rel="noopener noreferrer">p</a>'
    """
    if not html:
        return ""

    def _filter(element: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return inbound_url(value, base_url)
        return value

    try:
        cleaned = nh3.clean(
            html,
            tags=_TAGS,
            clean_content_tags=_DROP_WITH_CONTENT,
            url_schemes=set(SAFE_SCHEMES),
            attribute_filter=_filter,
            strip_comments=True,
            link_rel="noopener noreferrer",
        )
    except Exception:  # nh3 is robust, but a source must never crash gathering
        cleaned = html_lib.escape(html_to_text(html))
    return cleaned.strip()


def html_to_text(html: str | None) -> str:
    """Plain text of a gathered HTML fragment (:func:`hrc_outreach.htmltext.html_to_text`, read
    loosely as gathering always has: every line a paragraph, no-break spaces as spaces).

    >>> html_to_text("<p>Hello&nbsp;<b>world</b></p><p>Two</p>")
    'Hello world\\n\\nTwo'
    """
    return htmltext.html_to_text(html, loose=True)


def short_title(text: str, max_words: int = 12) -> str:
    """A readable title from text: its first sentence, cut to ``max_words`` words with an ellipsis.

    >>> short_title("Gwangju opened a human rights office. It works well.")
    'Gwangju opened a human rights office'
    """
    text = " ".join(text.split())
    if not text:
        return ""
    sentence = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0].rstrip(".!? ")
    words = sentence.split()
    if len(words) <= max_words:
        return sentence
    return " ".join(words[:max_words]).rstrip(",;:") + "…"
