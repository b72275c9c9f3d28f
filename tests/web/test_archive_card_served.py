"""The archive page's og:image is served by the web app at the URL the page names (issue 13)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from hrc_outreach.config import load_settings
from hrc_outreach.render.archive import publish_pages
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items

from ..render.conftest import fixed_items
from .conftest import start_server


def test_the_shared_card_is_served_where_the_page_says(tmp_path: Path) -> None:
    editions = tmp_path / "editions"
    editions.mkdir()
    (editions / "2026-12.md").write_text("Dear readers,\n\nWelcome.\n", encoding="utf-8")
    settings = load_settings(
        env={},
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        out_dir=str(tmp_path / "out"),
        newsletter={"editions_dir": str(editions)},
    )
    store = Store(settings.database_url)
    with store.session() as s:
        upsert_items(s, fixed_items())
    out = settings.resolve(settings.out_dir)
    draft_edition(settings, store, "2026-12", ["ar"], out)
    publish_pages(settings, out, "2026-12", ["ar"])

    from hrc_outreach.web.app import create_app

    url, server, thread = start_server(create_app(settings, store=store))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            page = client.get("/archive/ar/2026-12.html")
            assert page.status_code == 200
            metas = {
                m.attrs.get("property") or m.attrs.get("name"): m.attrs.get("content")
                for m in parse_html(page.text).find_all("meta")
            }
            image = urlsplit(metas["og:image"] or "")
            assert image.geturl().startswith(settings.web.base_url)
            card = client.get(image.path)
            assert card.status_code == 200
            assert card.headers["content-type"] == "image/png"
            assert card.content == (out / "archive" / "ar" / "2026-12.png").read_bytes()
            assert card.content.startswith(b"\x89PNG\r\n\x1a\n")
    finally:
        server.should_exit = True
        thread.join(10)
        store.dispose()
