"""/archive/ serves what was published through the storage interface (``publish.url``:
PublishedFiles over fsspec), not a folder of the web server's own disk: an object store
(``memory://`` here), a configured folder, and the default ``out_dir``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.storage import PublishedFiles, published_files
from hrc_outreach.store import Store

from .conftest import start_server

PAGES = {
    "archive/index.html": "<html><body>root: languages</body></html>",
    "archive/fr/index.html": "<html><body>fr: every edition</body></html>",
    "archive/fr/2026-12.html": "<html><body>fr: edition 2026-12</body></html>",
    "archive/fr/feed.atom": "<feed xmlns='http://www.w3.org/2005/Atom'><title>fr</title></feed>",
    "archive/ar/index.html": '<html lang="ar" dir="rtl"><body>ar: كل الأعداد</body></html>',
}


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[object]:
    """A factory: serve the app for ``publish_url`` on 127.0.0.1; yields (client, settings)."""
    started: list[tuple[object, object, Store]] = []

    def make(publish_url: str) -> tuple[httpx.Client, Settings]:
        settings = load_settings(
            env={},
            store={"url": f"sqlite:///{tmp_path / f'store{len(started)}.db'}"},
            out_dir=str(tmp_path / "out"),
            publish={"url": publish_url},
        )
        from hrc_outreach.web.app import create_app

        store = Store(settings.database_url)
        url, server, thread = start_server(create_app(settings, store=store))
        started.append((server, thread, store))
        return httpx.Client(base_url=url, follow_redirects=False, timeout=30), settings

    yield make
    for server, thread, store in started:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)  # type: ignore[attr-defined]
        store.dispose()


def _decoy(settings: Settings) -> None:
    """A stale local out/archive that must NOT be what is served when publish.url points elsewhere."""
    root = settings.resolve(settings.out_dir) / "archive"
    (root / "fr").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text("<html><body>STALE LOCAL</body></html>", encoding="utf-8")
    (root / "fr" / "index.html").write_text("<html><body>STALE LOCAL</body></html>", "utf-8")


def _check_served(c: httpx.Client) -> None:
    for path, text in PAGES.items():
        shown = "/" + path.removesuffix("index.html")
        r = c.get(shown)
        assert r.status_code == 200, (shown, r.status_code)
        assert r.text == text, shown
        assert "STALE" not in r.text
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "form-action 'none'" in csp, shown
    assert c.get("/archive/fr/index.html").text == PAGES["archive/fr/index.html"]
    assert c.get("/archive").status_code in (200, 307, 308)
    feed = c.get("/archive/fr/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    page = c.get("/archive/fr/2026-12.html")
    assert page.headers["content-type"].startswith("text/html")
    # a folder without its slash goes to it (its pages link relatively: ../, 2026-12.html)
    moved = c.get("/archive/fr")
    assert moved.status_code in (307, 308) and moved.headers["location"].endswith("/archive/fr/")


@pytest.mark.parametrize("kind", ["memory", "folder"])
def test_archive_serves_what_was_published_through_storage(
    app_with: object, tmp_path: Path, kind: str
) -> None:
    publish_url = (
        f"memory://archive-{uuid.uuid4().hex}" if kind == "memory" else str(tmp_path / "pub")
    )
    c, settings = app_with(publish_url)  # type: ignore[operator]
    _decoy(settings)
    with c:
        # nothing published yet: the "nothing published" page, whatever the local out/ holds
        assert c.get("/archive/").status_code == 404
        files = published_files(settings)
        assert isinstance(files, PublishedFiles)
        for path, text in PAGES.items():  # published after the app started: served at once
            files.write_text(path, text)
        _check_served(c)


def test_default_publish_root_is_out_dir(app_with: object) -> None:
    c, settings = app_with("")  # type: ignore[operator]
    files = published_files(settings)
    for path, text in PAGES.items():
        files.write_text(path, text)
    with c:
        _check_served(c)


@pytest.mark.parametrize(
    "path",
    [
        "/archive/../store0.db",
        "/archive/%2e%2e/store0.db",
        "/archive/fr/%2e%2e/%2e%2e/store0.db",
        "/archive/fr/..%2f..%2fstore0.db",
        "/archive/%2fetc/passwd",
        "/archive/fr/missing.html",
        "/archive/de/",
        "/archive/fr/2026-12.html/",
        "/archive/preview/",
        "/archive/" + "a/" * 300,
        "/archive/fr/%00.html",
    ],
)
def test_archive_serves_nothing_outside_it(app_with: object, tmp_path: Path, path: str) -> None:
    root = f"memory://archive-{uuid.uuid4().hex}"
    c, settings = app_with(root)  # type: ignore[operator]
    files = published_files(settings)
    for p, text in PAGES.items():
        files.write_text(p, text)
    files.write_text("preview/archive/fr/index.html", "DRAFT, not public")
    files.write_text("secret.txt", "not public")
    with c:
        r = c.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert "DRAFT" not in r.text and "not public" not in r.text
