"""The one HTML → plain text conversion, below every stage that needs one.

Gathering reads titles, alt texts and descriptions with it (``sources.sanitize.html_to_text``),
language detection strips markup with it, and the email's text part is written with it
(``render.safe.html_to_text``: link footnotes and list bullets on top). One parser decides what a
block is, what is skipped and how entities read, so the stages cannot disagree about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

BLOCKS = frozenset(
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
_SKIPPED = frozenset({"script", "style"})
_WS = re.compile(r"[ \t\r\n\f\v]+")
_LOOSE_WS = re.compile(r"[ \t\r\f\v]+")


class _Blocks(HTMLParser):
    """The raw text of each block of an HTML fragment, in order."""

    def __init__(self, link_ref: Callable[[str], int | None] | None, bullets: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.link_ref = link_ref
        self.bullets = bullets
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.href: list[str | None] = []
        self._skip = 0

    def _flush(self) -> None:
        self.blocks.append("".join(self.current))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag in BLOCKS:
            self._flush()
            if tag == "li" and self.bullets:
                self.current.append("- ")
        elif tag == "a" and self.link_ref is not None:
            self.href.append((dict(attrs).get("href") or "").strip() or None)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCKS:
            self._flush()
        elif tag == "a" and self.link_ref is not None and self.href:
            url = self.href.pop()
            n = self.link_ref(url) if url else None
            if n is not None:
                self.current.append(f" [{n}]")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_text(
    html: str | None,
    *,
    link_ref: Callable[[str], int | None] | None = None,
    bullets: bool = False,
    loose: bool = False,
) -> str:
    """Plain text of an HTML fragment: blocks become paragraphs, whitespace is collapsed.

    ``link_ref(href)`` numbers a link's footnote, written ``text [n]`` (None: the link is not
    shown; the caller decides which hrefs may be); ``bullets``
    starts list items with ``- ``. ``loose`` is how gathering has always read text: every line
    break is a paragraph and a no-break space a space (stored titles and alt texts, and so
    item hashes, depend on it).

    >>> html_to_text("<p>Hello <b>world</b></p><ul><li>one</li></ul>", bullets=True)
    'Hello world\\n\\n- one'
    >>> html_to_text("<p>a&nbsp;b\\nc</p>", loose=True)
    'a b\\n\\nc'
    """
    if not html:
        return ""
    parser = _Blocks(link_ref, bullets)
    try:
        parser.feed(html)
        parser.close()
        blocks = parser.blocks
    except Exception:  # the parser is lenient, but outside text must never stop a run
        blocks = [re.sub(r"<[^>]*>", " ", html)]
    if loose:
        lines = [line for b in blocks for line in b.replace("\xa0", " ").split("\n")]
        paragraphs = [_LOOSE_WS.sub(" ", line).strip() for line in lines]
    else:
        paragraphs = [_WS.sub(" ", b).strip() for b in blocks]
    return "\n\n".join(p for p in paragraphs if p)
