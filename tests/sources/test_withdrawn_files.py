"""A folder of Markdown files and a spreadsheet are whole sources: a file or row removed (or a file
turned back into a draft) is withdrawn, one that could not be read this time is not, and a sheet
with a row whose key cannot be told is not taken as a full picture at all."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hrc_outreach.config import Settings
from hrc_outreach.sources.gather import gather_sync
from hrc_outreach.store import Store
from hrc_outreach.store.items import list_items
from tests.conftest import ROOT


def settings_for(tmp_path: Path, source: dict[str, Any]) -> Settings:
    return Settings.model_validate(
        {"config_path": tmp_path / "outreach.toml", "sources": [{"language": "en", **source}]}
    )


def titles(store: Store, **kw: Any) -> list[str]:
    with store.session() as s:
        return sorted(i.title for i in list_items(s, **kw))


def gather(settings: Settings, store: Store) -> Any:
    report = gather_sync(settings, store)
    assert report.ok, report
    return report.sources[0]


def test_a_markdown_file_removed_or_made_a_draft_again_is_withdrawn(
    tmp_path: Path, sqlite_store: Store
) -> None:
    folder = tmp_path / "projects"
    shutil.copytree(ROOT / "samples" / "projects", folder)
    settings = settings_for(
        tmp_path,
        {"name": "projects", "kind": "markdown", "path": str(folder), "item_kind": "project_update"},
    )
    first = gather(settings, sqlite_store)
    assert first.new == 3
    before = titles(sqlite_store)
    files = sorted(folder.glob("*.md"))
    files[0].unlink()  # removed by staff
    text = files[1].read_text(encoding="utf-8")
    files[1].write_text(text.replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8")
    files[2].write_bytes(b"---\ntitle: [unclosed\n---\n\xff")  # unreadable this time
    report = gather(settings, sqlite_store)
    assert report.withdrawn == 2
    assert len(titles(sqlite_store)) == 1  # the unreadable file's item stays as it was
    assert titles(sqlite_store, include_withdrawn=True) == before


def test_a_spreadsheet_row_removed_is_withdrawn_unless_a_row_cannot_be_told_apart(
    tmp_path: Path, sqlite_store: Store
) -> None:
    sheet = tmp_path / "practices.csv"
    original = (ROOT / "samples" / "practices.csv").read_text(encoding="utf-8-sig")
    sheet.write_text(original, encoding="utf-8")
    settings = settings_for(
        tmp_path,
        {
            "name": "practices", "kind": "spreadsheet", "path": str(sheet),
            "item_kind": "practice", "key": "ID",
            "columns": {"title": "Practice", "summary": "Description", "city": "City",
                        "country": "Country", "url": "Link"},
        },
    )  # fmt: skip
    n = gather(settings, sqlite_store).new
    lines = original.splitlines()
    header, rows = lines[0], lines[1:]
    # a row whose key is blank: nobody can say which row it was, so nothing is withdrawn
    blank_key = ";" + rows[0].split(";", 1)[1]
    sheet.write_text("\n".join([header, blank_key, *rows[2:]]) + "\n", encoding="utf-8")
    assert gather(settings, sqlite_store).withdrawn == 0
    # every key readable, two rows removed: those two are withdrawn
    sheet.write_text("\n".join([header, *rows[2:]]) + "\n", encoding="utf-8")
    assert gather(settings, sqlite_store).withdrawn == 2
    assert len(titles(sqlite_store)) == n - 2
    # a row restored comes back
    sheet.write_text("\n".join([header, rows[0], *rows[2:]]) + "\n", encoding="utf-8")
    gather(settings, sqlite_store)
    assert len(titles(sqlite_store)) == n - 1
