"""Real-browser fixtures: the sample edition drafted once in every language, one headless Chromium.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's Python package; axe-core comes from
npm (node_modules/, installed by ``make install`` when npm is present). Without them the tests
skip with the reason; under CI (``CI=true``) they fail instead, so a missing install step shows.

The browser is *package*-scoped, not session-scoped: Playwright's sync API keeps an asyncio loop
running in the main thread while it is open, and every later test that calls ``asyncio.run``
(gathering, delivery) would fail. It is started once for tests/browser and closed after them.
"""

from __future__ import annotations

import io
import mimetypes
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
EDITION = "2026-12"
GATHERED_AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # recurring events expand from here
WIDTHS = (375, 1280)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip with ``reason``; under CI fail instead, so a missing install cannot hide."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Drafted:
    """The sample edition drafted in every configured language."""

    out: Path
    languages: tuple[str, ...]
    dirs: dict[str, str]
    shots: Path
    archive_base: str = ""  # the public URL of the published archive (the logo is under it)

    def email(self, lang: str) -> Path:
        return self.out / "editions" / EDITION / lang / "email.html"

    @property
    def archive_root(self) -> Path:
        return self.out / "preview" / "archive"  # drafts' archive; published once sent

    def archive(self, lang: str) -> Path:
        return self.archive_root / lang / f"{EDITION}.html"

    def page(self, kind: str, lang: str) -> Path:
        return self.email(lang) if kind == "email" else self.archive(lang)

    def published(self, url: str) -> Path | None:
        """The published file behind an archive URL (the logo), if ``url`` is one."""
        if not self.archive_base or not url.startswith(self.archive_base):
            return None
        path = (self.out / "archive" / url[len(self.archive_base):].split("?")[0]).resolve()
        inside = path.is_relative_to((self.out / "archive").resolve())
        return path if inside and path.is_file() else None


def require_browser_tools() -> None:
    """Chromium and axe-core are installed, else :func:`unavailable` says which is missing."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is absent (Debian package chromium)")
    if not AXE.is_file():
        unavailable(f"{AXE} is absent: run `npm install --no-audit --no-fund` at the repo root")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright, closed with its driver on leaving."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session", autouse=True)
def browser_tools() -> None:
    """Chromium and axe-core are installed (checked before the slow draft)."""
    require_browser_tools()


@pytest.fixture(scope="session")
def drafted(browser_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Drafted:
    """Gather samples/ into a fresh SQLite store and draft edition 2026-12 in all languages, once."""
    from hrc_outreach.config import load_settings
    from hrc_outreach.render.brand import archive_base
    from hrc_outreach.render.draft import draft_edition
    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.store import Store

    config = ROOT / "outreach.toml"
    if not config.is_file():
        pytest.fail(f"{config} is absent: the browser tests draft the bundled sample edition")
    tmp = tmp_path_factory.mktemp("browser")
    out = tmp / "out"
    settings = load_settings(
        config, env={}, store={"url": f"sqlite:///{tmp / 'store.db'}"}, out_dir=str(out)
    )
    store = Store(settings.database_url)
    started = time.perf_counter()
    try:
        report = gather_sync(settings, store, now=GATHERED_AT)
        assert report.ok, report
        result = draft_edition(settings, store, EDITION, settings.i18n.languages, out)
    finally:
        store.dispose()
    print(f"\ndrafted {EDITION} in {len(result.messages)} languages in "
          f"{time.perf_counter() - started:.1f} s under {out}")
    shots = tmp / "screenshots"
    shots.mkdir()
    return Drafted(
        out=out, languages=tuple(result.messages), shots=shots,
        dirs={lang: m.dir for lang, m in result.messages.items()},
        archive_base=archive_base(settings),
    )


def _placeholder_png(width: int = 600, height: int = 300) -> bytes:
    """A grey PNG standing in for remote images (no network here), so layout keeps their size."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 205, 212)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="package")
def browser(drafted: Drafted) -> Iterator[object]:
    """One headless Chromium for all browser tests, started after the draft (gathering runs its
    own asyncio loop)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="package")
def page(browser: object, drafted: Drafted) -> Iterator[object]:
    """One reused page; the published archive's files (the logo) answer from the drafted output,
    other remote images with a placeholder, any other remote request fails."""
    png = _placeholder_png()
    context = browser.new_context(viewport={"width": WIDTHS[-1], "height": 900})  # type: ignore[attr-defined]

    def route(r: object) -> None:
        req = r.request  # type: ignore[attr-defined]
        if req.url.startswith(("http://", "https://")):
            published = drafted.published(req.url)
            if published is not None:
                kind = mimetypes.guess_type(published.name)[0] or "application/octet-stream"
                r.fulfill(status=200, content_type=kind, body=published.read_bytes())  # type: ignore[attr-defined]
            elif req.resource_type == "image":
                r.fulfill(status=200, content_type="image/png", body=png)  # type: ignore[attr-defined]
            else:
                r.abort()  # type: ignore[attr-defined]
        else:
            r.continue_()  # type: ignore[attr-defined]

    context.route("**/*", route)
    p = context.new_page()
    p.set_default_timeout(30_000)
    try:
        yield p
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """axe counts by impact and overflow figures per page, for the record."""
    from .checks import RESULTS as results

    if not any(results.values()):
        return
    tr = terminalreporter
    tr.section("browser: axe (nodes by impact), overflow (scrollWidth, offenders), RTL figures")
    for key, counts in sorted(results["axe"].items()):
        tr.write_line(f"axe      {key:24} {counts or 'none'}")
    for key, (sw, n) in sorted(results["overflow"].items()):
        tr.write_line(f"overflow {key:24} scrollWidth={sw} offenders={n}")
    for key, figures in sorted(results["rtl"].items()):
        tr.write_line(f"rtl      {key:24} {figures}")
