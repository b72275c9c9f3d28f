"""The public web archive under ``out/archive/``: a page per edition and language, an index page
and an Atom feed per language, and a root page listing the languages.

Layout::

    out/archive/index.html             languages
    out/archive/<lang>/<key>.html      the web version of an edition
    out/archive/<lang>/<key>.json      what the index and feed need about it
    out/archive/<lang>/index.html      every edition in that language, newest first
    out/archive/<lang>/feed.atom       the same as an Atom feed

Nothing here reads the clock: an entry's ``updated`` is the edition's date (09:00 in the
newsletter's time zone), so the archive is reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hrc_outreach.config import Settings
from hrc_outreach.curate.keys import edition_date
from hrc_outreach.i18n.catalog import html_lang, text_direction
from hrc_outreach.render.environment import environment
from hrc_outreach.render.view import ARABIC_FONTS, SYSTEM_FONTS, EditionView, language_name

SEND_TIME = time(9, 0)


@dataclass(frozen=True)
class ArchivePaths:
    page: Path
    index: Path
    feed: Path
    root: Path


def archive_dir(out_dir: Path) -> Path:
    return out_dir / "archive"


def render_page(view: EditionView) -> str:
    """The web version of one edition in one language."""
    return environment(view.lang).get_template("web/edition.html.j2").render(view=view)


def _fonts(lang: str) -> str:
    return ARABIC_FONTS if lang.split("_")[0] == "ar" else SYSTEM_FONTS


def _entries(lang_dir: Path) -> list[dict[str, str]]:
    entries = []
    for meta in sorted(lang_dir.glob("*.json")):
        try:
            entries.append(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a damaged entry is skipped; its page is rewritten on the next draft
    return sorted(entries, key=lambda e: e["key"], reverse=True)


def write_archive(
    view: EditionView, preheader: str, title: str, settings: Settings, out_dir: Path
) -> ArchivePaths:
    """Write (or rewrite) the page of ``view`` and rebuild its language's index and feed."""
    root = archive_dir(out_dir)
    lang_dir = root / view.lang
    lang_dir.mkdir(parents=True, exist_ok=True)
    page = lang_dir / f"{view.key}.html"
    page.write_text(render_page(view), encoding="utf-8")
    tz = ZoneInfo(settings.newsletter.time_zone)
    when = edition_date(view.key)
    meta = {
        "key": view.key,
        "title": title,
        "date_text": view.date,
        "summary": preheader,
        "url": view.archive_url,
        "updated": datetime.combine(when, SEND_TIME, tz).isoformat(),
    }
    (lang_dir / f"{view.key}.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    entries = _entries(lang_dir)
    languages = sorted(p.name for p in root.iterdir() if p.is_dir())
    env = environment(view.lang)
    common = {
        "html_lang": view.html_lang, "dir": view.dir, "fonts": view.fonts,
        "brand_color": view.brand_color, "accent_color": view.accent_color,
        "name": view.name, "organisation": view.organisation, "editions": entries,
    }
    others = [
        (code, html_lang(code), language_name(code, code), text_direction(code))
        for code in languages if code != view.lang
    ]
    index = lang_dir / "index.html"
    index.write_text(
        env.get_template("web/index.html.j2").render(languages=others, prefix="../", **common), encoding="utf-8"
    )
    base = settings.web.base_url.rstrip("/")
    feed = lang_dir / "feed.atom"
    feed.write_text(
        env.get_template("web/feed.xml.j2").render(
            feed_url=f"{base}/archive/{view.lang}/feed.atom",
            index_url=f"{base}/archive/{view.lang}/index.html",
            updated=max(e["updated"] for e in entries),
            **common,
        ),
        encoding="utf-8",
    )
    root_page = root / "index.html"
    src = settings.i18n.source_language
    root_page.write_text(
        environment(src).get_template("web/index.html.j2").render(
            html_lang=html_lang(src), dir=text_direction(src), fonts=_fonts(src),
            brand_color=view.brand_color, accent_color=view.accent_color, name=view.name,
            organisation=view.organisation, editions=[], prefix="",
            languages=[(c, html_lang(c), language_name(c, c), text_direction(c)) for c in languages],
        ),
        encoding="utf-8",
    )
    return ArchivePaths(page=page, index=index, feed=feed, root=root_page)
