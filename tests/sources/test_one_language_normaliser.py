"""Feeds, spreadsheets and PO files name languages through the one normaliser
(:func:`hrc_outreach.languages.normalise_language`): every spelling it knows, they know."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from hrc_outreach.config import DEFAULT_LANGUAGES, SourceConfig
from hrc_outreach.i18n.po import import_po
from hrc_outreach.languages import normalise_language
from hrc_outreach.sources.feed import normalize_language
from hrc_outreach.sources.spreadsheet import SpreadsheetSource
from hrc_outreach.store import Store
from tests.sources.readers import context_for

SPELLINGS = [
    *(v for lang in DEFAULT_LANGUAGES for v in (lang, lang.upper(), lang.replace("_", "-").lower())),
    "pt", "PT-br", "fr-BE", "EN_gb", "nl-be", "uk-UA", "ar-MA",
]  # fmt: skip


@pytest.mark.parametrize("tag", SPELLINGS)
def test_a_feed_tag_means_what_the_normaliser_says(tag: str) -> None:
    assert normalize_language(tag, DEFAULT_LANGUAGES) == normalise_language(tag, DEFAULT_LANGUAGES)


def test_a_feed_tag_of_an_unconfigured_language_keeps_its_primary_subtag() -> None:
    assert normalize_language("sv-SE", ["en"]) == "sv"
    assert normalize_language("x-klingon-1", ["en"]) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("FR", "fr"), ("fr-BE", "fr"), ("Français", "fr"), ("pt", "pt_PT"), ("Arabic", "ar"),
     ("sv", "sv"), ("", "en")],
)  # fmt: skip
def test_a_spreadsheet_language_cell_is_normalised(
    tmp_path: Path, cell: str, expected: str
) -> None:
    (tmp_path / "sheet.csv").write_text(f"Title;Language\nA practice;{cell}\n", encoding="utf-8")
    config = SourceConfig(name="sheet", kind="spreadsheet", path=Path("sheet.csv"), language="en")
    out = asyncio.run(SpreadsheetSource().collect(config, context_for(tmp_path)))
    assert [i.language for i in out.items] == [expected]


@pytest.mark.parametrize("spelling", ["pt", "PT-pt", "pt_PT", "Português"])
def test_a_po_file_language_is_normalised(tmp_path: Path, spelling: str) -> None:
    buf = BytesIO()
    write_po(buf, Catalog(locale=None))
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        report = import_po(
            buf.getvalue(), store, path="x.po", lang=spelling, languages=["en", "pt_PT"]
        )
    finally:
        store.dispose()
    assert report.lang == "pt_PT", report.errors
