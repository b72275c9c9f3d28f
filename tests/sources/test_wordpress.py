"""WordPressSource against a fake WordPress that serves WordPress's own API fixtures, paginated."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.base import GatherContext, SourceOutput
from hrc_outreach.sources.fetch import HttpReader
from hrc_outreach.sources.wordpress import WordPressSource, posts_endpoint

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
POST = json.loads((FIXTURES / "wp-v2-posts-collection.json").read_text())[0]
MEDIA = json.loads((FIXTURES / "wp-v2-media-collection.json").read_text())[0]


class FakeWordPress:
    """Answers /wp-json/wp/v2/posts like WordPress: pages, X-WP-TotalPages, _embed."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[httpx.Request] = []

    def post(self, n: int, embed: bool) -> dict[str, Any]:
        post = copy.deepcopy(POST)
        post["id"] = n
        post["link"] = f"http://example.org/?p={n}"
        post["title"]["rendered"] = f"Post {n} &amp; rights"
        post["featured_media"] = MEDIA["id"] if n == 1 else 0
        post["content"]["rendered"] += '<script>alert(1)</script><a href="/about">about</a>'
        if embed:
            post["_embedded"] = {
                "wp:term": [
                    [{"id": 1, "name": "Uncategorized", "taxonomy": "category"}],
                    [{"id": 7, "name": "Human &amp; rights", "taxonomy": "post_tag"}],
                ],
            }
            if n == 1:
                media = copy.deepcopy(MEDIA)
                media["alt_text"] = "Canola field"
                post["_embedded"]["wp:featuredmedia"] = [media]
        return post

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path != "/wp-json/wp/v2/posts":
            return httpx.Response(404, json={"code": "rest_no_route"})
        per_page = int(request.url.params.get("per_page", 10))
        page = int(request.url.params.get("page", 1))
        pages = max(1, -(-self.total // per_page))
        if page > pages:
            return httpx.Response(400, json={"code": "rest_post_invalid_page_number"})
        ids = range((page - 1) * per_page + 1, min(self.total, page * per_page) + 1)
        embed = "_embed" in request.url.params
        return httpx.Response(
            200,
            json=[self.post(n, embed) for n in ids],
            headers={"X-WP-Total": str(self.total), "X-WP-TotalPages": str(pages)},
        )


def collect(server: FakeWordPress, **options: Any) -> SourceOutput:
    settings = Settings(fetch={"retries": 0})  # type: ignore[arg-type]
    config = SourceConfig(
        name="hrc-blog",
        kind="wordpress",
        url="https://blog.example.org/",
        tags=("blog",),
        language="en",
        **options,
    )

    async def go() -> SourceOutput:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            reader = HttpReader(client, settings, source=config.name)
            ctx = GatherContext(settings=settings, reader=reader, now=datetime.now(UTC))
            return await WordPressSource().collect(config, ctx)

    return asyncio.run(go())


def test_posts_with_terms_featured_media_and_sanitised_html() -> None:
    server = FakeWordPress(total=3)
    out = collect(server)
    assert [i.source_key for i in out.items] == ["1", "2", "3"]
    first = out.items[0]
    assert first.title == "Post 1 & rights"
    assert first.url == "http://example.org/?p=1"
    assert first.tags == ("Uncategorized", "Human & rights", "blog")
    assert first.image_url == "http://example.org/wp-content/uploads//tmp/canola.jpg"
    assert first.image_alt == "Canola field"
    assert first.published_at == datetime(2017, 2, 14, tzinfo=UTC)
    assert first.language == "en"
    assert "<script" not in first.body and "alert" not in first.body
    assert 'href="http://example.org/about"' in first.body
    assert first.summary == "<p>REST API Client Fixture: Post</p>"
    assert out.items[1].image_url is None
    params = server.requests[0].url.params
    assert params["per_page"] == "100" and params["_embed"] == "1" and params["page"] == "1"


def test_follows_pages_until_the_last() -> None:
    server = FakeWordPress(total=250)
    out = collect(server)
    assert len(out.items) == 250 and len({i.id for i in out.items}) == 250
    assert [r.url.params["page"] for r in server.requests] == ["1", "2", "3"]
    assert not out.warnings


def test_page_cap_stops_with_a_warning() -> None:
    server = FakeWordPress(total=30)
    out = collect(server, per_page=10, max_pages=2)
    assert len(out.items) == 20 and len(server.requests) == 2
    assert out.warnings == ("stopped after 2 pages of 3 (raise max_pages to read more)",)


def test_a_post_without_id_is_a_warning_and_the_rest_is_kept() -> None:
    class Odd(FakeWordPress):
        def post(self, n: int, embed: bool) -> dict[str, Any]:
            post = super().post(n, embed)
            if n == 2:
                del post["id"]
            return post

    out = collect(Odd(total=3))
    assert [i.source_key for i in out.items] == ["1", "3"]
    assert out.warnings == ("page 1 post 2 skipped: ValueError: post has no id",)


def test_not_wordpress_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"message": "hello"})

    settings = Settings()
    config = SourceConfig(name="hrc-blog", kind="wordpress", url="https://blog.example.org")

    async def go() -> SourceOutput:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            ctx = GatherContext(
                settings=settings, reader=HttpReader(client, settings), now=datetime.now(UTC)
            )
            return await WordPressSource().collect(config, ctx)

    with pytest.raises(SourceError, match="'hrc-blog'.*not a list of posts"):
        asyncio.run(go())


def test_posts_endpoint() -> None:
    assert posts_endpoint("https://x.org") == "https://x.org/wp-json/wp/v2/posts"
    assert (
        posts_endpoint("https://x.org/wp-json/wp/v2/posts") == "https://x.org/wp-json/wp/v2/posts"
    )
    assert posts_endpoint("https://x.org/?rest_route=/wp/v2/posts").endswith(
        "rest_route=/wp/v2/posts"
    )
