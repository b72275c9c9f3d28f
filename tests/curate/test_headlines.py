"""Headlines and summaries (issue 13): generated titles marked, staff headlines and summaries per
edition in editions/<key>.yaml, summaries cut cleanly, city aliases where places are shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import regex

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.curate import curate_edition
from hrc_outreach.curate.pins import load_choices, save_item_text
from hrc_outreach.curate.shown import ELLIPSIS, clean_cut
from hrc_outreach.errors import CurateError
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.sources.base import Document
from hrc_outreach.sources.digest import parse_digest_document
from hrc_outreach.sources.places import city_as_written
from hrc_outreach.sources.spreadsheet import parse_sheet
from hrc_outreach.store import Store
from hrc_outreach.store.items import get_item, upsert_items

KEY = "whrcf-digest:gwangju"


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    (tmp_path / "editions").mkdir()
    return Settings.model_validate({"newsletter": {"editions_dir": str(tmp_path / "editions")}})


def _practice(**kw: object) -> ContentItem:
    data: dict[str, object] = {
        "id": item_id("whrcf-digest", "gwangju"),
        "source": "whrcf-digest",
        "source_key": "gwangju",
        "kind": ItemKind.PRACTICE,
        "title": "The city of Gwangju has established a system",
        "title_generated": True,
        "summary": "<p>The city of Gwangju has established a system, with care for all.</p>",
        "language": "en",
        "city": "Nikolaev",
        "country": "UA",
        "published_at": datetime(2026, 11, 10, 9, tzinfo=UTC),
    }
    data.update(kw)
    return ContentItem.model_validate(data)


def _put(store: Store, *items: ContentItem) -> None:
    with store.session() as s:
        upsert_items(s, items)


def _yaml(cfg: Settings, text: str) -> Path:
    path = cfg.resolve(cfg.newsletter.editions_dir) / "2026-12.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _doc(text: str, name: str) -> Document:
    return Document(content=text.encode(), base_url="")


def test_digest_titles_made_from_the_first_clause_are_marked(tmp_path: Path) -> None:
    text = (
        "The 13th WHRCF\n\nGwangju, Republic of Korea\n\n"
        "Gwangju integrated Care programme: the programme aims at care for all.\n\n"
        "Warsaw, Poland\n\n"
        "The city of Warsaw has established a system, including a market, to help residents.\n"
    )
    config = SourceConfig(name="d", kind="digest", path=Path("d.txt"), item_kind="practice")
    out = parse_digest_document(_doc(text, "d.txt"), config, "en")
    marked = {i.title: i.title_generated for i in out.items}
    assert marked == {
        "Gwangju integrated Care programme": False,  # the author's own title, before the colon
        "The city of Warsaw has established a system": True,
    }


def test_spreadsheet_titles_made_from_the_summary_are_marked() -> None:
    csv = "ID,Practice,Description\n1,Own title,Text one.\n2,,A row without a title. It has text.\n"
    config = SourceConfig(
        name="s",
        kind="spreadsheet",
        path=Path("s.csv"),
        item_kind="practice",
        key="ID",
        columns={"title": "Practice", "summary": "Description"},
    )
    out = parse_sheet(_doc(csv, "s.csv"), config, "en")
    assert {i.title: i.title_generated for i in out.items} == {
        "Own title": False,
        "A row without a title": True,
    }


def test_staff_headline_and_summary_replace_the_sources_in_this_edition_only(
    store: Store, cfg: Settings
) -> None:
    _put(store, _practice())
    _yaml(
        cfg,
        f"headlines:\n  {KEY}: Gwangju cares for everyone\nsummaries:\n  {KEY}: |\n"
        "    Care for every resident.\n\n    Second paragraph & more.\n",
    )
    with store.session() as s:
        ed = curate_edition(s, cfg, "2026-12")
        (item,) = ed.items
        assert item.title == "Gwangju cares for everyone" and not item.title_generated
        assert item.summary == "<p>Care for every resident.</p><p>Second paragraph &amp; more.</p>"
        stored = get_item(s, item.id)
        assert stored is not None and stored.title.startswith("The city of Gwangju")
        assert stored.title_generated


def test_choices_name_a_stored_item_and_have_the_right_shape(store: Store, cfg: Settings) -> None:
    _put(store, _practice())
    for text, message in (
        ("headlines:\n  nosuch:item: X\n", "names no stored item"),
        ("headlines: [a, b]\n", "must map item ids"),
        (f"summaries:\n  {KEY}: [1, 2]\n", "must be a reference and a text"),
        (f"headlines:\n  {KEY}: {'x' * 400}\n", "at most 300"),
        ("titles:\n  a: b\n", "unknown key"),
    ):
        path = _yaml(cfg, text)
        with store.session() as s, pytest.raises(CurateError, match=message) as err:
            curate_edition(s, cfg, "2026-12")
        assert str(path) in str(err.value)


def test_save_item_text_keeps_pins_and_excludes_and_removes_with_empty(cfg: Settings) -> None:
    path = _yaml(cfg, "pin:\n  - a:b\nexclude:\n  - c:d\n")
    saved = save_item_text(path, KEY, headline="  A   headline\n", summary="One.\n\nTwo.")
    assert saved.pin == ("a:b",) and saved.exclude == ("c:d",)
    assert saved.headlines == {KEY: "A headline"} and saved.summaries == {KEY: "One.\n\nTwo."}
    assert load_choices(path).headlines == {KEY: "A headline"}
    cleared = save_item_text(path, KEY, headline="", summary="")
    assert cleared.headlines == {} and cleared.summaries == {} and cleared.pin == ("a:b",)
    assert "headlines" not in path.read_text(encoding="utf-8")
    path.write_text("pin: [unclosed\n", encoding="utf-8")
    with pytest.raises(CurateError, match="not readable YAML"):
        save_item_text(path, KEY, headline="x", summary="")
    assert path.read_text(encoding="utf-8") == "pin: [unclosed\n"  # never overwritten


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        (
            "One sentence. Another, much longer sentence follows here.",
            30,
            "One sentence. Another, much…",
        ),
        ("Short enough.", 30, "Short enough."),
        ("First one is here. Second one is long and goes on and on.", 34, "First one is here."),
        (
            "First one is here. Second one is long and goes on and on.",
            40,
            "First one is here. Second one is long…",
        ),
        ("Supercalifragilisticexpialidocious words", 20, "Supercalifragilisti…"),
        ("Words, words, words: and more words here", 24, "Words, words, words…"),
    ],
)
def test_clean_cut(text: str, limit: int, cut: str) -> None:
    assert clean_cut(text, limit) == cut
    assert len(clean_cut(text, limit)) <= limit


@pytest.mark.parametrize(
    "text",
    [
        "Familles " + "👩‍👩‍👧‍👦" * 40,  # a family emoji is 7 code points, one grapheme
        "Flags " + "🇺🇦🇧🇪" * 30,
        "Cafe\u0301 " * 40,  # e + combining accent
        "حقوق الإنسان في المدن " * 20,
        "ନିଜ ଅଧିକାର " * 30,  # Odia: vowel signs and virama
    ],
)
def test_clean_cut_never_splits_a_grapheme(text: str) -> None:
    for limit in range(40, 90, 7):
        cut = clean_cut(text, limit)
        assert len(cut) <= limit and cut.endswith(ELLIPSIS)
        body = cut.removesuffix(ELLIPSIS)
        # every grapheme of the cut is a grapheme of the text at the same place
        assert (
            regex.findall(r"\X", body)
            == regex.findall(r"\X", text)[: len(regex.findall(r"\X", body))]
        )


def test_long_summaries_are_cut_in_the_edition(store: Store, cfg: Settings) -> None:
    long = "<p>" + "A sentence about care for all. " * 40 + "</p>"
    _put(store, _practice(summary=long))
    short = cfg.model_copy(
        update={"curate": cfg.curate.model_copy(update={"summary_max_chars": 100})}
    )
    with store.session() as s:
        (item,) = curate_edition(s, short, "2026-12").items
    assert item.summary.startswith("<p>A sentence about care for all.")
    text = item.summary.removeprefix("<p>").removesuffix("</p>")
    assert len(text) <= 100 and text.endswith(".")


def test_city_aliases() -> None:
    aliases = {"Nikolaev": "Mykolaiv", "Kiev": "Kyiv"}
    assert city_as_written("Nikolaev", aliases) == "Mykolaiv"
    assert city_as_written(" nikoláev ", aliases) == "Mykolaiv"
    assert city_as_written("Kyiv", aliases) == "Kyiv"
    assert city_as_written("Gwangju", aliases) == "Gwangju"
    assert city_as_written(None, aliases) is None


HOSTILE = (
    "<script>alert(1)</script> {{ params.x }} {% if 1 %}x{% endif %} [[unsubscribe_url]] "
    "{{contact.EMAIL}} -unsubscribe- &amp; <b>bold</b>"
)


def test_hostile_staff_headline_and_summary_stay_inert(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _put(store, _practice())
    (cfg.resolve(cfg.newsletter.editions_dir) / "2026-12.yaml").write_text(
        __import__("yaml").safe_dump({"headlines": {KEY: HOSTILE}, "summaries": {KEY: HOSTILE}}),
        encoding="utf-8",
    )
    aliased = cfg.model_copy(
        update={"curate": cfg.curate.model_copy(update={"place_aliases": {"Nikolaev": "Mykolaiv"}})}
    )
    result = draft_edition(aliased, store, "2026-12", ["en", "ar"], tmp_path / "out")
    for lang, msg in result.messages.items():
        assert "<script>" not in msg.html and "<b>bold" not in msg.html, lang
        for part in (msg.html, msg.text, msg.subject, msg.preheader):
            assert "{{ params.x }}" not in part and "{%" not in part and "{{contact" not in part
            assert "[[unsubscribe_url]]" not in part
        assert "&lt;script&gt;" in msg.html or "&amp;lt;script" in msg.html
        assert "Mykolaiv" in msg.html and "Nikolaev" not in msg.html, lang
        assert "Mykolaiv" in msg.text, lang
        posts = " ".join(p.text for p in msg.social)
        assert "Mykolaiv" in posts and "Nikolaev" not in posts, lang


def test_concurrent_saves_lose_no_change(cfg: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = _yaml(cfg, "pin:\n  - a:b\n")
    refs = [f"src:item-{n}" for n in range(24)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda r: save_item_text(path, r, headline=f"H {r}", summary=""), refs))
    saved = load_choices(path)
    assert saved.headlines == {r: f"H {r}" for r in refs} and saved.pin == ("a:b",)


def test_staff_text_replaces_the_sources_own_translations_and_cuts_them_too(
    store: Store, cfg: Settings
) -> None:
    from hrc_outreach.i18n.policy import localize_edition
    from hrc_outreach.models import ItemText

    long_fr = "<p>" + "Une phrase sur les soins pour tous. " * 40 + "</p>"
    _put(
        store, _practice(translations={"fr": ItemText(title="Titre de la source", summary=long_fr)})
    )
    with store.session() as s:
        (item,) = curate_edition(s, cfg, "2026-12").items
    assert item.translations["fr"].title == "Titre de la source"
    fr = html_text = item.translations["fr"].summary
    assert len(fr) < len(long_fr) and html_text.endswith(".</p>")

    _yaml(cfg, f"headlines:\n  {KEY}: Gwangju cares for everyone\n")
    with store.session() as s:
        ed = curate_edition(s, cfg, "2026-12")
    (li,) = localize_edition(ed, "fr").items
    assert li.title == "Gwangju cares for everyone"  # not the stale "Titre de la source"
    assert li.untranslated  # shown as written, labelled, until someone translates it
