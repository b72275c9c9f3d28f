"""The web archive: a page per edition and language, an index and an Atom feed per language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Edition
from hrc_outreach.render.archive import write_archive
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.view import build_view

ATOM = "{http://www.w3.org/2005/Atom}"


def _write(edition: Edition, settings: Settings, out: Path, lang: str):  # type: ignore[no-untyped-def]
    view = build_view(localize_all(edition, [lang], settings=settings)[lang], settings)
    return write_archive(view, "preheader", f"title {edition.key}", settings, out)


def test_page_index_and_feed(edition: Edition, settings: Settings, tmp_path: Path) -> None:
    older = edition.model_copy(update={"key": "2026-11"})
    _write(older, settings, tmp_path, "en")
    paths = _write(edition, settings, tmp_path, "en")
    page = parse_html(Path(paths.page).read_text(encoding="utf-8"))
    assert page.find("html").attrs["lang"] == "en"  # type: ignore[union-attr]
    assert "Singkawang, a city of tolerance" in page.text()
    assert "[[unsubscribe_url]]" not in Path(paths.page).read_text(encoding="utf-8")
    index = Path(paths.index).read_text(encoding="utf-8")
    assert index.index('href="2026-12.html"') < index.index('href="2026-11.html"')  # newest first
    feed = ET.parse(paths.feed).getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["title 2026-12", "title 2026-11"]
    assert entries[0].find(f"{ATOM}link").attrib["href"] == (  # type: ignore[union-attr]
        "https://outreach.humanrightscities.net/archive/en/2026-12.html"
    )
    assert feed.findtext(f"{ATOM}updated") == "2026-12-01T09:00:00+01:00"  # no clock


def test_arabic_page_is_rtl_and_root_lists_languages(
    edition: Edition, settings: Settings, tmp_path: Path
) -> None:
    _write(edition, settings, tmp_path, "en")
    paths = _write(edition, settings, tmp_path, "ar")
    doc = parse_html(Path(paths.page).read_text(encoding="utf-8"))
    for tag in ("html", "body"):
        assert doc.find(tag).attrs["dir"] == "rtl"  # type: ignore[union-attr]
    english = [n for n in doc.find_all("h3", "div") if n.attrs.get("lang") == "en"]
    # 5 titles, 5 summaries and the staff intro, all English
    assert len(english) == 11 and all(n.attrs.get("dir") == "ltr" for n in english)
    assert all("lang" not in n.attrs for n in doc.find_all("article"))  # cards mirror as a whole
    root = Path(paths.root).read_text(encoding="utf-8")
    assert 'href="ar/index.html"' in root and 'href="en/index.html"' in root
    assert "العربية" in root
