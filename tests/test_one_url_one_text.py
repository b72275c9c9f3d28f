"""One reading of a link under both URL checks, one HTML → text conversion (issue 11).

The input check (gathering) and the output check (rendering) share ``hrc_outreach.urls``; the
output check only adds rules, so anything it lets out the input check would have kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from hrc_outreach.render import safe
from hrc_outreach.sources import sanitize
from hrc_outreach.urls import WEB_SCHEMES, checked_link, without_userinfo

LINKS = [
    "https://u:pw@partner.example/p",
    "https://trusted.example@evil.example:8443/x?q=1#f",
    "http://[::1/broken",
    "https://[::1]:8080/a",
    "HTTPS://Example.org/A",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<b>x</b>",
    "mailto:a@example.org",
    "tel:+3212345",
    "/relative/path",
    "//cdn.example/x",
    "http:no-host",
    "https://ex.org/{{ params.email }}?u=[[email]]",
    "https://ex.org/a b",
    'https://ex.org/"onmouseover=x',
    "  https://ex.org/padded  ",
    "",
]


@pytest.mark.parametrize("url", LINKS)
def test_the_output_check_is_the_input_check_and_more(url: str) -> None:
    out = safe.outbound_url(url)
    if out is not None:
        kept = sanitize.inbound_url(url)
        assert kept is not None, f"{url!r} let out but not kept when gathered"
        assert safe.quote_url_syntax(kept) == out
        assert out.split(":", 1)[0].lower() in WEB_SCHEMES
        assert "@" not in out.split("/")[2], out


def test_an_unparseable_link_is_refused_not_raised() -> None:
    """The output check used to raise ValueError on a broken IPv6 host; now both refuse it."""
    assert safe.outbound_url("http://[::1/broken") is None
    assert sanitize.inbound_url("http://[::1/broken") is None
    assert checked_link("http://[::1/broken", WEB_SCHEMES) is None


def test_each_check_keeps_its_own_rules() -> None:
    assert sanitize.inbound_url("/p", "https://ex.org/x") == "https://ex.org/p"
    assert safe.outbound_url("/p") is None
    assert sanitize.inbound_url("mailto:a@ex.org") == "mailto:a@ex.org"
    assert safe.outbound_url("mailto:a@ex.org") is None
    assert sanitize.inbound_url("http:no-host") == "http:no-host"
    assert safe.outbound_url("http:no-host") is None
    assert safe.outbound_url("https://ex.org/{x}") == "https://ex.org/%7Bx%7D"
    assert sanitize.safe_url is sanitize.inbound_url and safe.safe_url is safe.outbound_url


HTML = [
    "<p>Hello&nbsp;<b>world</b></p><p>Two</p>",
    "<p>line one\nwraps here</p>",
    "<ul><li>one</li><li>two <a href='https://ex.org/x'>x</a></li></ul>",
    "<p>a<br>b<br/>c</p><script>bad()</script><style>p{}</style>",
    "<table><tr><td>cell</td></tr></table><h5>head</h5><section>sec</section>",
    "<p>unclosed <b>bold",
    "plain &amp; simple &lt;tag&gt;",
    "<p>  \u2003 </p>\n\n<p>after blank</p>",
    "<p>x &nbsp; y\r\n\x0c\n z</p><blockquote>q<p>in</p></blockquote>",
    '<p><a href="mailto:a@b.org">m</a> <a href="/rel">r</a> <a>none</a> <a href="https://[::1]/">v6</a></p>',
    "<h1>T</h1><div>d<div>dd</div></div><hr><dl><dt>t</dt><dd>d</dd></dl><pre>p\n q</pre>",
    "",
]


@pytest.mark.parametrize("html", HTML + [f"<div>{h}</div>\n<ol><li>{h}</li></ol>" for h in HTML])
def test_both_readings_are_what_they_were_before_the_merge(html: str) -> None:
    """Differential: the shared parser gives exactly what the two parsers it replaced gave
    (copied below as they were at the merge), for gathering and for the text part."""
    assert sanitize.html_to_text(html) == old_gathered_text(html)
    new_refs: list[str] = []
    old_refs: list[str] = []
    new = safe.html_to_text(html, lambda u: new_refs.append(u) or len(new_refs))
    old = old_rendered_text(html, lambda u: old_refs.append(u) or len(old_refs))
    assert (new, new_refs) == (old, old_refs)


# --- the two readings as they were before the merge (reference only) -----------------------


def _old_render_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return None
    if any(c in url for c in "\"'<>\\ \t\r\n"):
        return None
    return safe.quote_url_syntax(without_userinfo(url))


_OLD_RENDER_BLOCKS = {"p", "ul", "ol", "blockquote", "div", "h1", "h2", "h3", "h4"}
_OLD_WS = re.compile(r"[ \t\r\n\f\v]+")


class _OldRenderParser(HTMLParser):
    def __init__(self, ref: Callable[[str], int]) -> None:
        super().__init__(convert_charrefs=True)
        self.ref = ref
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.href: list[str | None] = []

    def _flush(self) -> None:
        line = _OLD_WS.sub(" ", "".join(self.current)).strip()
        if line:
            self.blocks.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _OLD_RENDER_BLOCKS:
            self._flush()
        elif tag == "li":
            self._flush()
            self.current.append("- ")
        elif tag == "br":
            self._flush()
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.href.append(href if href.lower().startswith("mailto:") else _old_render_url(href))

    def handle_endtag(self, tag: str) -> None:
        if tag in _OLD_RENDER_BLOCKS or tag == "li":
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


def old_rendered_text(html: str, ref: Callable[[str], int]) -> str:
    """Plain text of (sanitised) HTML: blocks become paragraphs, links become ``text [n]`` where
    ``ref(url)`` numbers the footnote. Only for the small HTML of summaries and intros."""
    parser = _OldRenderParser(ref)
    parser.feed(str(safe.clean_html(html)))
    parser.close()
    return "\n\n".join(parser.blocks)


# Frozen as it was at the merge, on purpose not imported from hrc_outreach.htmltext.BLOCKS: the
# differential must fail if the shared parser's block list ever changes.
_OLD_SOURCE_BLOCKS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table blockquote pre section article header footer hr"
    " dd dt figure".split()
)


class _OldSourceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _OLD_SOURCE_BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _OLD_SOURCE_BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def old_gathered_text(html: str | None) -> str:
    """Plain text of an HTML fragment: blocks become paragraphs, whitespace is collapsed.

    >>> html_to_text("<p>Hello&nbsp;<b>world</b></p><p>Two</p>")
    'Hello world\\n\\nTwo'
    """
    if not html:
        return ""
    parser = _OldSourceParser()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:
        text = re.sub(r"<[^>]*>", " ", html)
    text = text.replace("\xa0", " ")
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def test_text_part_links_and_bullets() -> None:
    refs: list[str] = []

    def ref(url: str) -> int:
        refs.append(url)
        return len(refs)

    text = safe.html_to_text(
        '<ul><li><a href="https://u:p@ex.org/a">A</a></li><li><a href="javascript:x()">B</a>'
        '</li><li><a href=" mailto:m@ex.org ">M</a></li></ul>',
        ref,
    )
    assert text == "- A [1]\n\n- B\n\n- M [2]"
    assert refs == ["https://ex.org/a", "mailto:m@ex.org"]


def test_gathered_text_keeps_its_loose_reading() -> None:
    assert sanitize.html_to_text("<p>a&nbsp;b\nc</p>") == "a b\n\nc"
    assert sanitize.html_to_text("<p>A&amp;B</p><ul><li>one</li><li>two</li></ul>") == (
        "A&B\n\none\n\ntwo"
    )
