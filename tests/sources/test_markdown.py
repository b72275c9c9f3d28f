"""The markdown source on the bundled project updates and on files written here."""

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
from hrc_outreach.sources.markdown import MarkdownSource, split_front_matter
from tests.conftest import ROOT
from tests.sources.readers import context_for

PROJECTS = ROOT / "samples" / "projects"


def collect(base: Path, folder: str = "md", **options: object) -> SourceOutput:
    config = SourceConfig(name="updates", kind="markdown", path=Path(folder),
                          item_kind="project_update", tags=("hrcn",), **options)
    return asyncio.run(MarkdownSource().collect(config, context_for(base)))


def write(base: Path, name: str, text: str) -> None:
    path = base / "md" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_bundled_projects(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS, tmp_path / "md")
    out = collect(tmp_path)
    assert out.warnings == ()
    items = {i.project: i for i in out.items}
    assert set(items) == {"DARE", "CAREinCities", "DeCiDE"}
    decide = items["DeCiDE"]
    assert decide.kind is ItemKind.PROJECT_UPDATE
    assert decide.source_key == "decide-toolkit.md"
    assert (decide.city, decide.country) == ("Ghent", "BE")
    assert decide.published_at == datetime(2026, 10, 20, tzinfo=UTC)
    assert decide.tags == ("monitoring", "participation", "democracy", "hrcn")
    assert decide.image_alt and decide.image_url and decide.image_url.startswith("https://")
    assert "<li>" in decide.body and "<strong>DeCiDE</strong>" in decide.body
    assert decide.summary.startswith("<p>After two years")
    assert set(decide.translations) == {"fr", "ar"}
    assert decide.translations["ar"].title.startswith("مشروع")
    assert decide.translations["fr"].summary.startswith("<p>Après deux ans")
    assert "ar" in items["DARE"].translations and "fr" in items["CAREinCities"].translations
    for item in out.items:
        assert item.language == "en" and item.url and item.url.startswith("https://")
        assert datetime(2026, 9, 1, tzinfo=UTC) <= item.published_at <= datetime(  # type: ignore[operator]
            2026, 11, 30, tzinfo=UTC)


def test_identity_is_the_relative_path(tmp_path: Path) -> None:
    write(tmp_path, "2026/a.md", "---\ntitle: A\n---\nBody")
    first = collect(tmp_path).items[0]
    write(tmp_path, "2026/a.md", "---\ntitle: A, edited\n---\nBody")
    second = collect(tmp_path).items[0]
    assert first.source_key == "2026/a.md" and first.id == second.id
    assert first.title != second.title


def test_broken_front_matter_is_a_warning_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nText")
    write(tmp_path, "bad-yaml.md", "---\ntitle: [unclosed\n---\nText")
    write(tmp_path, "no-end.md", "---\ntitle: x\nText")
    write(tmp_path, "no-title.md", "---\ndate: 2026-10-01\n---\nText")
    write(tmp_path, "bad-date.md", "---\ntitle: D\ndate: someday\n---\nText")
    write(tmp_path, "bad-country.md", "---\ntitle: C\ncountry: Atlantis\n---\nText")
    write(tmp_path, "latin1.md", "")
    (tmp_path / "md" / "latin1.md").write_bytes("---\ntitle: Liège\n---\n".encode("latin-1"))
    out = collect(tmp_path)
    assert [i.title for i in out.items] == ["Good"]
    names = sorted(w.split(" ")[0] for w in out.warnings)
    assert names == ["bad-country.md", "bad-date.md", "bad-yaml.md", "latin1.md", "no-end.md",
                     "no-title.md"]
    assert any("not valid YAML" in w for w in out.warnings)
    assert any("no closing" in w for w in out.warnings)


def test_events_from_markdown(tmp_path: Path) -> None:
    write(tmp_path, "forum.md", """---
title: Human rights cities forum
kind: event
start: 2027-02-10T09:30:00
end: 2027-02-10T17:00:00
timezone: Europe/Brussels
location: Brussels
online_url: https://meet.jit.si/hrcn-forum
registration_url: javascript:alert(1)
---
Come.
""")
    item = collect(tmp_path).items[0]
    assert item.kind is ItemKind.EVENT
    assert item.start == datetime(2027, 2, 10, 8, 30, tzinfo=UTC)
    assert item.timezone == "Europe/Brussels" and item.location == "Brussels"
    assert item.online_url == "https://meet.jit.si/hrcn-forum"
    assert item.registration_url is None


def test_an_event_without_start_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "e.md", "---\ntitle: E\nkind: event\n---\n")
    out = collect(tmp_path)
    assert out.items == () and "needs a start" in out.warnings[0]


def test_body_is_sanitised_and_links_absolute(tmp_path: Path) -> None:
    write(tmp_path, "x.md", "---\ntitle: X\nurl: https://humanrightscities.net/news/x\n---\n"
                            "Intro.\n\n<script>alert(1)</script>\n\n[more](../more) "
                            "<img src=x onerror=alert(1)>\n")
    item = collect(tmp_path).items[0]
    assert "script" not in item.body and "onerror" not in item.body
    assert 'href="https://humanrightscities.net/more"' in item.body
    assert item.summary == "<p>Intro.</p>"


def test_unknown_keys_and_drafts(tmp_path: Path) -> None:
    write(tmp_path, "typo.md", "---\ntitel: Oops\ntitle: T\n---\n")
    write(tmp_path, "draft.md", "---\ntitle: Later\ndraft: true\n---\n")
    out = collect(tmp_path)
    assert [i.title for i in out.items] == ["T"]
    assert out.warnings == ("typo.md: unknown front matter keys ignored: titel",)


def test_region_and_language(tmp_path: Path) -> None:
    write(tmp_path, "s.md", "---\ntitle: S\ncountry: Scotland\nlanguage: fr\n---\n")
    item = collect(tmp_path).items[0]
    assert (item.country, item.region, item.language) == ("GB", "Scotland", "fr")


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        collect(tmp_path, "nowhere")


def test_split_front_matter_without_front_matter() -> None:
    assert split_front_matter("# Just text\n") == ({}, "# Just text\n")
