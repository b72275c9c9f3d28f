"""Events in an edition (issue 13): a series shown once with its rule, reminders of events an
earlier edition featured, UTC-only calendars in the newsletter's zone, events started by a moment.
Calendars are read by the real ical source and stored in a real store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.curate import curate_edition, record_sent
from hrc_outreach.curate.events import started_by, started_warning
from hrc_outreach.errors import EmptyEditionError
from hrc_outreach.i18n.recurrence import rule_words, series_words
from hrc_outreach.models import ContentItem, Edition, ItemKind
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items
from tests.sources.test_ical import collect, event

CALL = "FREQ=MONTHLY;BYDAY=2WE"


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    (tmp_path / "editions").mkdir()
    return Settings.model_validate(
        {
            "newsletter": {"editions_dir": str(tmp_path / "editions")},
            "curate": {"event_window_days": 60},
        }
    )


def _gather(
    store: Store, tmp_path: Path, events: str, now: datetime | None = None
) -> list[ContentItem]:
    out = collect(tmp_path, events, **({"now": now} if now else {}))
    assert not out.warnings, out.warnings
    with store.session() as s:
        upsert_items(s, out.items)
    return list(out.items)


def _curate(store: Store, cfg: Settings, key: str = "2026-12") -> Edition:
    with store.session() as s:
        return curate_edition(s, cfg, key)


def _events(ed: Edition) -> list[ContentItem]:
    return [i for i in ed.items if i.kind is ItemKind.EVENT]


def test_the_source_keeps_the_series_and_its_rule(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event(
            "call@x",
            f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL};COUNT=4",
        )
        + event("once@x", "SUMMARY:Once\nDTSTART:20261210T100000Z"),
    )
    calls = [i for i in out.items if i.title == "Call"]
    assert len(calls) == 4 and {i.series for i in calls} == {"call@x"}
    assert {i.recurrence for i in calls} == {"FREQ=MONTHLY;COUNT=4;BYDAY=2WE"}
    once = next(i for i in out.items if i.title == "Once")
    assert once.series is None and once.recurrence is None


def test_a_series_shows_once_with_its_next_occurrence(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event(
            "call@x", f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261111T160000\nRRULE:{CALL}"
        ),
    )
    events = _events(_curate(store, cfg))
    assert len(events) == 1  # 9 Dec and 13 Jan are both in the window: one entry
    (call,) = events
    assert call.start == datetime(2026, 12, 9, 15, tzinfo=UTC)  # not 11 Nov, before the edition
    assert call.recurrence and "BYDAY=2WE" in call.recurrence
    words = series_words(call.recurrence, call.start, call.timezone, "en")
    assert words == "every second Wednesday of the month, 16:00 CET, next on Wed, 9 Dec 2026"


def test_exdate_moves_next_on_to_the_following_occurrence(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event(
            "call@x",
            "SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261111T160000\n"
            f"RRULE:{CALL}\nEXDATE;TZID=Europe/Brussels:20261209T160000",
        ),
    )
    (call,) = _events(_curate(store, cfg))
    assert call.start == datetime(2027, 1, 13, 15, tzinfo=UTC) and call.recurrence


def test_the_last_occurrence_of_a_count_is_a_single_event(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event(
            "call@x",
            f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261111T160000\nRRULE:{CALL};COUNT=2",
        ),
    )
    (call,) = _events(_curate(store, cfg))
    assert call.start == datetime(2026, 12, 9, 15, tzinfo=UTC)
    assert call.recurrence is None  # nothing recurs after it: shown as the one event it is


def test_until_is_said_and_a_series_after_the_window_is_not_shown(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event(
            "until@x",
            "SUMMARY:Until\nDTSTART:20261202T130000Z\nRRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20270203T235959Z",
        )
        + event("later@x", "SUMMARY:Later\nDTSTART:20270310T130000Z\nRRULE:FREQ=WEEKLY;COUNT=3"),
    )
    events = _events(_curate(store, cfg))
    assert [e.title for e in events] == ["Until"]  # "Later" starts after the 60-day window
    (until,) = events
    assert until.timezone == "Europe/Brussels"  # UTC-only calendar: the newsletter's zone
    words = series_words(
        until.recurrence or "", until.start or datetime.now(UTC), until.timezone, "en"
    )
    assert words == "every Wednesday until 3 Feb 2027, 14:00 CET, next on Wed, 2 Dec 2026"


def test_all_day_series_has_no_time(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _gather(
        store,
        tmp_path,
        event("day@x", "SUMMARY:Day\nDTSTART;VALUE=DATE:20261201\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1"),
    )
    (day,) = _events(_curate(store, cfg))
    assert day.all_day and day.timezone is None
    words = series_words(
        day.recurrence or "", day.start or datetime.now(UTC), None, "fr", all_day=True
    )
    assert words == "le 1 de chaque mois, prochaine date : mar. 1 déc. 2026"


def test_utc_only_calendar_times_are_shown_in_the_newsletter_zone(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event("w@x", "SUMMARY:Webinar\nDTSTART:20261210T130000Z\nDTEND:20261210T140000Z"),
    )
    (webinar,) = _events(_curate(store, cfg))
    assert webinar.timezone == "Europe/Brussels"
    tokyo = cfg.model_copy(
        update={"newsletter": cfg.newsletter.model_copy(update={"time_zone": "Asia/Tokyo"})}
    )
    (webinar,) = _events(_curate(store, tokyo))
    assert webinar.timezone == "Asia/Tokyo"


def test_a_featured_event_returns_as_a_reminder_until_it_happens(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event("forum@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z")
        + event(
            "call@x", f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL}"
        )
        + event("past@x", "SUMMARY:Soon over\nDTSTART:20261203T090000Z"),
    )
    first = _curate(store, cfg, "2026-12")
    assert not any(i.reminder for i in first.items)
    with store.session() as s:
        record_sent(s, "2026-12", ["en"])
    second = _curate(store, cfg, "2027-01")
    events = _events(second)
    # The forum (20 Jan) and the series (next on 13 Jan) come back as reminders; "Soon over"
    # happened before the January edition and does not.
    assert {(e.title, e.reminder) for e in events} == {("Forum", True), ("Call", True)}
    call = next(e for e in events if e.title == "Call")
    assert call.start == datetime(2027, 1, 13, 15, tzinfo=UTC) and call.recurrence
    # A re-draft of the sent December edition still shows what it showed.
    with store.session() as s:
        record_sent(s, "2027-01", ["en"])
    again = _curate(store, cfg, "2027-01")
    assert {(e.title, e.reminder) for e in _events(again)} == {("Forum", True), ("Call", True)}


def test_reminders_can_be_turned_off(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _gather(
        store,
        tmp_path,
        event("forum@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z")
        + event("n@x", "SUMMARY:New\nDTSTART:20270115T090000Z"),
    )
    _curate(store, cfg, "2026-12")
    with store.session() as s:
        record_sent(s, "2026-12", ["en"])
    assert {e.title for e in _events(_curate(store, cfg, "2027-01"))} == {"Forum", "New"}
    off = cfg.model_copy(
        update={"curate": cfg.curate.model_copy(update={"event_reminders": False})}
    )
    with store.session() as s, pytest.raises(EmptyEditionError):
        curate_edition(s, off, "2027-01")


def test_started_by_names_the_events_and_all_day_events_start_at_local_midnight(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event("a@x", "SUMMARY:Early webinar\nDTSTART:20261202T080000Z")
        + event("b@x", "SUMMARY:Human Rights Day\nDTSTART;VALUE=DATE:20261210")
        + event("c@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z"),
    )
    ed = _curate(store, cfg)
    assert started_by(ed, datetime(2026, 12, 1, 9, tzinfo=UTC), "Europe/Brussels") == []
    # 9 Dec 23:30 UTC is already 10 Dec in Brussels: the all-day event has begun.
    moment = datetime(2026, 12, 9, 23, 30, tzinfo=UTC)
    assert [e.title for e in started_by(ed, moment, "Europe/Brussels")] == [
        "Early webinar",
        "Human Rights Day",
    ]
    warning = started_warning(ed, moment, "Europe/Brussels", "sending")
    assert warning and "'Early webinar'" in warning and "'Human Rights Day'" in warning
    assert "Forum" not in warning and "2 event(s)" in warning


@pytest.mark.parametrize(
    ("rule", "lang", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=WE", "pl", "w każdą środę"),
        ("FREQ=WEEKLY;BYDAY=TU", "pl", "w każdy wtorek"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "uk", "кожну останню п’ятницю місяця"),
        ("FREQ=MONTHLY;BYDAY=WE;BYSETPOS=2", "hu", "minden hónap második szerdáján"),
        ("FREQ=MONTHLY;BYDAY=1SU", "it", "ogni prima domenica del mese"),
        ("FREQ=MONTHLY;BYDAY=1SA", "pt_PT", "o primeiro sábado de cada mês"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "ar", "كل أسبوعين، الاثنين"),
        ("FREQ=WEEKLY;INTERVAL=3", "de", "alle 3 Wochen"),
        ("FREQ=DAILY;INTERVAL=5", "uk", "кожні 5 днів"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "nl", "elke maand op de 15e"),
        ("FREQ=YEARLY", "es", "todos los años"),
        # shapes without words of their own are "recurring", never a wrong rule
        ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=2", "en", "recurring"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "fr", "récurrent"),
        ("FREQ=HOURLY", "en", "recurring"),
        ("FREQ=MONTHLY;BYDAY=9WE", "en", "recurring"),
        ("not a rule at all", "de", "regelmäßig"),
        ("FREQ=WEEKLY;BYDAY=XX", "en", "recurring"),
    ],
)
def test_rule_words(rule: str, lang: str, words: str) -> None:
    assert rule_words(rule, lang) == words


def test_every_configured_language_has_words(cfg: Settings) -> None:
    from hrc_outreach.i18n.recurrence import has_phrases

    moment = datetime(2026, 12, 9, 15, tzinfo=UTC)
    seen = set()
    for lang in cfg.i18n.languages:
        assert has_phrases(lang), lang
        text = series_words(CALL, moment, "Europe/Brussels", lang)
        assert "16:00" in text and "2026" in text and "recurring" not in text
        seen.add(text)
    assert len(seen) == len(cfg.i18n.languages)


def test_the_drafted_email_shows_a_series_once_and_a_reminder_in_one_line(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    from hrc_outreach.render.draft import draft_edition

    _gather(
        store,
        tmp_path,
        event(
            "call@x",
            f"SUMMARY:Monthly call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL}",
        )
        + event("forum@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z"),
    )
    draft_edition(cfg, store, "2026-12", ["en"], tmp_path / "dec")
    with store.session() as s:
        record_sent(s, "2026-12", ["en"])
    _gather(
        store,
        tmp_path,
        event("new@x", "SUMMARY:New webinar\nDTSTART:20270115T090000Z")
        + event(
            "call@x",
            f"SUMMARY:Monthly call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL}",
        )
        + event("forum@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z"),
    )
    result = draft_edition(cfg, store, "2027-01", ["en", "fr"], tmp_path / "jan")
    en, fr = result.messages["en"], result.messages["fr"]
    assert en.html.count("Monthly call") == 1 and en.text.count("Monthly call") == 1
    assert "every second Wednesday of the month, 16:00 CET, next on Wed, 13 Jan 2027" in en.html
    assert "le deuxième mercredi de chaque mois" in fr.html
    assert "Reminder" in en.html and "* Reminder: Forum" in en.text
    assert "Rappel" in fr.html


def test_a_series_is_excluded_or_retitled_by_its_own_id(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event("call@x", f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL}")
        + event("n@x", "SUMMARY:Other\nDTSTART:20261215T090000Z"),
    )
    editions = cfg.resolve(cfg.newsletter.editions_dir)
    # one occurrence excluded: the next one stands for the series
    (editions / "2026-12.yaml").write_text("exclude:\n  - events:call@x/20261209T150000Z\n")
    call = next(e for e in _events(_curate(store, cfg)) if e.title == "Call")
    assert call.start == datetime(2027, 1, 13, 15, tzinfo=UTC)
    # the series by its UID: all of it, and its headline whatever the next occurrence
    (editions / "2026-12.yaml").write_text("exclude:\n  - events:call@x\n")
    assert [e.title for e in _events(_curate(store, cfg))] == ["Other"]
    (editions / "2026-12.yaml").write_text("headlines:\n  events:call@x: The monthly call\n")
    assert {e.title for e in _events(_curate(store, cfg))} == {"The monthly call", "Other"}


def test_a_featured_event_cancelled_since_is_no_reminder(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    from hrc_outreach.store.items import withdraw_items

    _gather(
        store,
        tmp_path,
        event("forum@x", "SUMMARY:Forum\nDTSTART:20270120T090000Z")
        + event("kept@x", "SUMMARY:Kept\nDTSTART:20270121T090000Z"),
    )
    _curate(store, cfg, "2026-12")
    with store.session() as s:
        record_sent(s, "2026-12", ["en"])
        withdraw_items(s, "events", present={"kept@x"}, cancelled=["forum@x"])
    assert [(e.title, e.reminder) for e in _events(_curate(store, cfg, "2027-01"))] == [
        ("Kept", True)
    ]


def test_extra_dates_without_a_rule_are_events_of_their_own(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _gather(
        store,
        tmp_path,
        event(
            "training@x",
            "SUMMARY:Training\nDTSTART:20261203T090000Z\nRDATE:20261210T090000Z,20261217T090000Z",
        ),
    )
    events = _events(_curate(store, cfg))
    assert [e.start.day for e in events if e.start] == [3, 10, 17]
    assert all(e.recurrence is None for e in events)


def test_a_moved_occurrence_stands_for_its_series(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    out = _gather(
        store,
        tmp_path,
        event("call@x", f"SUMMARY:Call\nDTSTART;TZID=Europe/Brussels:20261209T160000\nRRULE:{CALL}")
        + event(
            "call@x",
            "SUMMARY:Call (moved)\nRECURRENCE-ID;TZID=Europe/Brussels:20261209T160000\n"
            "DTSTART;TZID=Europe/Brussels:20261210T170000",
        ),
    )
    moved = next(i for i in out if i.title == "Call (moved)")
    assert moved.series == "call@x" and moved.recurrence and "BYDAY=2WE" in moved.recurrence
    (call,) = _events(_curate(store, cfg))
    assert call.title == "Call (moved)" and call.start == datetime(2026, 12, 10, 16, tzinfo=UTC)
    assert call.recurrence
