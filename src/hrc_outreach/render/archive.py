"""The public web archive under ``out/archive/``: a page per edition and language, an index page
and an Atom feed per language, and a root page listing the languages.

Layout::

    out/archive/index.html             languages
    out/archive/<lang>/<key>.html      the web version of an edition
    out/archive/<lang>/<key>.json      what the index and feed need about it
    out/archive/<lang>/index.html      every edition in that language, newest first
    out/archive/<lang>/feed.atom       the same as an Atom feed

Drafts write the same layout under ``out/preview/archive/`` (staff previews); an edition's pages
reach the public ``out/archive/`` only once it was sent (:func:`publish_pages`, called by
:func:`hrc_outreach.publish.publish_archive`).

Nothing here reads the clock: an entry's ``updated`` is the edition's date (09:00 in the
newsletter's time zone), so the archive is reproducible.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hrc_outreach.config import Settings
from hrc_outreach.curate.keys import edition_date
from hrc_outreach.errors import RenderError
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


def preview_archive_dir(out_dir: Path) -> Path:
    """Where drafts write their archive pages (same layout): staff preview them, nobody else."""
    return out_dir / "preview" / "archive"


def _chrome(view: EditionView) -> dict[str, str]:
    """What the index pages and the feed need of an edition's look, kept in its ``.json``."""
    return {
        "html_lang": view.html_lang, "dir": view.dir, "fonts": view.fonts,
        "brand_color": view.brand_color, "accent_color": view.accent_color,
        "name": view.name, "organisation": view.organisation,
    }


def write_archive(
    view: EditionView, preheader: str, title: str, settings: Settings, out_dir: Path,
    *, root: Path | None = None,
) -> ArchivePaths:
    """Write (or rewrite) the page of ``view`` and rebuild its language's index and feed.

    ``root``: the archive folder (default the public one, ``out/archive``); drafts write to
    :func:`preview_archive_dir` and :func:`publish_pages` copies them to the public one once sent.
    """
    root = root if root is not None else archive_dir(out_dir)
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
        "chrome": _chrome(view),
    }
    (lang_dir / f"{view.key}.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return ArchivePaths(page, *_rebuild(root, view.lang, settings, _chrome(view)))


def publish_pages(settings: Settings, out_dir: Path, key: str, langs: list[str]) -> list[ArchivePaths]:
    """Copy edition ``key``'s previewed pages of ``langs`` into the public archive and rebuild its
    indexes and feeds. RenderError naming the languages whose preview page is missing."""
    src_root, root = preview_archive_dir(out_dir), archive_dir(out_dir)
    missing = [
        lang for lang in langs
        if not (src_root / lang / f"{key}.html").is_file()
        or not (src_root / lang / f"{key}.json").is_file()
    ]
    if missing:
        raise RenderError(
            f"edition {key!r} has no archive page for {', '.join(missing)} in {src_root}; draft "
            f"it again (`hrc-outreach edition draft --edition {key}`), then publish"
        )
    out = []
    for lang in langs:
        lang_dir = root / lang
        lang_dir.mkdir(parents=True, exist_ok=True)
        for suffix in (".html", ".json"):
            shutil.copyfile(src_root / lang / f"{key}{suffix}", lang_dir / f"{key}{suffix}")
        meta = json.loads((lang_dir / f"{key}.json").read_text(encoding="utf-8"))
        out.append(ArchivePaths(lang_dir / f"{key}.html", *_rebuild(root, lang, settings, meta["chrome"])))
    return out


def _rebuild(
    root: Path, lang: str, settings: Settings, chrome: dict[str, str]
) -> tuple[Path, Path, Path]:
    """The index page and feed of ``lang``, and the root page listing languages, from the entries."""
    lang_dir = root / lang
    entries = _entries(lang_dir)
    languages = sorted(p.name for p in root.iterdir() if p.is_dir())
    env = environment(lang)
    common = {**chrome, "editions": entries}
    others = [
        (code, html_lang(code), language_name(code, code), text_direction(code))
        for code in languages if code != lang
    ]
    index = lang_dir / "index.html"
    index.write_text(
        env.get_template("web/index.html.j2").render(languages=others, prefix="../", **common),
        encoding="utf-8",
    )
    base = settings.web.base_url.rstrip("/")
    feed = lang_dir / "feed.atom"
    feed.write_text(
        env.get_template("web/feed.xml.j2").render(
            feed_url=f"{base}/archive/{lang}/feed.atom",
            index_url=f"{base}/archive/{lang}/index.html",
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
            brand_color=chrome["brand_color"], accent_color=chrome["accent_color"],
            name=chrome["name"], organisation=chrome["organisation"], editions=[], prefix="",
            languages=[(c, html_lang(c), language_name(c, c), text_direction(c)) for c in languages],
        ),
        encoding="utf-8",
    )
    return index, feed, root_page
