"""Archive pages carry Open Graph and Twitter card tags (issue 13): a shared link shows the
edition's card, which is published with the archive."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.render.archive import publish_pages, write_archive
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.view import build_view
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items

from .conftest import fixed_edition, fixed_items


def _meta(html: str) -> dict[str, str]:
    doc = parse_html(html)
    out = {}
    for node in doc.find_all("meta"):
        key = node.attrs.get("property") or node.attrs.get("name")
        if key:
            out[key] = node.attrs.get("content") or ""
    return out


def test_a_drafted_and_published_page_shows_its_card_when_shared(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    with store.session() as s:
        upsert_items(s, fixed_items())
    out = tmp_path / "out"
    result = draft_edition(cfg, store, "2026-12", ["en", "ar"], out)
    publish_pages(cfg, out, "2026-12", ["en", "ar"])
    for lang in ("en", "ar"):
        page = (out / "archive" / lang / "2026-12.html").read_text(encoding="utf-8")
        meta = _meta(page)
        base = cfg.web.base_url.rstrip("/")
        assert meta["og:url"] == f"{base}/archive/{lang}/2026-12.html"
        assert meta["og:image"] == f"{base}/archive/{lang}/2026-12.png"
        assert meta["twitter:card"] == "summary_large_image"
        assert meta["twitter:image"] == meta["og:image"]
        assert meta["og:title"] and meta["og:title"] == meta["twitter:title"]
        assert "December 2026" in meta["og:title"] or lang == "ar"
        assert meta["og:description"] == result.messages[lang].preheader
        assert meta["og:image:alt"] and meta["og:image:alt"] == meta["twitter:image:alt"]
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
        assert meta["og:locale"] == lang
        # the image is published where its URL says, beside the page, and is the edition's card
        published = out / urlsplit(meta["og:image"]).path.lstrip("/")
        with Image.open(published) as img:
            assert img.format == "PNG" and img.size == (1200, 630)
        drawn = out / "editions" / "2026-12" / lang / f"2026-12-{lang}-edition-1200x630.png"
        assert published.read_bytes() == drawn.read_bytes()
        # and the edition's social posts name the same alt text for that card
        post = next(
            p for p in result.messages[lang].social
            if p.item_id is None and p.image == drawn.name
        )  # fmt: skip
        assert post.image_alt == meta["og:image:alt"]
    ar = _meta((out / "archive" / "ar" / "2026-12.html").read_text(encoding="utf-8"))
    assert "بطاقة" in ar["og:image:alt"]  # in the page's language


def test_a_page_without_a_card_names_no_image(settings: Settings, tmp_path: Path) -> None:
    view = build_view(localize_all(fixed_edition(), ["en"], settings=settings)["en"], settings)
    paths = write_archive(view, "What it holds", "Title", settings, tmp_path)
    meta = _meta(Path(paths.page).read_text(encoding="utf-8"))
    assert meta["twitter:card"] == "summary"
    assert "og:image" not in meta and "twitter:image" not in meta
    assert meta["og:description"] == "What it holds"


def test_hostile_text_stays_inside_its_attribute(settings: Settings, tmp_path: Path) -> None:
    hostile = (
        'Care"><script>alert(1)</script><meta property="og:image" content="https://evil.org/x.png'
    )
    view = build_view(localize_all(fixed_edition(), ["en"], settings=settings)["en"], settings)
    paths = write_archive(view, hostile, "Title", settings, tmp_path)
    html = Path(paths.page).read_text(encoding="utf-8")
    doc = parse_html(html)
    assert not doc.find_all("script")
    meta = _meta(html)
    assert meta["og:description"] == hostile
    assert "og:image" not in meta  # the injected tag is text, not a tag
