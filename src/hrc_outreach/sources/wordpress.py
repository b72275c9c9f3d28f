"""``wordpress`` sources: posts from the WordPress REST API (``/wp-json/wp/v2/posts?_embed``).

Categories and tags become tags, the featured image (with its alt text) the item's image; pages
are followed with ``X-WP-TotalPages`` up to ``max_pages``. Identity: the post id.

Options in the ``[[sources]]`` table: ``url`` (the site, or the posts endpoint itself),
``per_page`` (default 100, WordPress's maximum), ``max_pages`` (default 10).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import GatherContext, SourceOptions, SourceOutput, read_options
from hrc_outreach.sources.feed import normalize_language
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html, short_title

POSTS_PATH = "/wp-json/wp/v2/posts"


def posts_endpoint(url: str) -> str:
    """The posts endpoint of a site URL (an endpoint URL is kept as it is).

    >>> posts_endpoint("https://example.org/blog/")
    'https://example.org/blog/wp-json/wp/v2/posts'
    """
    if "/wp-json/" in url or "rest_route=" in url:
        return url
    return url.rstrip("/") + POSTS_PATH


def _rendered(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("rendered") or "")
    return str(value or "")


def _gmt(value: Any) -> datetime | None:
    """WordPress's ``date_gmt`` ("2017-02-14T00:00:00", no zone: it is UTC) as an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _terms(embedded: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for group in embedded.get("wp:term") or []:
        for term in group if isinstance(group, list) else []:
            if isinstance(term, dict) and term.get("name"):
                names.append(html_to_text(str(term["name"])))
    return names


def _featured(embedded: dict[str, Any], base: str) -> tuple[str | None, str | None]:
    for media in embedded.get("wp:featuredmedia") or []:
        if not isinstance(media, dict) or media.get("media_type", "image") != "image":
            continue
        url = safe_url(media.get("source_url"), base)
        if url and url.startswith(("http://", "https://")):
            alt = str(media.get("alt_text") or "").strip() or html_to_text(
                _rendered(media.get("title"))
            )
            return url, alt or None
    return None, None


def post_to_item(
    post: dict[str, Any], config: SourceConfig, base: str, languages: Sequence[str]
) -> ContentItem:
    """One post of the REST API as a content item."""
    if "id" not in post:
        raise ValueError("post has no id")
    key = str(post["id"])
    link = safe_url(post.get("link"), base)
    link = link if link and link.startswith(("http://", "https://")) else None
    item_base = link or base
    body = sanitize_html(_rendered(post.get("content")), item_base)
    summary = sanitize_html(_rendered(post.get("excerpt")), item_base) or body
    title = html_to_text(_rendered(post.get("title"))).replace("\n\n", " ")
    title = title or short_title(html_to_text(summary)) or "(untitled)"
    embedded = post.get("_embedded") or {}
    image_url, image_alt = _featured(embedded, item_base)
    lang = normalize_language(post.get("lang"), languages)  # Polylang and WPML add "lang"
    return ContentItem(
        id=item_id(config.name, key),
        source=config.name,
        source_key=key,
        kind=ItemKind(config.item_kind),
        title=title,
        summary=summary,
        body=body if body != summary else "",
        url=link,
        image_url=image_url,
        image_alt=(image_alt or title) if image_url else None,
        language=lang or normalize_language(config.language, languages) or "unknown",
        published_at=_gmt(post.get("date_gmt")),
        updated_at=_gmt(post.get("modified_gmt")),
        tags=tuple(dict.fromkeys(t for t in [*_terms(embedded), *config.tags] if t)),
    )


class WordPressOptions(SourceOptions):
    """A ``wordpress`` source's keys."""

    per_page: int = 100  # posts per request (WordPress allows 1 to 100)
    max_pages: int = 10  # pages read at most


class WordPressSource:
    """Posts of a WordPress site (``kind = "wordpress"``)."""

    kind: ClassVar[SourceKind] = SourceKind.WORDPRESS
    options_model: ClassVar[type[SourceOptions]] = WordPressOptions

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        if not config.url:
            raise SourceError("a wordpress source needs a url (the site)", source=config.name)
        opts = read_options(config, WordPressOptions)
        per_page = max(1, min(100, opts.per_page))
        max_pages = max(1, opts.max_pages)
        endpoint = posts_endpoint(config.url)
        languages = ctx.settings.i18n.languages
        items: list[ContentItem] = []
        warnings: list[str] = []
        page, total_pages = 1, 1
        while True:
            params = {"per_page": per_page, "page": page, "_embed": "1"}
            data, headers = await ctx.reader.get_json(endpoint, params)
            if not isinstance(data, list):
                raise SourceError(
                    f"{endpoint} page {page} is not a list of posts "
                    "(is this the WordPress REST API?)",
                    source=config.name,
                )
            for n, post in enumerate(data, 1):
                try:
                    items.append(post_to_item(post, config, endpoint, languages))
                except Exception as exc:  # one odd post is a warning; the others are kept
                    warnings.append(f"page {page} post {n} skipped: {type(exc).__name__}: {exc}")
            total = headers.get("x-wp-totalpages", "")
            total_pages = int(total) if total.isdigit() else page
            if not data or page >= total_pages:
                break
            if page >= max_pages:
                warnings.append(
                    f"stopped after {max_pages} pages of {total_pages} "
                    "(raise max_pages to read more)"
                )
                break
            page += 1
        return SourceOutput(items=tuple(items), warnings=tuple(warnings))
