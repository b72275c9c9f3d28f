"""gather() end to end: a real HTTP server on 127.0.0.1, files, and the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hrc_outreach.config import Settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.models import GatherStatus
from hrc_outreach.sources.gather import gather_sync, report_as_dict
from hrc_outreach.store import Store
from hrc_outreach.store.items import item_history, list_items
from hrc_outreach.store.tables import ItemRow, ItemVersionRow, SourceStateRow

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def rss(*items: tuple[str, str, str], lang: str = "en") -> bytes:
    """An RSS 2.0 feed of (guid, title, description) items."""
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://hrc.example.org/{g}</link>"
        f"<description><![CDATA[{d}]]></description>"
        f"<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>HRC</title>"
        f"<link>https://hrc.example.org/</link><language>{lang}</language>"
        f"{body}</channel></rss>"
    ).encode()


GOOD = rss(
    ("a", "Gwangju forum", "<p>Human rights city forum.</p>"),
    ("b", "Vienna office", "<p>A new office.</p>"),
)
EVIL = rss(
    (
        "x",
        "Bad <script>alert(1)</script> one",
        '<p onmouseover="steal()">Hi<script>alert(1)</script>'
        '<img src="/i.png" onerror="alert(1)"><a href="javascript:alert(1)">x</a></p>',
    )
)


class FeedServer:
    """Serves feeds by path with ETag/Last-Modified and 304s; counts requests and concurrency."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.delay = 0.0
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                with server._lock:
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    time.sleep(server.delay)
                    status, body = server.routes.get(self.path, (404, b"not found"))
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    if status == 200 and self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
                    server.requests.append((self.path, dict(self.headers), status))
                    self.send_response(status)
                    if status in (200, 304):
                        self.send_header("ETag", etag)
                        self.send_header("Last-Modified", formatdate(0, usegmt=True))
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with server._lock:
                        server.active -= 1

            def log_message(self, *args: Any) -> None:
                pass

        Handler.request_queue_size = 64  # type: ignore[attr-defined]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.request_queue_size = 64
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def settings_for(tmp_path: Path, sources: list[dict[str, Any]], **fetch: Any) -> Settings:
    fetch = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5, **fetch}
    return Settings.model_validate(
        {"config_path": tmp_path / "outreach.toml", "fetch": fetch, "sources": sources}
    )


def test_one_broken_source_among_good_ones(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    server.routes["/good.xml"] = (200, GOOD)
    server.routes["/broken.xml"] = (500, b"oops")
    (tmp_path / "local.xml").write_bytes(rss(("l", "Local item", "<p>From a file.</p>")))
    (tmp_path / "garbage.xml").write_bytes(b"\x00\x01garbage, not xml")
    settings = settings_for(
        tmp_path,
        [
            {"name": "good", "kind": "feed", "url": server.url + "/good.xml"},
            {"name": "broken", "kind": "feed", "url": server.url + "/broken.xml"},
            {"name": "local", "kind": "feed", "path": "local.xml"},
            {"name": "missing", "kind": "feed", "path": "missing.xml"},
            {"name": "garbage", "kind": "feed", "path": "garbage.xml"},
            {"name": "off", "kind": "feed", "path": "missing.xml", "enabled": False},
        ],
    )
    report = gather_sync(settings, store, now=NOW)
    by_name = {s.name: s for s in report.sources}
    assert set(by_name) == {"good", "broken", "local", "missing", "garbage"}
    assert not report.ok
    assert by_name["good"].status is GatherStatus.OK and by_name["good"].new == 2
    assert by_name["local"].status is GatherStatus.OK and by_name["local"].new == 1
    errors = {n: s.error or "" for n, s in by_name.items() if s.status is GatherStatus.ERROR}
    assert set(errors) == {"broken", "missing", "garbage"}
    assert "'broken'" in errors["broken"] and "HTTP 500" in errors["broken"]
    assert by_name["broken"].retryable and not by_name["missing"].retryable
    assert "'missing'" in errors["missing"] and "missing.xml does not exist" in errors["missing"]
    assert (
        "'garbage'" in errors["garbage"] and "not a readable RSS or Atom feed" in errors["garbage"]
    )
    with store.session() as s:
        assert {i.title for i in list_items(s)} == {"Gwangju forum", "Vienna office", "Local item"}
        state = s.get(SourceStateRow, "broken")
        assert state is not None and state.status == "error" and "HTTP 500" in (state.error or "")
    summary = report_as_dict(report)
    assert summary["new"] == 3 and summary["updated"] == 0
    assert set(summary["sources"][0]) == {
        "name",
        "kind",
        "status",
        "new",
        "updated",
        "unchanged",
        "error",
    }


def test_conditional_get_second_gather_is_a_304(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    server.routes["/feed.xml"] = (200, GOOD)
    settings = settings_for(
        tmp_path, [{"name": "news", "kind": "feed", "url": server.url + "/feed.xml"}]
    )
    first = gather_sync(settings, store, now=NOW).sources[0]
    assert (first.new, first.not_modified) == (2, False)
    second = gather_sync(settings, store, now=NOW).sources[0]
    assert second.status is GatherStatus.OK and second.not_modified
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)
    assert [r[2] for r in server.requests] == [200, 304]
    assert server.requests[1][1].get("If-None-Match", "").startswith('"')
    with store.session() as s:
        state = s.get(SourceStateRow, "news")
        assert state is not None and state.etag and state.last_modified


def test_regathering_never_duplicates_and_a_change_is_an_update(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    server.routes["/feed.xml"] = (200, GOOD)
    settings = settings_for(
        tmp_path, [{"name": "news", "kind": "feed", "url": server.url + "/feed.xml"}]
    )
    gather_sync(settings, store, now=NOW)
    changed = rss(
        ("a", "Gwangju forum 2026", "<p>Human rights city forum.</p>"),
        ("b", "Vienna office", "<p>A new office.</p>"),
    )
    server.routes["/feed.xml"] = (200, changed)
    report = gather_sync(settings, store, now=NOW).sources[0]
    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ItemRow)) == 2
        assert s.scalar(select(func.count()).select_from(ItemVersionRow)) == 1
        gwangju = next(i for i in list_items(s) if i.source_key.endswith("/a"))
        assert gwangju.title == "Gwangju forum 2026"
        assert [i.title for i in item_history(s, gwangju.id)] == ["Gwangju forum"]


def test_hostile_markup_never_reaches_the_store(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    server.routes["/evil.xml"] = (200, EVIL)
    settings = settings_for(
        tmp_path, [{"name": "evil", "kind": "feed", "url": server.url + "/evil.xml"}]
    )
    assert gather_sync(settings, store, now=NOW).ok
    with store.session() as s:
        rows = list(s.scalars(select(ItemRow)))
        assert len(rows) == 1
        stored = str(rows[0].data).lower() + rows[0].title.lower()
    for bad in ("<script", "alert(", "onerror", "onmouseover", "javascript:"):
        assert bad not in stored, bad
    assert f"{server.url}/i.png".lower() in stored  # the relative image made absolute


def test_only_one_source_and_unknown_names(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    server.routes["/a.xml"] = (200, GOOD)
    settings = settings_for(
        tmp_path,
        [
            {"name": "a", "kind": "feed", "url": server.url + "/a.xml"},
            {"name": "b", "kind": "feed", "url": server.url + "/b.xml"},
        ],
    )
    report = gather_sync(settings, store, only="a", now=NOW)
    assert [s.name for s in report.sources] == ["a"] and report.ok
    with pytest.raises(ConfigError, match="no source named 'nope'"):
        gather_sync(settings, store, only="nope", now=NOW)


def test_sources_run_concurrently_within_the_bound(
    tmp_path: Path, server: FeedServer, sqlite_store: Store
) -> None:
    server.delay = 0.2
    sources = []
    for n in range(6):
        server.routes[f"/f{n}.xml"] = (200, rss((f"g{n}", f"Item {n}", "<p>x</p>")))
        sources.append({"name": f"f{n}", "kind": "feed", "url": f"{server.url}/f{n}.xml"})
    settings = settings_for(tmp_path, sources, concurrency=3)
    started = time.perf_counter()
    report = gather_sync(settings, sqlite_store, now=NOW)
    elapsed = time.perf_counter() - started
    assert report.ok and report.new == 6
    assert server.max_active == 3  # bounded, and really concurrent
    assert elapsed < 6 * 0.2  # faster than one after the other


def test_unknown_language_is_detected(
    tmp_path: Path, server: FeedServer, sqlite_store: Store
) -> None:
    text = (
        "La ville de Lyon a ouvert un nouveau bureau des droits humains pour accueillir les "
        "habitants et les associations du quartier, avec des permanences chaque semaine."
    )
    feed = rss(("fr", "Un nouveau bureau des droits humains à Lyon", f"<p>{text}</p>"), lang="")
    server.routes["/fr.xml"] = (200, feed.replace(b"<language></language>", b""))
    settings = settings_for(
        tmp_path, [{"name": "fr", "kind": "feed", "url": server.url + "/fr.xml"}]
    )
    assert gather_sync(settings, sqlite_store, now=NOW).ok
    with sqlite_store.session() as s:
        assert [i.language for i in list_items(s)] == ["fr"]


def test_a_slow_server_times_out_with_a_clear_error(
    tmp_path: Path, server: FeedServer, sqlite_store: Store
) -> None:
    server.delay = 1.0
    server.routes["/slow.xml"] = (200, GOOD)
    settings = settings_for(
        tmp_path,
        [{"name": "slow", "kind": "feed", "url": server.url + "/slow.xml"}],
        timeout_seconds=0.2,
        retries=0,
    )
    report = gather_sync(settings, sqlite_store, now=NOW).sources[0]
    assert report.status is GatherStatus.ERROR and report.retryable
    assert report.error and "'slow'" in report.error and "timed out after 0.2 s" in report.error
