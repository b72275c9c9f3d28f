"""The public web archive under ``archive/`` of the published files (``publish.url``, by default
the ``out`` folder): a page per edition and language, an index page and an Atom feed per language,
and a root page listing the languages. Everything is written through
:class:`~hrc_outreach.storage.PublishedFiles`, so the archive can live in an object store.

Layout::

    out/archive/index.html             languages
    out/archive/<lang>/<key>.html      the web version of an edition
    out/archive/<lang>/<key>.png       its image card (1200×630), the page's og:image
    out/archive/<lang>/<key>.json      what the index and feed need about it
    out/archive/<lang>/index.html      every edition in that language, newest first
    out/archive/<lang>/feed.atom       the same as an Atom feed

Drafts write the same layout under ``out/preview/archive/`` (staff previews); an edition's pages
reach the public ``out/archive/`` only once it was sent (:func:`publish_pages`, called by
:func:`hrc_outreach.publish.publish_archive`).

An edition's page carries Open Graph and Twitter card tags (title, description, URL, and the
edition's image card with its alt text when the draft drew one), so a shared link shows the card.

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
from hrc_outreach.errors import RenderError
from hrc_outreach.i18n.catalog import html_lang, text_direction
from hrc_outreach.render.brand import publish_brand
from hrc_outreach.render.cards import LANDSCAPE, card_file_name
from hrc_outreach.render.environment import environment
from hrc_outreach.render.social import card_alt
from hrc_outreach.render.view import ARABIC_FONTS, SYSTEM_FONTS, EditionView, language_name
from hrc_outreach.storage import PublishedFiles

SEND_TIME = time(9, 0)


ARCHIVE = "archive"  # the public archive, under the published files' root
PREVIEW_ARCHIVE = "preview/archive"  # the same layout for drafts: staff preview it, nobody else


@dataclass(frozen=True)
class ArchivePaths:
    """Where an edition's page and its language's index, feed and root page are (a local path,
    or the URL in an object store)."""

    page: str
    index: str
    feed: str
    root: str


def archive_dir(out_dir: Path) -> Path:
    return out_dir / ARCHIVE


@dataclass(frozen=True)
class OpenGraph:
    """What a shared link to an edition's page shows (Open Graph and Twitter card tags)."""

    url: str
    description: str
    locale: str
    image: str | None = None  # the absolute URL of the published card
    image_alt: str = ""
    image_size: tuple[int, int] = LANDSCAPE


def render_page(view: EditionView, og: OpenGraph | None = None) -> str:
    """The web version of one edition in one language."""
    og = og or OpenGraph(url=view.archive_url, description="", locale=_og_locale(view.html_lang))
    return environment(view.lang).get_template("web/edition.html.j2").render(view=view, og=og)


def _og_locale(html_lang: str) -> str:
    return html_lang.replace("-", "_")


def card_path(root: str, lang: str, key: str) -> str:
    """Where an edition's card is in the archive (beside its page)."""
    return f"{root}/{lang}/{key}.png"


def _publish_card(files: PublishedFiles, root: str, view: EditionView) -> bool:
    """Copy the edition's landscape card, drawn with its social posts into
    ``editions/<key>/<lang>/`` of the published files, beside its archive page; False when the
    draft drew none."""
    drawn = (
        f"editions/{view.key}/{view.lang}/{card_file_name(view.key, view.lang, None, LANDSCAPE)}"
    )
    if not files.exists(drawn):
        return False
    files.copy(drawn, card_path(root, view.lang, view.key))
    return True


def open_graph(view: EditionView, description: str, settings: Settings, card: bool) -> OpenGraph:
    """The page's link preview: the published card's absolute URL (where the public archive has
    it once the edition is sent), with the same alt text as the social posts' card."""
    base = settings.web.base_url.rstrip("/")
    image = f"{base}/{card_path(ARCHIVE, view.lang, view.key)}" if card else None
    alt = card_alt(view.lang, settings, view.name, view.month, view.organisation) if card else ""
    return OpenGraph(view.archive_url, description, _og_locale(view.html_lang), image, alt)


def _fonts(lang: str) -> str:
    return ARABIC_FONTS if lang.split("_")[0] == "ar" else SYSTEM_FONTS


def _entries(files: PublishedFiles, lang_dir: str) -> list[dict[str, str]]:
    entries = []
    for name in files.listdir(lang_dir)[1]:
        if not name.endswith(".json"):
            continue
        try:
            entries.append(json.loads(files.read_text(f"{lang_dir}/{name}")))
        except (OSError, ValueError):
            continue  # a damaged entry is skipped; its page is rewritten on the next draft
    return sorted(entries, key=lambda e: e["key"], reverse=True)


def preview_archive_dir(out_dir: Path) -> Path:
    """Where drafts write their archive pages in a local ``out`` folder (same layout)."""
    return out_dir / PREVIEW_ARCHIVE


def _chrome(view: EditionView) -> dict[str, str]:
    """What the index pages and the feed need of an edition's look, kept in its ``.json``."""
    return {
        "html_lang": view.html_lang,
        "dir": view.dir,
        "fonts": view.fonts,
        "brand_color": view.brand_color,
        "accent_color": view.accent_color,
        "name": view.name,
        "organisation": view.organisation,
    }


def _files(target: PublishedFiles | Path) -> PublishedFiles:
    return target if isinstance(target, PublishedFiles) else PublishedFiles(str(target))


def write_archive(
    view: EditionView,
    preheader: str,
    title: str,
    settings: Settings,
    files: PublishedFiles | Path,
    *,
    root: str = ARCHIVE,
) -> ArchivePaths:
    """Write (or rewrite) the page of ``view`` and rebuild its language's index and feed.

    ``files``: the published files (a local folder may be given as a Path); ``root``: the archive
    folder in them (default the public one); drafts write to :data:`PREVIEW_ARCHIVE` and
    :func:`publish_pages` copies their pages to the public one once sent.
    """
    files = _files(files)
    lang_dir = f"{root}/{view.lang}"
    og = open_graph(view, preheader, settings, _publish_card(files, root, view))
    page = files.write_text(f"{lang_dir}/{view.key}.html", render_page(view, og))
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
    files.write_text(
        f"{lang_dir}/{view.key}.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    )
    return ArchivePaths(page, *_rebuild(files, root, view.lang, settings, _chrome(view)))


def publish_pages(
    settings: Settings, files: PublishedFiles | Path, key: str, langs: list[str]
) -> list[ArchivePaths]:
    """Copy edition ``key``'s previewed pages of ``langs`` into the public archive and rebuild its
    indexes and feeds. RenderError naming the languages whose preview page is missing."""
    files = _files(files)
    missing = [
        lang
        for lang in langs
        if not files.exists(f"{PREVIEW_ARCHIVE}/{lang}/{key}.html")
        or not files.exists(f"{PREVIEW_ARCHIVE}/{lang}/{key}.json")
    ]
    if missing:
        raise RenderError(
            f"edition {key!r} has no archive page for {', '.join(missing)} in "
            f"{files.location(PREVIEW_ARCHIVE)}; draft it again (`hrc-outreach edition draft "
            f"--edition {key}`), then publish"
        )
    publish_brand(files)  # the logo the emails show (render.brand)
    out = []
    for lang in langs:
        page = ""
        for suffix in (".html", ".json", ".png"):
            src = f"{PREVIEW_ARCHIVE}/{lang}/{key}{suffix}"
            if suffix == ".png" and not files.exists(src):
                continue  # drafted without cards: the page names no og:image
            dst = files.copy(src, f"{ARCHIVE}/{lang}/{key}{suffix}")
            page = page or dst
        meta = json.loads(files.read_text(f"{ARCHIVE}/{lang}/{key}.json"))
        out.append(ArchivePaths(page, *_rebuild(files, ARCHIVE, lang, settings, meta["chrome"])))
    return out


def _rebuild(
    files: PublishedFiles, root: str, lang: str, settings: Settings, chrome: dict[str, str]
) -> tuple[str, str, str]:
    """The index page and feed of ``lang``, and the root page listing languages, from the entries."""
    lang_dir = f"{root}/{lang}"
    entries = _entries(files, lang_dir)
    languages = files.listdir(root)[0]
    env = environment(lang)
    common = {**chrome, "editions": entries}
    others = [
        (code, html_lang(code), language_name(code, code), text_direction(code))
        for code in languages
        if code != lang
    ]
    index = files.write_text(
        f"{lang_dir}/index.html",
        env.get_template("web/index.html.j2").render(languages=others, prefix="../", **common),
    )
    base = settings.web.base_url.rstrip("/")
    feed = files.write_text(
        f"{lang_dir}/feed.atom",
        env.get_template("web/feed.xml.j2").render(
            feed_url=f"{base}/archive/{lang}/feed.atom",
            index_url=f"{base}/archive/{lang}/index.html",
            updated=max(e["updated"] for e in entries),
            **common,
        ),
    )
    src = settings.i18n.source_language
    root_page = files.write_text(
        f"{root}/index.html",
        environment(src)
        .get_template("web/index.html.j2")
        .render(
            html_lang=html_lang(src),
            dir=text_direction(src),
            fonts=_fonts(src),
            brand_color=chrome["brand_color"],
            accent_color=chrome["accent_color"],
            name=chrome["name"],
            organisation=chrome["organisation"],
            editions=[],
            prefix="",
            languages=[
                (c, html_lang(c), language_name(c, c), text_direction(c)) for c in languages
            ],
        ),
    )
    return index, feed, root_page
