"""The spreadsheet source on the bundled export and on sheets written here."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ItemKind
from hrc_outreach.sources.base import SourceOutput
from hrc_outreach.sources.spreadsheet import SpreadsheetSource
from tests.conftest import ROOT
from tests.sources.readers import context_for

SAMPLE = ROOT / "samples" / "practices.csv"
COLUMNS = {"title": "Practice", "summary": "Description", "city": "City", "country": "Country",
           "session": "Session", "tags": "Tags", "url": "Link", "date": "Date added"}


def collect(base: Path, name: str = "sheet.csv", **options: object) -> SourceOutput:
    config = SourceConfig(name="sheet", kind="spreadsheet", path=Path(name),
                          item_kind="practice", **options)
    return asyncio.run(SpreadsheetSource().collect(config, context_for(base)))


def write(base: Path, text: str, encoding: str = "utf-8") -> None:
    (base / "sheet.csv").write_bytes(text.encode(encoding))


def test_bundled_export_with_bom_and_semicolons(tmp_path: Path) -> None:
    assert SAMPLE.read_bytes().startswith(b"\xef\xbb\xbf")
    shutil.copy(SAMPLE, tmp_path / "sheet.csv")
    out = collect(tmp_path, key="ID", columns=COLUMNS)
    assert out.warnings == ()
    assert len(out.items) == 4
    graz = out.items[0]
    assert graz.source_key == "P-001"  # the BOM is not part of the first header
    assert (graz.title, graz.city, graz.country) == ("Human Rights Council of Graz", "Graz", "AT")
    assert graz.tags == ("monitoring", "reporting")
    assert graz.published_at == datetime(2026, 10, 14, tzinfo=UTC)
    assert graz.summary.startswith("<p>Graz, the first")
    assert graz.session == "Human Rights in the City" and graz.kind is ItemKind.PRACTICE
    assert {i.country for i in out.items} == {"AT", "GB", "ES", "NL"}


def test_commas_and_headers_named_like_fields(tmp_path: Path) -> None:
    write(tmp_path, 'Title,City,Country,Summary\nA,Lyon,France,"One, two"\nB,Gent,BE,Three\n')
    out = collect(tmp_path)
    assert [(i.title, i.country) for i in out.items] == [("A", "FR"), ("B", "BE")]
    assert out.items[0].summary == "<p>One, two</p>"
    assert out.items[0].source_key.startswith("row:")


def test_bad_rows_are_warnings_naming_the_line(tmp_path: Path) -> None:
    write(tmp_path, "ID;Practice;Country;Date added\n"
                    "1;Good;Belgium;01/10/2026\n"
                    "2;;Belgium;\n"
                    "3;Bad country;Atlantis;\n"
                    "4;Bad date;Belgium;sometime\n"
                    ";No key;Belgium;\n"
                    "1;Same key;Belgium;\n"
                    "7;Too many;Belgium;;extra\n"
                    "\n"
                    "8;Also good;Italy;2026-10-02\n")
    out = collect(tmp_path, key="ID",
                  columns={"title": "Practice", "country": "Country", "date": "Date added"})
    assert [i.title for i in out.items] == ["Good", "Also good"]
    assert [w.split(" skipped")[0] for w in out.warnings] == [
        "line 3", "line 4", "line 5", "line 6", "line 7", "line 8"]
    assert "Atlantis" in out.warnings[1] and "sometime" in out.warnings[2]


def test_identity_without_key_is_a_hash_of_the_mapped_values(tmp_path: Path) -> None:
    write(tmp_path, "Title;City;Note\nA;Lyon;x\n")
    first = collect(tmp_path).items[0]
    write(tmp_path, "Title;City;Note\nA;Lyon;changed, but not mapped\n")
    assert collect(tmp_path).items[0].id == first.id
    write(tmp_path, "Title;City;Note\nA;Paris;x\n")
    assert collect(tmp_path).items[0].id != first.id


def test_windows_1252_export_is_read_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "Title;City\nPractice;Liège\n", encoding="cp1252")
    out = collect(tmp_path)
    assert out.items[0].city == "Liège" and "Windows-1252" in out.warnings[0]


def test_events_from_a_sheet(tmp_path: Path) -> None:
    write(tmp_path, "Title;Start;Zone;Kind\nForum;2027-02-10 09:30;Europe/Brussels;event\n"
                    "No start;;;event\n")
    out = collect(tmp_path, columns={"title": "Title", "start": "Start", "timezone": "Zone",
                                     "kind": "Kind"})
    assert out.items[0].start == datetime(2027, 2, 10, 8, 30, tzinfo=UTC)
    assert out.items[0].kind is ItemKind.EVENT
    assert out.warnings == ("line 3 skipped: an event needs a start",)


def test_html_cells_are_sanitised(tmp_path: Path) -> None:
    write(tmp_path, 'Title;Summary;Url\nX;"<b>ok</b><script>x()</script>";javascript:alert(1)\n')
    item = collect(tmp_path).items[0]
    assert item.summary == "<b>ok</b>" and item.url is None


@pytest.mark.parametrize(
    ("text", "options", "match"),
    [
        ("", {}, "is empty"),
        ("Name;City\nA;B\n", {}, "no 'title' column"),
        ("Title;City\nA;B\n", {"columns": {"title": "Practice"}}, "Practice not in the header"),
        ("Title;City\nA;B\n", {"columns": {"titel": "Title"}}, "unknown fields titel"),
        ("Title;City\nA;B\n", {"key": "ID"}, "key column 'ID'"),
    ],
)
def test_unusable_sheets_are_clear_errors(tmp_path: Path, text: str, options: dict[str, object],
                                          match: str) -> None:
    write(tmp_path, text)
    with pytest.raises(SourceError, match=match):
        collect(tmp_path, **options)
