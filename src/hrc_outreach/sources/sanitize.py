"""HTML from sources made safe to store and to put in an email (nh3), and HTML made plain text.

No script or style, no event handlers, no ``javascript:``/``data:`` URLs, no remote CSS; relative
links made absolute against the source's URL; links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import nh3

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# nh3's defaults minus what an email must not carry (no <link>, <style>, style="" are in them
# anyway); script/style are removed with their content, not just unwrapped.
_TAGS = set(nh3.ALLOWED_TAGS) - {"map", "area"}
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed"}


def without_userinfo(url: str) -> str:
    """``url`` without the ``user:password@`` before its host.

    A source URL may carry a partner's credentials: links resolved against it must not publish
    them, and ``https://trusted.example@evil.example/`` must show the host it really goes to.

    >>> without_userinfo("https://reader:s3cret@partner.example/p?a=b@c")
    'https://partner.example/p?a=b@c'
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return url
    if "@" not in netloc:
        return url
    at = url.find(netloc)
    return url[:at] + netloc.rpartition("@")[2] + url[at + len(netloc) :]


def safe_url(url: str | None, base_url: str = "") -> str | None:
    """``url`` made absolute against ``base_url``, without credentials (see
    :func:`without_userinfo`); None unless it is http(s), mailto or tel.

    >>> safe_url("../a.html", "https://example.org/x/y.html")
    'https://example.org/a.html'
    >>> safe_url("javascript:alert(1)") is None
    True
    """
    if not url:
        return None
    url = url.strip()
    # Browsers ignore control characters and whitespace inside schemes ("java\tscript:").
    compact = re.sub(r"[\x00-\x20]", "", url)
    try:
        joined = urljoin(base_url, compact) if base_url else compact
        scheme = urlsplit(joined).scheme.lower()
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    if scheme not in SAFE_SCHEMES:
        return None
    return without_userinfo(joined) if scheme in ("http", "https") else joined


def sanitize_html(html: str | None, base_url: str = "") -> str:
    """Sanitised HTML, safe to store and to send.

    >>> sanitize_html('<a href="/p" onclick="x()">p</a><script>x()</script>', "https://ex.org/")
    '<a href="https://ex.org/p" rel="noopener noreferrer">p</a>'
    """
    if not html:
        return ""

    def _filter(element: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return safe_url(value, base_url)
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


_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "dd",
        "dt",
        "figure",
    }
)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: blocks become paragraphs, whitespace is collapsed.

    >>> html_to_text("<p>Hello&nbsp;<b>world</b></p><p>Two</p>")
    'Hello world\\n\\nTwo'
    """
    if not html:
        return ""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:
        text = re.sub(r"<[^>]*>", " ", html)
    text = text.replace("\xa0", " ")
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


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
