"""Issue 13, second attack round: staff and partner-feed material the authors did not use."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.sources.places import city_as_written
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items


def test_an_alias_chain_reaches_the_name_the_network_writes() -> None:
    # "Nikolaev" -> "Nikolayev" -> "Mykolaiv": the middle spelling is one the network does not
    # write either, so the source's "Nikolaev" must show as "Mykolaiv", not "Nikolayev".
    aliases = {"Nikolaev": "Nikolayev", "Nikolayev": "Mykolaiv"}
    assert city_as_written("Nikolaev", aliases) == "Mykolaiv"
    assert city_as_written("nikolayev", aliases) == "Mykolaiv"


def test_an_alias_loop_warns_and_leaves_the_names_as_the_source_wrote_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    aliases = {"Kyiv": "Kiev", "Kiev": "Kyiv", "Odessa": "Odesa"}
    with caplog.at_level(logging.WARNING):
        shown = [city_as_written(c, aliases) for c in ("Kyiv", "Kiev", "Odessa")]
    # a loop has no name the network writes: neither spelling is swapped for the other
    assert shown == ["Kyiv", "Kiev", "Odesa"]
    loops = [r.getMessage() for r in caplog.records if "loop" in r.getMessage()]
    assert loops and "Kyiv" in loops[0] and "Kiev" in loops[0] and "place_aliases" in loops[0]


def test_a_self_alias_is_no_loop(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert city_as_written("MYKOLAIV", {"Mykolaiv": "Mykolaiv"}) == "Mykolaiv"
    assert not [r for r in caplog.records if "loop" in r.getMessage()]


# --- a partner's feed with bidi overrides: the email must show the characters as they are ------

# embeddings, overrides and isolates: each reorders the text after it until closed (or the block
# ends), so "\u202emoc.elpmaxe-live//:sptth" reads as "https://evil-example.com"
_REORDERING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_bidi_overrides_from_a_partner_feed_do_not_reach_the_email(
    tmp_path: Path, sqlite_store: Store
) -> None:
    (tmp_path / "editions").mkdir()
    cfg = Settings.model_validate({"newsletter": {"editions_dir": str(tmp_path / "editions")}})
    spoof = ContentItem.model_validate(
        {
            "id": item_id("partner", "x"),
            "source": "partner",
            "source_key": "x",
            "kind": ItemKind.NEWS,
            "title": "\u202eCity wins award. Read more at evil.example",
            "summary": "<p>Visit \u202emoc.elpmaxe-live//:sptth\u202c now \u2067\u202b.</p>",
            "language": "en",
            "city": "\u202eKyiv",
            "country": "UA",
            "location": "\u2066Town hall",
            "published_at": datetime(2026, 11, 27, 9, tzinfo=UTC),
        }
    )
    with sqlite_store.session() as s:
        upsert_items(s, [spoof])
    result = draft_edition(cfg, sqlite_store, "2026-12", ["en", "ar"], tmp_path / "out")
    for lang, msg in result.messages.items():
        for name, part in (("html", msg.html), ("text", msg.text)):
            found = sorted({f"U+{ord(c):04X}" for c in part if c in _REORDERING[:5]})
            assert not found, f"{lang} {name} part keeps {found}"
            # the text part's own isolates (an LTR line in an RTL edition) close on their line
            for line in part.splitlines():
                assert _isolates_closed(line), f"{lang} {name}: {line!r}"
        assert "moc.elpmaxe-live//:sptth" in msg.html, lang  # the text itself stays, visibly
        assert "Kyiv" in msg.html and "Kyiv" in msg.text, lang


def _isolates_closed(line: str) -> bool:
    depth = 0
    for c in line:
        depth += c in "\u2066\u2067\u2068"
        depth -= c == "\u2069"
        if depth < 0:
            return False
    return depth == 0


# --- a draft of some languages beside older drafts of others --------------------------------


def test_a_partial_draft_names_the_older_drafts_its_approval_needs(tmp_path: Path) -> None:
    """Drafting en and fr, then en alone (after the store changed): the fr draft on disk is the
    older one. The command the draft prints to approve must work, and must not let the older fr
    draft pass unnoticed."""
    import json

    from tests.support.cli_setup import cli, flat, leuven_news, store_with, write_config

    config = write_config(tmp_path, ("en", "fr"))
    store_with(tmp_path / "store.db", leuven_news()).dispose()
    assert cli(config, "edition", "draft", "-e", "2026-12").exit_code == 0
    store_with(tmp_path / "store.db", leuven_news("https://humanrightscities.net/news/b")).dispose()
    r = cli(config, "edition", "draft", "-e", "2026-12", "-l", "en")
    assert r.exit_code == 0, r.output
    out = flat(r.output)
    assert "fr" in out and "older" in out and "-l fr" in out, out
    show = json.loads(cli(config, "edition", "approve", "2026-12", "--show", "--json").stdout)
    hinted = [part for part in out.split("hrc-outreach ") if "--by NAME --hashes" in part]
    for hint in hinted:  # whatever approve command the draft offers is one that works
        args = hint.split()
        assert args[args.index("--hashes") + 1] == show["hashes_arg"], out


# --- subscribers list --people: a search is for the text typed --------------------------------


def _people(store: Store, *emails: str) -> None:
    from hrc_outreach.audience.people import add_person

    cfg = Settings()
    with store.session() as s:
        for email in emails:
            add_person(s, cfg, email, consent_note="form", source="web", by="test")


def test_a_people_search_takes_like_wildcards_as_text(store: Store) -> None:
    from hrc_outreach.audience.people import list_people

    sqlite_store = store  # on each engine: LIKE and ILIKE escape alike
    _people(sqlite_store, "ana@example.org", "first_last@example.org", "100pct@example.org")
    with sqlite_store.session() as s:
        assert [p.email for p in list_people(s, contains="%")] == []
        assert [p.email for p in list_people(s, contains="_")] == ["first_last@example.org"]
        assert [p.email for p in list_people(s, contains="t_l")] == ["first_last@example.org"]
        assert [p.email for p in list_people(s, contains="\\")] == []


def test_a_people_list_of_an_unknown_state_is_refused_naming_the_states(
    sqlite_store: Store,
) -> None:
    from hrc_outreach.audience.people import list_people
    from hrc_outreach.errors import AudienceError

    _people(sqlite_store, "ana@example.org")
    with sqlite_store.session() as s, pytest.raises(AudienceError, match="confirmed"):
        list_people(s, state="confirmd")
    with sqlite_store.session() as s:  # the state as typed, in any case
        assert [p.email for p in list_people(s, state=" Confirmed")] == ["ana@example.org"]


# --- editions/<key>.yaml: a headline of invisible characters -----------------------------------


@pytest.mark.parametrize(
    "text", ["\u200b", "\u200b\u2060\ufeff", "\u200e\u200f", "\u00ad", " \u2063 \u034f ", "\u180e"]
)
def test_a_headline_or_summary_of_invisible_characters_is_refused_naming_it(
    tmp_path: Path, text: str
) -> None:
    """Such a headline passed for set: the email showed the item under a link nobody can see."""
    import yaml

    from hrc_outreach.curate.pins import load_choices
    from hrc_outreach.errors import CurateError

    for name in ("headlines", "summaries"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({name: {"src:a": text}}), encoding="utf-8")
        with pytest.raises(CurateError, match=r"src:a.*visible|visible.*src:a"):
            load_choices(path)


def test_a_headline_with_a_joiner_inside_visible_text_is_kept(tmp_path: Path) -> None:
    from hrc_outreach.curate.pins import load_choices

    path = tmp_path / "2026-12.yaml"
    family = "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 day in Gent"
    path.write_text(f'headlines:\n  "src:a": "{family}"\n', encoding="utf-8")
    assert load_choices(path).headlines == {"src:a": family}


# --- a staff headline in Arabic in an English edition ----------------------------------------


def test_an_rtl_staff_headline_in_an_ltr_edition_is_laid_out_right_to_left(
    tmp_path: Path, sqlite_store: Store
) -> None:
    import re

    (tmp_path / "editions").mkdir()
    cfg = Settings.model_validate({"newsletter": {"editions_dir": str(tmp_path / "editions")}})
    item = ContentItem.model_validate(
        {
            "id": item_id("news", "a"),
            "source": "news",
            "source_key": "a",
            "kind": ItemKind.NEWS,
            "title": "Cities open their registration",
            "summary": "<p>Cities open their registration.</p>",
            "language": "en",
            "published_at": datetime(2026, 11, 27, 9, tzinfo=UTC),
        }
    )
    with sqlite_store.session() as s:
        upsert_items(s, [item])
    headline = "مدن حقوق الإنسان تفتح باب التسجيل!"
    (tmp_path / "editions" / "2026-12.yaml").write_text(
        f'headlines:\n  "news:a": "{headline}"\n', encoding="utf-8"
    )
    html = draft_edition(cfg, sqlite_store, "2026-12", ["en"], tmp_path / "out").messages["en"].html
    heading = re.search(r"<h[23][^>]*>(?:<[^>]+>)*" + re.escape(headline), html)
    assert heading is not None
    assert re.search(r'dir="(auto|rtl)"', heading.group(0)), heading.group(0)


# --- a partner calendar exported by Evolution or an old Thunderbird ---------------------------

_VENDOR_TZIDS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//partner//EN
BEGIN:VEVENT
UID:berlin@partner.example
DTSTAMP:20261101T000000Z
DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20261209T140000
DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20261209T150000
SUMMARY:Berlin round table
END:VEVENT
BEGIN:VEVENT
UID:ny@partner.example
DTSTAMP:20261101T000000Z
DTSTART;TZID=/mozilla.org/20070129_1/America/New_York:20261210T140000
SUMMARY:New York hearing
END:VEVENT
END:VCALENDAR
"""


def test_vendor_prefixed_tzids_are_read_with_a_source_warning() -> None:
    """icalendar warns (GloballyUniqueTZIDGuessed) when it strips a vendor prefix: that warning
    must reach the gather report as the source's warning, and never fail the calendar where
    Python's warnings are errors (as here, under pytest) nor print a traceback-like line."""
    from hrc_outreach.config import SourceConfig
    from hrc_outreach.sources.base import Document
    from hrc_outreach.sources.ical import parse_ical

    cfg = SourceConfig.model_validate(
        {"name": "partner", "kind": "ical", "path": "p.ics", "item_kind": "event", "language": "en"}
    )
    out = parse_ical(
        Document(_VENDOR_TZIDS, "https://partner.example/cal.ics"),
        cfg,
        datetime(2026, 12, 1, tzinfo=UTC),
        "Europe/Brussels",
        "en",
    )
    starts = sorted((i.title, i.start.astimezone(UTC).hour) for i in out.items if i.start)
    assert starts == [("Berlin round table", 13), ("New York hearing", 19)]
    assert any("/mozilla.org/20070129_1/America/New_York" in w for w in out.warnings), out.warnings


def test_a_vendor_tzid_the_calendar_defines_keeps_its_own_definition() -> None:
    from hrc_outreach.config import SourceConfig
    from hrc_outreach.sources.base import Document
    from hrc_outreach.sources.ical import parse_ical

    own = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//partner//EN
BEGIN:VTIMEZONE
TZID:/partner.example/Europe/Berlin
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0500
TZOFFSETTO:+0500
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:own@partner.example
DTSTAMP:20261101T000000Z
DTSTART;TZID=/partner.example/Europe/Berlin:20261209T140000
SUMMARY:Own zone
END:VEVENT
END:VCALENDAR
"""
    cfg = SourceConfig.model_validate(
        {"name": "partner", "kind": "ical", "path": "p.ics", "item_kind": "event", "language": "en"}
    )
    out = parse_ical(
        Document(own, "https://partner.example/cal.ics"),
        cfg,
        datetime(2026, 12, 1, tzinfo=UTC),
        "Europe/Brussels",
        "en",
    )
    [item] = out.items
    assert item.start is not None and item.start.astimezone(UTC).hour == 9  # 14:00 at +05:00


def test_a_people_list_takes_a_language_as_people_write_it(tmp_path: Path) -> None:
    """`--language pt-PT` (or "Português") lists the pt_PT readers, as `set-language` takes it."""
    from tests.support.cli_setup import cli, write_config

    config = write_config(tmp_path, ("en", "pt_PT"))
    add = ("subscribers", "add", "rui@example.pt", "--language", "pt_PT")
    assert cli(config, *add, "--consent-note", "form", "--source", "web").exit_code == 0
    for typed in ("pt_PT", "pt-PT", "PT-pt", "Português"):
        r = cli(config, "subscribers", "list", "--people", "--language", typed, "--json")
        assert r.exit_code == 0, r.output
        assert "rui@example.pt" in r.stdout, (typed, r.output)
