"""FeedSource through the real reader over files: RSS, Atom, identity, images, language, bozo."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ItemKind
from hrc_outreach.sources.base import GatherContext, SourceOutput
from hrc_outreach.sources.feed import FeedSource, normalize_language
from hrc_outreach.sources.fetch import HttpReader
from hrc_outreach.sources.sanitize import html_to_text, sanitize_html, short_title

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>HRC news</title><link>https://news.example.org/</link><language>fr-BE</language>
  <item>
    <title>Gand ouvre un bureau</title>
    <link>https://news.example.org/gand</link>
    <guid isPermaLink="false">post-1</guid>
    <category>inclusion</category><category>Local</category>
    <description>&lt;p&gt;Un &lt;a href="/rapport"&gt;rapport&lt;/a&gt;.&lt;/p&gt;</description>
    <pubDate>Tue, 03 Nov 2026 10:00:00 +0100</pubDate>
    <enclosure url="https://news.example.org/gand.jpg" type="image/jpeg" length="1"/>
  </item>
  <item>
    <title>No guid here</title>
    <link>https://news.example.org/no-guid</link>
    <media:thumbnail url="/thumb.png"/>
  </item>
  <item>
    <title>Neither guid nor link</title>
    <pubDate>Wed, 04 Nov 2026 08:00:00 GMT</pubDate>
  </item>
  <item></item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl">
  <title>Atom</title><id>urn:feed</id><updated>2026-11-01T00:00:00Z</updated>
  <entry>
    <title type="html">Utrecht &amp;amp; &lt;em&gt;rechten&lt;/em&gt;</title>
    <id>urn:entry:1</id>
    <link rel="alternate" href="https://atom.example.org/1"/>
    <updated>2026-11-02T12:00:00+02:00</updated>
    <published>2026-11-01T12:00:00+02:00</published>
    <content type="html">&lt;p&gt;Tekst&lt;/p&gt;</content>
  </entry>
  <entry xml:lang="en">
    <title>English one</title><id>urn:entry:2</id><updated>2026-11-02T00:00:00Z</updated>
  </entry>
</feed>
"""

EVIL = """<rss version="2.0"><channel><title>x</title><link>https://evil.example.org/</link>
<item><title>Click &lt;script&gt;alert(1)&lt;/script&gt;me</title>
<link>javascript:alert(1)</link><guid>evil-1</guid>
<description><![CDATA[<p onclick="steal()">Hi<script>alert(1)</script>
<img src="x.png" onerror="alert(1)"><a href="javascript:alert(2)">j</a>
<a href=" jav&#x09;ascript:alert(3)">k</a><img src="data:image/png;base64,AAAA">
<span style="background:url(https://t.example/x)">s</span><style>p{}</style>
<link rel="stylesheet" href="https://t.example/c.css"></p>]]></description></item>
</channel></rss>"""


def collect(
    tmp_path: Path, text: str | bytes, *, language: str | None = None, tags: tuple[str, ...] = ()
) -> SourceOutput:
    path = tmp_path / "feed.xml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    settings = Settings(config_path=tmp_path / "outreach.toml")
    config = SourceConfig(
        name="news",
        kind="feed",
        path=Path("feed.xml"),
        language=language,
        tags=tags,
        base_url="https://news.example.org/",
    )

    async def go() -> SourceOutput:
        async with httpx.AsyncClient() as client:
            ctx = GatherContext(
                settings=settings, reader=HttpReader(client, settings), now=datetime.now(UTC)
            )
            return await FeedSource().collect(config, ctx)

    return asyncio.run(go())


def test_rss_items_identity_tags_image_language_and_times(tmp_path: Path) -> None:
    out = collect(tmp_path, RSS, tags=("newsletter",))
    assert [i.title for i in out.items] == [
        "Gand ouvre un bureau",
        "No guid here",
        "Neither guid nor link",
    ]
    first, second, third = out.items
    assert first.source_key == "post-1" and second.source_key == "https://news.example.org/no-guid"
    assert third.source_key.startswith("sha256:")
    assert first.kind is ItemKind.NEWS and first.language == "fr"
    assert first.tags == ("inclusion", "Local", "newsletter")
    assert first.published_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert first.image_url == "https://news.example.org/gand.jpg"
    assert first.image_alt == "Gand ouvre un bureau"  # no alt given: the title
    assert 'href="https://news.example.org/rapport"' in first.summary
    assert second.image_url == "https://news.example.org/thumb.png"
    assert out.warnings == ("entry 4 skipped: no title, link or text",)


def test_identity_is_stable_across_reads(tmp_path: Path) -> None:
    a = collect(tmp_path, RSS)
    b = collect(tmp_path, RSS)
    assert [i.id for i in a.items] == [i.id for i in b.items]
    assert len({i.id for i in a.items}) == 3


def test_atom_language_from_xml_lang_and_html_title(tmp_path: Path) -> None:
    out = collect(tmp_path, ATOM)
    first, second = out.items
    assert first.title == "Utrecht & rechten" and first.source_key == "urn:entry:1"
    assert first.language == "nl" and second.language == "en"
    assert first.published_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert first.published_at.tzinfo is not None
    assert "<p>Tekst</p>" in first.summary


def test_language_falls_back_to_config_then_unknown(tmp_path: Path) -> None:
    plain = (
        "<rss version='2.0'><channel><title>t</title><item><title>a</title></item></channel></rss>"
    )
    assert collect(tmp_path, plain, language="es").items[0].language == "es"
    assert collect(tmp_path, plain).items[0].language == "unknown"


def test_scripts_handlers_and_javascript_links_never_survive(tmp_path: Path) -> None:
    item = collect(tmp_path, EVIL).items[0]
    stored = (item.title + item.summary + item.body).lower()
    for bad in (
        "<script",
        "alert(1)",
        "alert(2)",
        "onclick",
        "onerror",
        '="javascript:',
        "data:",
        "style",
        "<link",
        "t.example",
    ):
        assert bad not in stored, bad
    # every URL left is http(s): "jav&#x09;ascript:" became a harmless path on the feed's site
    urls = re.findall(r'(?:href|src)="([^"]*)"', item.summary)
    assert urls and all(u.startswith("https://news.example.org/") for u in urls), urls
    assert item.url is None
    assert "<script" not in item.title and "Click" in item.title


def test_ill_formed_feed_keeps_what_it_can_with_a_warning(tmp_path: Path) -> None:
    broken = RSS.replace("</channel>", "").replace(
        "<title>No guid here</title>", "<title>No guid & here</title>"
    )
    out = collect(tmp_path, broken)
    assert len(out.items) >= 1 and out.items[0].title == "Gand ouvre un bureau"
    assert any("not well-formed" in w for w in out.warnings)


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00\x01\x02 not xml", b"<html><body>hi</body></html>", b'{"json": true']
)
def test_nothing_parseable_is_a_source_error(tmp_path: Path, garbage: bytes) -> None:
    with pytest.raises(SourceError, match="'news'.*(not a readable RSS or Atom feed|HTML page)"):
        collect(tmp_path, garbage)


def test_normalize_language() -> None:
    langs = ["en", "fr", "pt_PT", "ar"]
    assert normalize_language("EN-gb", langs) == "en"
    assert normalize_language("pt-PT", langs) == "pt_PT"
    assert normalize_language("pt-BR", langs) == "pt_PT"
    assert normalize_language("de", langs) == "de"
    assert normalize_language("", langs) is None
    assert normalize_language("x-klingon-1", langs) is None


def test_sanitize_helpers() -> None:
    html = '<p>See <a href="a/b">this</a> <img src="/i.png" alt="x"></p><script>x()</script>'
    out = sanitize_html(html, "https://ex.org/dir/page")
    assert out == (
        '<p>See <a href="https://ex.org/dir/a/b" rel="noopener noreferrer">this</a> '
        '<img src="https://ex.org/i.png" alt="x"></p>'
    )
    # a file base makes no usable link: dropped, never a file:// URL
    assert "file:" not in sanitize_html('<a href="x.html">x</a>', "file:///tmp/feed.xml")
    assert html_to_text("<p>A&amp;B</p><ul><li>one</li><li>two</li></ul>") == "A&B\n\none\n\ntwo"
    words = " ".join(f"w{n}" for n in range(30))
    assert short_title(words, 5) == "w0 w1 w2 w3 w4…"


def test_a_huge_guid_is_hashed_into_a_storable_key(tmp_path: Path) -> None:
    guid = "urn:" + "x" * 5000
    feed = f"<rss version='2.0'><channel><title>t</title><item><guid>{guid}</guid><title>a</title></item></channel></rss>"
    item = collect(tmp_path, feed).items[0]
    assert item.source_key.startswith("sha256:") and len(item.source_key) < 100
    assert item.source_key == collect(tmp_path, feed).items[0].source_key
