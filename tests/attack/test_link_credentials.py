"""Links never carry credentials: a source URL's user:password is not lent to the links resolved
against it, and a gathered ``https://trusted@evil/`` shows the host it really goes to.

A partner may give a feed URL with basic-auth credentials in it; relative links in its items
resolved against that URL would otherwise publish the password to every reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.render.safe import clean_html
from hrc_outreach.render.safe import safe_url as render_url
from hrc_outreach.sources.base import GatherContext
from hrc_outreach.sources.feed import FeedSource
from hrc_outreach.sources.fetch import HttpReader
from hrc_outreach.sources.ical import ICalSource
from hrc_outreach.sources.sanitize import safe_url, sanitize_html
from tests.sources.rawhttp import RawServer, raw_server, respond

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Partner</title>
<item><guid>1</guid><title>Relative</title><link>/2026/ghent</link>
  <description>&lt;a href="report.pdf"&gt;r&lt;/a&gt; &lt;img src="/img/g.png"&gt;
  &lt;a href="https://trusted.example.org@evil.example/x"&gt;t&lt;/a&gt;</description>
  <enclosure url="photo.jpg" type="image/jpeg" length="1"/></item>
<item><guid>2</guid><title>Deceptive</title><link>https://bank.example:pw@evil.example/y</link></item>
</channel></rss>
"""

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//attack//EN\r
BEGIN:VEVENT\r
UID:e1@partner\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261210T100000Z\r
SUMMARY:Forum\r
URL:/events/forum\r
DESCRIPTION:see <a href="agenda.html">agenda</a>\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def srv() -> Iterator[RawServer]:
    with raw_server() as s:
        yield s


def _collect(tmp_path: Path, source: object, config: SourceConfig) -> list[str]:
    settings = Settings(config_path=tmp_path / "outreach.toml")

    async def go() -> list[str]:
        async with httpx.AsyncClient() as client:
            reader = HttpReader(client, settings, source=config.name)
            ctx = GatherContext(
                settings=settings, reader=reader, now=datetime(2026, 11, 22, tzinfo=UTC)
            )
            out = await source.collect(config, ctx)  # type: ignore[attr-defined]
        return [i.model_dump_json() for i in out.items]

    return asyncio.run(go())


def test_a_feed_url_with_credentials_lends_them_to_no_link(tmp_path: Path, srv: RawServer) -> None:
    srv.routes["/feeds/p.xml"] = respond(200, RSS.encode(), {"Content-Type": "application/rss+xml"})
    url = srv.url.replace("http://", "http://reader:s3cret@") + "/feeds/p.xml"
    items = _collect(tmp_path, FeedSource(), SourceConfig(name="p", kind="feed", url=url))
    assert len(items) == 2
    assert srv.headers[0].get("authorization")  # the credentials were used to fetch
    for item in items:
        assert "s3cret" not in item and "reader:" not in item, item
        assert "trusted.example.org@" not in item and "bank.example" not in item, item
    assert f'"{srv.url}/2026/ghent"' in items[0]
    assert '"https://evil.example/y"' in items[1]


def test_a_calendar_url_with_credentials_lends_them_to_no_link(
    tmp_path: Path, srv: RawServer
) -> None:
    srv.routes["/cal.ics"] = respond(200, ICS.encode(), {"Content-Type": "text/calendar"})
    url = srv.url.replace("http://", "http://reader:s3cret@") + "/cal.ics"
    items = _collect(tmp_path, ICalSource(), SourceConfig(name="c", kind="ical", url=url))
    assert items and all("s3cret" not in i for i in items), items


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/p", "https://u:pw@partner.example/feed", "https://partner.example/p"),
        ("https://a:b@evil.example/x", "", "https://evil.example/x"),
        (
            "https://trusted.example@evil.example:8443/x?q=1#f",
            "",
            "https://evil.example:8443/x?q=1#f",
        ),
        ("//u@cdn.example/x", "https://partner.example/", "https://cdn.example/x"),
        ("mailto:a@example.org", "https://u:pw@partner.example/", "mailto:a@example.org"),
        ("https://partner.example/@user", "", "https://partner.example/@user"),
    ],
)
def test_gathered_urls_lose_their_userinfo(url: str, base: str, expected: str) -> None:
    assert safe_url(url, base) == expected
    assert "pw@" not in sanitize_html(f'<a href="{url}">x</a>', base)


def test_stored_links_with_credentials_are_rendered_without_them() -> None:
    """The store may hold items gathered before the fix: the renderer does not trust it."""
    assert render_url("https://u:pw@partner.example/p") == "https://partner.example/p"
    assert "pw@" not in clean_html('<a href="https://u:pw@partner.example/p">x</a>')
    assert render_url("https://partner.example/@user") == "https://partner.example/@user"
