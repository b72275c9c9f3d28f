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
    config = SourceConfig(
        name="updates",
        kind="markdown",
        path=Path(folder),
        item_kind="project_update",
        tags=("hrcn",),
        **options,
    )
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
        assert (
            datetime(2026, 9, 1, tzinfo=UTC)
            <= item.published_at
            <= datetime(  # type: ignore[operator]
                2026, 11, 30, tzinfo=UTC
            )
        )


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
    assert names == [
        "bad-country.md",
        "bad-date.md",
        "bad-yaml.md",
        "latin1.md",
        "no-end.md",
        "no-title.md",
    ]
    assert any("not valid YAML" in w for w in out.warnings)
    assert any("no closing" in w for w in out.warnings)


def test_events_from_markdown(tmp_path: Path) -> None:
    write(
        tmp_path,
        "forum.md",
        """---
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
""",
    )
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
    write(
        tmp_path,
        "x.md",
        "---\ntitle: X\nurl: https://humanrightscities.net/news/x\n---\n"
        "Intro.\n\n<script>alert(1)</script>\n\n[more](../more) "
        "<img src=x onerror=alert(1)>\n",
    )
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


# Front matter written by hand, with values of the wrong shape (issue 10): every such value is
# either refused with the file named and skipped, or ignored with a note naming file and field;
# none reaches a reader as a Python repr, a published draft, a wrong all-day flag or a bad lang.


def _one(tmp_path: Path, front: str, name: str = "x.md") -> SourceOutput:
    write(tmp_path, name, f"---\n{front}\n---\nThe body.\n")
    return collect(tmp_path)


@pytest.mark.parametrize(
    "title", ["[Leuven, joins]", "{name: Leuven}", "true", "", "null", "[]", "\n  - a\n  - b"]
)
def test_a_title_that_is_not_one_line_skips_the_file(tmp_path: Path, title: str) -> None:
    write(tmp_path, "good.md", "---\ntitle: Good\n---\n")
    out = _one(tmp_path, f"title: {title}")
    assert [i.title for i in out.items] == ["Good"]
    assert len(out.warnings) == 1 and out.warnings[0].startswith("x.md skipped: title: ")
    assert "[" not in out.warnings[0].split("title: ", 1)[1]  # no Python repr of the value


@pytest.mark.parametrize(
    ("draft", "published"),
    [("true", False), ('"true"', False), ("'True'", False), ("yes", False), ("YES", False),
     ("1", False), ("on", False), ("false", True), ('"false"', True), ("no", True), ("0", True),
     ("off", True)],
)  # fmt: skip
def test_draft_as_people_write_it(tmp_path: Path, draft: str, published: bool) -> None:
    out = _one(tmp_path, f"title: T\ndraft: {draft}")
    assert out.warnings == ()
    assert [i.title for i in out.items] == (["T"] if published else [])


@pytest.mark.parametrize("draft", ['"maybe"', "[true]", "{a: 1}", "2", "later"])
def test_an_unreadable_draft_flag_never_publishes(tmp_path: Path, draft: str) -> None:
    out = _one(tmp_path, f"title: T\ndraft: {draft}")
    assert out.items == ()
    assert out.warnings[0].startswith("x.md skipped: draft: must be true or false")


@pytest.mark.parametrize(
    ("all_day", "start", "expected", "noted"),
    [('"false"', "2027-02-10", False, False), ('"true"', "2027-02-10T09:30:00", True, False),
     ("false", "2027-02-10T09:30:00", False, False), ("no", "2027-02-10", False, False),
     (None, "2027-02-10", True, False), (None, "2027-02-10T09:30:00", False, False),
     (None, '"2027-02-10"', True, False), ('"sometimes"', "2027-02-10T09:30:00", False, True),
     ("[true]", "2027-02-10", True, True)],
)  # fmt: skip
def test_all_day(
    tmp_path: Path, all_day: str | None, start: str, expected: bool, noted: bool
) -> None:
    line = f"\nall_day: {all_day}" if all_day is not None else ""
    out = _one(tmp_path, f"title: E\nkind: event\nstart: {start}{line}")
    assert out.items[0].all_day is expected
    if noted:
        assert out.warnings == (out.warnings[0],)
        assert out.warnings[0].startswith("x.md: all_day ignored: must be true or false")
    else:
        assert out.warnings == ()


@pytest.mark.parametrize(
    ("tags", "expected"),
    [("[a, b]", ("a", "b", "hrcn")), ('"a, b ,, c"', ("a", "b", "c", "hrcn")),
     ("[2026, forum]", ("2026", "forum", "hrcn")), ("[]", ("hrcn",))],
)  # fmt: skip
def test_tags(tmp_path: Path, tags: str, expected: tuple[str, ...]) -> None:
    out = _one(tmp_path, f"title: T\ntags: {tags}")
    assert out.warnings == () and out.items[0].tags == expected


@pytest.mark.parametrize("tags", ["{a: 1, b: 2}", "[a, {b: c}]", "[[a, b]]", "true", "[yes, true]"])
def test_tags_of_the_wrong_shape_are_ignored_with_a_note(tmp_path: Path, tags: str) -> None:
    out = _one(tmp_path, f"title: T\ntags: {tags}")
    assert out.items[0].tags == ("hrcn",)
    assert len(out.warnings) == 1 and out.warnings[0].startswith("x.md: tags ignored: ")


@pytest.mark.parametrize(
    "given", ["fr", "fr-BE", "fr_BE", "FR", "Français", "français", "French", "FR-be"]
)
def test_language_is_normalised_as_the_subscriber_import_does(tmp_path: Path, given: str) -> None:
    out = _one(tmp_path, f"title: T\nlanguage: {given}")
    assert out.warnings == () and out.items[0].language == "fr"


@pytest.mark.parametrize("given", ["Klingon", "xx", "[fr, en]", "{fr: 1}", "true"])
def test_an_unknown_language_is_ignored_and_left_to_detection(tmp_path: Path, given: str) -> None:
    out = _one(tmp_path, f"title: T\nlanguage: {given}")
    assert out.items[0].language == "unknown"  # gather detects it from the text, when it can
    assert len(out.warnings) == 1 and out.warnings[0].startswith("x.md: language ignored: ")


def test_translation_languages_are_normalised_and_bad_ones_ignored(tmp_path: Path) -> None:
    out = _one(
        tmp_path,
        """title: T
translations:
  Français: {title: "Le titre", summary: "Un *résumé*."}
  ar-MA: {title: عنوان}
  Klingon: {title: Qapla}
  nl: [a, list]
  de: {summary: "no title"}
  it: {title: [a, list]}""",
    )
    item = out.items[0]
    assert set(item.translations) == {"fr", "ar"}
    assert item.translations["fr"].summary == "<p>Un <em>résumé</em>.</p>"
    notes = sorted(w.split(" ignored")[0] for w in out.warnings)
    assert notes == [
        "x.md: translations.Klingon",
        "x.md: translations.de",
        "x.md: translations.it",
        "x.md: translations.nl",
    ]


@pytest.mark.parametrize("translations", ["[fr, ar]", "just text", "true"])
def test_translations_not_a_mapping_are_ignored(tmp_path: Path, translations: str) -> None:
    out = _one(tmp_path, f"title: T\ntranslations: {translations}")
    assert out.items[0].translations == {}
    assert out.warnings[0].startswith("x.md: translations ignored: must map a language")


def test_country_no_is_norway_not_false(tmp_path: Path) -> None:
    out = _one(tmp_path, "title: T\ncountry: NO\ncity: Oslo")
    assert out.warnings == () and (out.items[0].city, out.items[0].country) == ("Oslo", "NO")


OPTIONAL_TEXT = ["project", "city", "region", "session", "url", "image", "image_alt", "summary",
                 "location", "online_url", "registration_url"]  # fmt: skip
HOSTILE = ["[a, b]", "{a: b}", "true", "[[nested]]", "{a: [1, {b: 2}]}"]


@pytest.mark.parametrize("field", OPTIONAL_TEXT)
@pytest.mark.parametrize("value", HOSTILE)
def test_optional_text_of_the_wrong_shape_is_ignored_with_a_note(
    tmp_path: Path, field: str, value: str
) -> None:
    out = _one(tmp_path, f"title: T\nkind: event\nstart: 2027-02-10\n{field}: {value}")
    item = out.items[0]
    assert out.warnings == (out.warnings[0],)
    assert out.warnings[0].startswith(f"x.md: {field} ignored: must be ")
    for name, shown in item.model_dump().items():
        text = str(shown)
        if isinstance(shown, str):
            assert "{'" not in text and "['" not in text and text != "True", (name, text)


FATAL_FIELDS = ["title", "kind", "draft", "date", "updated", "start", "end", "timezone", "country"]


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f in FATAL_FIELDS for v in HOSTILE if (f, v) != ("draft", "true")],  # a real draft
)
def test_essential_fields_of_the_wrong_shape_skip_the_file(
    tmp_path: Path, field: str, value: str
) -> None:
    base = {"title": "T", "kind": "event", "start": "2027-02-10T10:00:00"}
    base[field] = value
    write(tmp_path, "good.md", "---\ntitle: Good\n---\n")
    out = _one(tmp_path, "\n".join(f"{k}: {v}" for k, v in base.items()))
    assert [i.title for i in out.items] == ["Good"], out.warnings
    assert len(out.warnings) == 1 and out.warnings[0].startswith(f"x.md skipped: {field}")


def test_an_end_before_the_start_skips_the_file(tmp_path: Path) -> None:
    out = _one(tmp_path, "title: E\nkind: event\nstart: 2027-02-10T10:00\nend: 2027-02-09T10:00")
    assert out.items == () and "end is before start" in out.warnings[0]
