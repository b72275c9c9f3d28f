"""The logo the email shows is served by the web app, under the archive, at the URL the email names,
from the moment the edition is drafted (a test send shows it) (issue 13)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from hrc_outreach.config import load_settings
from hrc_outreach.render.brand import BRAND_DIR
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items

from ..render.conftest import fixed_items
from .conftest import start_server


def test_the_emails_logo_is_served_where_the_email_says(tmp_path: Path) -> None:
    settings = load_settings(
        env={},
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        out_dir=str(tmp_path / "out"),
        newsletter={"editions_dir": str(tmp_path / "editions")},
    )
    store = Store(settings.database_url)
    with store.session() as s:
        upsert_items(s, fixed_items())
    out = settings.resolve(settings.out_dir)
    result = draft_edition(settings, store, "2026-12", ["en", "ar"], out)  # drafted, not sent
    assert result.lint_errors == 0

    from hrc_outreach.web.app import create_app

    url, server, thread = start_server(create_app(settings, store=store))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            for lang, msg in result.messages.items():
                logo = parse_html(msg.html).find("img")
                assert logo is not None, lang
                src = urlsplit(logo.attrs["src"])
                assert src.scheme == "https" and logo.attrs["src"].startswith(settings.web.base_url)
                served = client.get(src.path)
                assert served.status_code == 200, (lang, src.path)
                assert served.headers["content-type"] == "image/png"
                assert served.content == (BRAND_DIR / "logo.png").read_bytes()
            svg = client.get("/archive/logo.svg")
            assert svg.status_code == 200 and svg.headers["content-type"].startswith(
                "image/svg+xml"
            )
            # the edition's own page is still not public: only the logo is
            assert client.get("/archive/en/2026-12.html").status_code == 404
    finally:
        server.should_exit = True
        thread.join(10)
        store.dispose()
