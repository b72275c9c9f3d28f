"""The digest source on the seed digest (both copies), and on small digests written here."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind
from hrc_outreach.sources.base import SourceOutput
from hrc_outreach.sources.digest import DigestSource, looks_like_heading, practice_title
from hrc_outreach.sources.places import country_code, parse_place
from hrc_outreach.store import Store
from hrc_outreach.store.items import Upsert, upsert_items
from tests.conftest import ROOT
from tests.sources.readers import context_for

SEED = ROOT / "samples" / "whrcf-digest.txt"


def collect(base: Path, name: str = "digest.txt", **options: object) -> SourceOutput:
    config = SourceConfig(name="whrcf", kind="digest", path=Path(name), item_kind="practice",
                          **options)
    return asyncio.run(DigestSource().collect(config, context_for(base)))


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    shutil.copy(SEED, tmp_path / "digest.txt")
    return tmp_path


def by_city(items: tuple[ContentItem, ...]) -> dict[str | None, list[ContentItem]]:
    out: dict[str | None, list[ContentItem]] = {}
    for item in items:
        out.setdefault(item.city or item.region or item.country, []).append(item)
    return out


def test_seed_is_the_whole_digest_pasted_twice() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert text.count("Gwangju, Republic of Korea") == 2


def test_seed_gathers_into_17_practices(seed: Path) -> None:
    out = collect(seed)
    assert out.warnings == ()
    assert len(out.items) == 17
    assert len({i.id for i in out.items}) == 17
    print("\n" + "\n".join(f"{i.title} | {i.city} | {i.country} | {i.session}" for i in out.items))
    for item in out.items:
        assert item.kind is ItemKind.PRACTICE
        assert item.language == "en"
        assert item.country and len(item.country) == 2
        assert 0 < len(item.title.split()) <= 13, item.title
        assert item.title not in item.summary or len(item.title) < 100
        assert "@" not in item.summary


def test_seed_places_and_countries(seed: Path) -> None:
    places = by_city(collect(seed).items)
    assert places["Gwangju"][0].country == "KR"
    assert places["Eunpyeong-gu"][0].country == "KR"
    assert places["Nikolaev"][0].country == "UA"
    assert places["São Paulo"][0].country == "BR"
    assert places["Ciudad Juárez"][0].country == "MX"
    scotland = places["Scotland"][0]
    assert (scotland.city, scotland.region, scotland.country) == (None, "Scotland", "GB")
    assert len(places["Singkawang"]) == 1  # the national plan is not Singkawang's


def test_seed_titles(seed: Path) -> None:
    titles = {i.title: i for i in collect(seed).items}
    assert "Gwangju integrated Care programme" in titles
    assert "Kisumu County" in titles  # the stray "l " bullet is gone
    plan = titles["Indonesia 2025-2045 National Development Plan"]
    assert (plan.city, plan.country, plan.session) == (None, "ID", "Plenary Session")
    assert titles["Kisumu County"].city == "Kisumu"
    assert not any(t.startswith("l ") for t in titles)
    for item in titles.values():
        assert item.title[0].isupper(), item.title
        assert len(item.title) < len(item.summary)


def test_seed_sessions_and_context_tags(seed: Path) -> None:
    items = {i.title: i for i in collect(seed).items}
    gwangju = items["Gwangju integrated Care programme"]
    assert gwangju.session == "Roundtable"
    assert gwangju.tags == ("Roundtable", "The 13th WHRCF")
    sessions = {i.session for i in items.values()}
    assert sessions == {"Roundtable", "Plenary Session", "Human Rights in the City",
                        "Human Rights and Corruption",
                        "Eradication of Poverty through Human Rights Economy", None}
    makueni = [i for i in items.values() if i.city == "Makueni"][0]
    assert makueni.session is None and makueni.tags == ("The 13th WHRCF",)


def test_regathering_adds_none(seed: Path, store: Store) -> None:
    first = collect(seed).items
    with store.session() as session:
        result = upsert_items(session, first)
    again = collect(seed).items
    with store.session() as session:
        result2 = upsert_items(session, again)
    assert [i.id for i in first] == [i.id for i in again]
    assert result[Upsert.NEW] == 17
    assert result2[Upsert.NEW] == 0 and result2[Upsert.UPDATED] == 0


def test_identity_is_not_the_position(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Forum\nLeuven, Belgium\nLeuven became a human rights city. @Plenary\n"
        "Ghent, Belgium\nGhent monitors social services with its residents.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        "Ghent, Belgium\nGhent  monitors social services with its residents.\n\n"
        "Leuven, Belgium\nLeuven became a human rights city. @Plenary\n", encoding="utf-8")
    a = {i.title: i.id for i in collect(tmp_path, "a.txt").items}
    b = {i.title: i.id for i in collect(tmp_path, "b.txt").items}
    assert a == b and len(a) == 2


def test_same_text_under_two_places_is_two_practices(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(
        "Padua, Italy\nA monitoring pilot with residents.\n"
        "Ghent, Belgium\nA monitoring pilot with residents.\n", encoding="utf-8")
    assert len(collect(tmp_path, "d.txt").items) == 2


def test_language_and_tags_from_config(seed: Path) -> None:
    config = SourceConfig(name="whrcf", kind="digest", path=Path("digest.txt"),
                          item_kind="practice", language="fr", tags=("forum",),
                          event="WHRCF 2024")
    out = asyncio.run(DigestSource().collect(config, context_for(seed)))
    assert {i.language for i in out.items} == {"fr"}
    assert out.items[0].tags == ("Roundtable", "WHRCF 2024", "forum")


def test_summary_is_escaped_html(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(
        "Lyon, France\nLyon <b>opened</b> a rights desk & a hotline. @Plenary\n", encoding="utf-8")
    item = collect(tmp_path, "d.txt").items[0]
    assert item.summary == "<p>Lyon &lt;b&gt;opened&lt;/b&gt; a rights desk &amp; a hotline.</p>"


def test_a_file_with_no_practice_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("Just some notes.\nNothing here.\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no practice.*heading line"):
        collect(tmp_path, "d.txt")


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_bytes(b"Lyon, France\n\xff\xfe\x00 bad")
    with pytest.raises(SourceError, match="not UTF-8"):
        collect(tmp_path, "d.txt")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Kisumu, Kenya", ("Kisumu", "KE", None)),
        ("Nikolaev, Ukriane", ("Nikolaev", "UA", None)),
        ("Scotland", (None, "GB", "Scotland")),
        ("Cardiff, Wales", ("Cardiff", "GB", "Wales")),
        ("The 13th WHRCF", None),
        ("Human Rights Cities Responding to Poverty and Inequalities", None),
        ("Scotland introduced the duty.", None),
        ("Leipzig, Germany, and Warsaw, Poland, and Braga, Portugal", None),
        ("- Cities' strategies and policies to tackle poverty and inequalities -", None),
    ],
)
def test_heading_detection(line: str, expected: tuple[str | None, str, str | None] | None) -> None:
    place = looks_like_heading(line)
    got = (place.city, place.country, place.region) if place else None
    assert got == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [("Republic of Korea", "KR"), ("Ukriane", "UA"), ("The Netherlands", "NL"),
     ("Türkiye", "TR"), ("Côte d'Ivoire", "CI"), ("Wales", "GB"), ("Atlantis", None), ("", None)],
)
def test_country_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_parse_place_keeps_a_comma_in_the_city() -> None:
    place = parse_place("Józsefváros, Budapest, Hungary")
    assert place is not None and place.city == "Józsefváros, Budapest" and place.country == "HU"


def test_practice_title_never_the_whole_paragraph() -> None:
    text = ("Through collaboration with the Human Rights Commission of Kenya, the Makueni county in "
            "Kenya has enhanced capacity building in the area of participatory budgeting.")
    title = practice_title(text)
    assert title == "Through collaboration with the Human Rights Commission of Kenya"
    long_one = " ".join(["word"] * 40) + "."
    assert practice_title(long_one).endswith("…") and len(practice_title(long_one).split()) == 12
