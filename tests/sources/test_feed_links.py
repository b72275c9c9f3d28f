"""Relative links in feed items resolve against the feed's own link, xml:base, or the document URL.

Served by a local server (the document URL is real) and read from files (where the document URL
is a file: and only the feed's own link can make a relative link usable).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.models import ContentItem
from hrc_outreach.sources.base import GatherContext
from hrc_outreach.sources.feed import FeedSource
from hrc_outreach.sources.fetch import HttpReader
from tests.sources.rawhttp import RawServer, raw_server, respond

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Partner</title>{channel_link}
<item><guid>1</guid><title>Absolute path</title><link>/2026/ghent</link>
  <description>&lt;a href="report.pdf"&gt;report&lt;/a&gt; &lt;img src="/img/g.png"&gt;</description>
  <enclosure url="photo.jpg" type="image/jpeg" length="1"/></item>
<item><guid>2</guid><title>Relative path</title><link>ghent.html</link></item>
<item><guid>3</guid><title>Protocol-relative</title><link>//cdn.example.org/x</link></item>
<item><guid>4</guid><title>Already absolute</title><link>https://other.example.org/y</link></item>
<item><guid>5</guid><title>Script</title><link>javascript:alert(1)</link></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" {feed_base}>
<title>Atom</title><id>urn:f</id><updated>2026-11-01T00:00:00Z</updated>
<link rel="alternate" href="https://atom.example.org/"/>
<entry><id>urn:1</id><title>Based</title><updated>2026-11-01T00:00:00Z</updated>
  <link rel="alternate" href="post/1"/></entry>
<entry xml:base="/other/"><id>urn:2</id><title>Own base</title>
  <updated>2026-11-01T00:00:00Z</updated><link rel="alternate" href="post/2"/></entry>
</feed>
"""


@pytest.fixture
def srv() -> Iterator[RawServer]:
    with raw_server() as s:
        yield s


def collect(tmp_path: Path, config: SourceConfig) -> dict[str, ContentItem]:
    settings = Settings(config_path=tmp_path / "outreach.toml")

    async def go() -> dict[str, ContentItem]:
        async with httpx.AsyncClient() as client:
            reader = HttpReader(client, settings, source=config.name)
            ctx = GatherContext(settings=settings, reader=reader, now=datetime.now(UTC))
            out = await FeedSource().collect(config, ctx)
        return {i.title: i for i in out.items}

    return asyncio.run(go())


def served(
    tmp_path: Path, srv: RawServer, body: str, path: str = "/feeds/p.xml"
) -> dict[str, ContentItem]:
    srv.routes[path] = respond(200, body.encode(), {"Content-Type": "application/rss+xml"})
    return collect(tmp_path, SourceConfig(name="p", kind="feed", url=srv.url + path))


def test_a_fetched_feed_resolves_against_its_document_url(tmp_path: Path, srv: RawServer) -> None:
    # RFC 3986: without xml:base, the base is where the document was fetched
    link = "<link>https://partner.example.org/news/</link>"
    items = served(tmp_path, srv, RSS.format(channel_link=link))
    assert items["Absolute path"].url == srv.url + "/2026/ghent"
    assert items["Relative path"].url == srv.url + "/feeds/ghent.html"
    assert items["Protocol-relative"].url == "http://cdn.example.org/x"
    assert items["Already absolute"].url == "https://other.example.org/y"
    assert items["Script"].url is None
    first = items["Absolute path"]
    assert f'href="{srv.url}/feeds/report.pdf"' in first.summary
    assert f'src="{srv.url}/img/g.png"' in first.summary
    assert first.image_url == srv.url + "/2026/photo.jpg"  # against the item's link


def test_a_feed_file_resolves_against_its_own_link(tmp_path: Path) -> None:
    link = "<link>https://partner.example.org/news/</link>"
    (tmp_path / "feed.xml").write_text(RSS.format(channel_link=link))
    items = collect(tmp_path, SourceConfig(name="f", kind="feed", path=Path("feed.xml")))
    assert items["Absolute path"].url == "https://partner.example.org/2026/ghent"
    assert items["Relative path"].url == "https://partner.example.org/news/ghent.html"
    assert items["Protocol-relative"].url == "https://cdn.example.org/x"
    assert items["Already absolute"].url == "https://other.example.org/y"
    assert items["Script"].url is None
    first = items["Absolute path"]
    assert 'href="https://partner.example.org/news/report.pdf"' in first.summary
    assert 'src="https://partner.example.org/img/g.png"' in first.summary
    assert first.image_url == "https://partner.example.org/2026/photo.jpg"
    # a relative permalink guid is keyed by the web address, not a path on this machine
    assert items["Relative path"].source_key == "https://partner.example.org/news/2"


def test_a_feed_file_with_a_base_url_option_resolves_against_it(tmp_path: Path) -> None:
    link = "<link>https://partner.example.org/news/</link>"
    (tmp_path / "feed.xml").write_text(RSS.format(channel_link=link))
    config = SourceConfig(
        name="f",
        kind="feed",
        path=Path("feed.xml"),
        base_url="https://mirror.example.org/feeds/p.xml",  # type: ignore[call-arg]
    )
    items = collect(tmp_path, config)
    assert items["Relative path"].url == "https://mirror.example.org/feeds/ghent.html"


def test_a_feed_file_with_nothing_to_resolve_against_keeps_no_file_link(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS.format(channel_link="<link>/relative/</link>"))
    items = collect(tmp_path, SourceConfig(name="f", kind="feed", path=Path("feed.xml")))
    assert items["Relative path"].url is None  # never a file: URL
    assert items["Already absolute"].url == "https://other.example.org/y"


@pytest.mark.parametrize(
    ("feed_base", "first", "second"),
    [
        (
            'xml:base="https://atom.example.org/blog/"',
            "https://atom.example.org/blog/post/1",
            "https://atom.example.org/other/post/2",
        ),
        ("", "{doc}/feeds/post/1", "{doc}/other/post/2"),
        ('xml:base="/blog/"', "{doc}/blog/post/1", "{doc}/other/post/2"),
    ],
)
def test_fetched_atom_links_honour_xml_base(
    tmp_path: Path, srv: RawServer, feed_base: str, first: str, second: str
) -> None:
    items = served(tmp_path, srv, ATOM.format(feed_base=feed_base))
    assert items["Based"].url == first.format(doc=srv.url)
    assert items["Own base"].url == second.format(doc=srv.url)


@pytest.mark.parametrize(
    ("feed_base", "first"),
    [
        ('xml:base="https://atom.example.org/blog/"', "https://atom.example.org/blog/post/1"),
        ("", "https://atom.example.org/post/1"),
        ('xml:base="/blog/"', "https://atom.example.org/blog/post/1"),
    ],
)
def test_atom_files_resolve_against_xml_base_then_their_own_link(
    tmp_path: Path, feed_base: str, first: str
) -> None:
    (tmp_path / "feed.xml").write_text(ATOM.format(feed_base=feed_base))
    items = collect(tmp_path, SourceConfig(name="f", kind="feed", path=Path("feed.xml")))
    assert items["Based"].url == first
    assert items["Own base"].url == "https://atom.example.org/other/post/2"
