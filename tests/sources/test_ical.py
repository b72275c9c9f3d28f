"""The ical source on calendars written here: zones, recurrence, identity, links, broken input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.errors import ConfigError, SourceError
from hrc_outreach.i18n.formatting import format_event_time
from hrc_outreach.models import ContentItem
from hrc_outreach.sources.base import SourceOutput
from hrc_outreach.sources.ical import ICalSource, text_to_html
from hrc_outreach.store import Store
from hrc_outreach.store.items import Upsert, upsert_items
from tests.sources.readers import NOW, context_for

CAL = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//HRCN//test//EN
BEGIN:VTIMEZONE
TZID:Europe/Brussels
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
{events}END:VCALENDAR
"""


def event(uid: str, extra: str) -> str:
    return f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20261101T090000Z\n{extra.strip()}\nEND:VEVENT\n"


def collect(
    tmp_path: Path, events: str, text: str | None = None, now: datetime = NOW, **options: object
) -> SourceOutput:
    (tmp_path / "events.ics").write_text(text or CAL.format(events=events), encoding="utf-8")
    config = SourceConfig(
        name="events",
        kind="ical",
        path=Path("events.ics"),
        item_kind="event",
        tags=("hrcn",),
        **options,
    )
    return asyncio.run(ICalSource().collect(config, context_for(tmp_path, now=now)))


def one(out: SourceOutput) -> ContentItem:
    assert len(out.items) == 1, out
    return out.items[0]


def test_vtimezone_time_is_stored_in_utc_with_its_zone(tmp_path: Path) -> None:
    item = one(
        collect(
            tmp_path,
            event(
                "webinar@hrcn",
                """
SUMMARY:DeCiDE webinar
DTSTART;TZID=Europe/Brussels:20261203T140000
DTEND;TZID=Europe/Brussels:20261203T153000
DESCRIPTION:Human rights monitoring.\\n\\nRegister here: https://example.org/register
LOCATION:https://us02web.zoom.us/j/123
CATEGORIES:webinar,DeCiDE
URL:https://humanrightscities.net/decide
""",
            ),
        )
    )
    assert item.title == "DeCiDE webinar"
    assert item.start == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert item.end == datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
    assert item.timezone == "Europe/Brussels" and not item.all_day
    assert item.source_key == "webinar@hrcn"
    assert item.online_url == "https://us02web.zoom.us/j/123"
    assert item.registration_url == "https://example.org/register"
    assert item.url == "https://humanrightscities.net/decide"
    assert item.tags == ("webinar", "DeCiDE", "hrcn")
    assert item.summary.startswith("<p>Human rights monitoring.</p><p>Register here: <a href=")
    assert item.language == "en"


def test_utc_floating_and_all_day(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("utc", "SUMMARY:UTC\nDTSTART:20261210T100000Z")
        + event("floating", "SUMMARY:Floating\nDTSTART:20261210T100000")
        + event("allday", "SUMMARY:Forum\nDTSTART;VALUE=DATE:20261211\nDTEND;VALUE=DATE:20261213"),
    )
    items = {i.title: i for i in out.items}
    assert items["UTC"].start == datetime(2026, 12, 10, 10, tzinfo=UTC)
    assert items["UTC"].timezone is None
    # floating times are read in the newsletter's zone (Europe/Brussels, UTC+1 in December)
    assert items["Floating"].start == datetime(2026, 12, 10, 9, tzinfo=UTC)
    assert items["Floating"].timezone == "Europe/Brussels"
    forum = items["Forum"]
    assert forum.all_day and forum.timezone is None
    assert (forum.start, forum.end) == (
        datetime(2026, 12, 11, tzinfo=UTC),
        datetime(2026, 12, 13, tzinfo=UTC),
    )


def test_floating_times_use_the_timezone_option(tmp_path: Path) -> None:
    item = one(
        collect(
            tmp_path, event("f", "SUMMARY:F\nDTSTART:20261210T100000"), timezone="America/Montreal"
        )
    )
    assert item.start == datetime(2026, 12, 10, 15, tzinfo=UTC)


def test_recurring_event_is_expanded_over_the_window(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event(
            "weekly",
            """
SUMMARY:Weekly clinic
DTSTART;TZID=Europe/Brussels:20261105T180000
DURATION:PT1H
RRULE:FREQ=WEEKLY;UNTIL=20270401T000000Z
EXDATE;TZID=Europe/Brussels:20261224T180000
""",
        ),
        window_days=40,
        window_past_days=0,
    )
    starts = [i.start for i in out.items]
    assert starts[0] == datetime(2026, 11, 26, 17, tzinfo=UTC)
    assert datetime(2026, 12, 24, 17, tzinfo=UTC) not in starts  # EXDATE
    assert all(NOW <= s <= NOW + timedelta(days=40) for s in starts if s)
    assert len(starts) == 5  # 26 Nov, 3, 10, 17, 31 Dec
    assert len({i.id for i in out.items}) == 5
    assert out.items[0].source_key == "weekly/20261126T170000Z"
    assert out.items[0].end == out.items[0].start + timedelta(hours=1)  # type: ignore[operator]


def test_summer_time_is_respected(tmp_path: Path) -> None:
    item = one(
        collect(
            tmp_path,
            event("s", "SUMMARY:S\nDTSTART;TZID=Europe/Brussels:20270401T100000"),
            now=datetime(2027, 3, 20, tzinfo=UTC),
        )
    )
    assert item.start == datetime(2027, 4, 1, 8, tzinfo=UTC)  # UTC+2 in April


def test_a_moved_occurrence_keeps_its_identity(tmp_path: Path) -> None:
    series = """
SUMMARY:Monthly meeting
DTSTART;TZID=Europe/Brussels:20261201T100000
RRULE:FREQ=MONTHLY;COUNT=3
"""
    moved = """
SUMMARY:Monthly meeting (moved)
RECURRENCE-ID;TZID=Europe/Brussels:20270101T100000
DTSTART;TZID=Europe/Brussels:20270105T100000
SEQUENCE:1
"""
    before = collect(tmp_path, event("m", series))
    after = collect(tmp_path, event("m", series) + event("m", moved))
    assert [i.id for i in before.items] == [i.id for i in after.items]
    # (recurring-ical-events gives the series the highest SEQUENCE; only the moved one changes)
    changed = [b for a, b in zip(before.items, after.items, strict=True) if a.start != b.start]
    assert len(changed) == 1
    assert changed[0].title == "Monthly meeting (moved)" and changed[0].sequence == 1
    assert changed[0].start == datetime(2027, 1, 5, 9, tzinfo=UTC)


def test_sequence_update_is_an_update_not_a_new_item(tmp_path: Path, store: Store) -> None:
    first = collect(tmp_path, event("e", "SUMMARY:Kick-off\nDTSTART:20261210T100000Z"))
    second = collect(
        tmp_path,
        event(
            "e",
            "SUMMARY:Kick-off\nDTSTART:20261210T110000Z\n"
            "SEQUENCE:2\nLAST-MODIFIED:20261120T080000Z",
        ),
    )
    with store.session() as session:
        assert upsert_items(session, first.items)[Upsert.NEW] == 1
    with store.session() as session:
        result = upsert_items(session, second.items)
    assert result[Upsert.NEW] == 0 and result[Upsert.UPDATED] == 1
    item = second.items[0]
    assert item.sequence == 2 and item.updated_at == datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_cancelled_events_are_skipped_without_error(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("c", "SUMMARY:Off\nSTATUS:CANCELLED\nDTSTART:20261210T100000Z")
        + event("k", "SUMMARY:On\nDTSTART:20261210T100000Z"),
    )
    assert [i.title for i in out.items] == ["On"] and out.warnings == ()


def test_cancelled_single_occurrence(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("w", "SUMMARY:W\nDTSTART:20261203T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3")
        + event(
            "w",
            "SUMMARY:W\nRECURRENCE-ID:20261210T100000Z\nDTSTART:20261210T100000Z\nSTATUS:CANCELLED",
        ),
    )
    assert [i.start.day for i in out.items if i.start] == [3, 17]


def test_online_link_from_google_conference_and_description(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event(
            "g",
            """
SUMMARY:G
DTSTART:20261210T100000Z
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij
LOCATION:Rue de la Loi 155\\, Brussels
""",
        )
        + event(
            "t",
            """
SUMMARY:T
DTSTART:20261211T100000Z
DESCRIPTION:Join on https://teams.microsoft.com/l/meetup-join/xyz or sign up at
 https://www.eventbrite.com/e/123
""",
        ),
    )
    items = {i.title: i for i in out.items}
    assert items["G"].online_url == "https://meet.google.com/abc-defg-hij"
    assert items["G"].location == "Rue de la Loi 155, Brussels"
    assert items["T"].online_url == "https://teams.microsoft.com/l/meetup-join/xyz"
    assert items["T"].registration_url == "https://www.eventbrite.com/e/123"
    assert items["G"].registration_url is None


def test_html_description_is_sanitised(tmp_path: Path) -> None:
    item = one(
        collect(
            tmp_path,
            event(
                "h",
                """
SUMMARY:H
DTSTART:20261210T100000Z
DESCRIPTION:<p>Hi <a href="javascript:alert(1)" onclick="x()">there</a></p><script>x()</script>
""",
            ),
        )
    )
    assert "script" not in item.summary and "javascript" not in item.summary
    assert "onclick" not in item.summary and "there" in item.summary


def test_events_outside_the_window_are_left_out(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("old", "SUMMARY:Old\nDTSTART:20250101T100000Z")
        + event("far", "SUMMARY:Far\nDTSTART:20280101T100000Z")
        + event("soon", "SUMMARY:Soon\nDTSTART:20261201T100000Z"),
    )
    assert [i.title for i in out.items] == ["Soon"]


def test_a_broken_event_among_good_ones_is_a_warning(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("nostart", "SUMMARY:No start")
        + event("good", "SUMMARY:Good\nDTSTART:20261201T100000Z")
        + event("badrule", "SUMMARY:Bad rule\nDTSTART:20261201T100000Z\nRRULE:FREQ=SOMETIMES"),
    )
    assert "Good" in [i.title for i in out.items]
    assert out.warnings and any("nostart" in w or "DTSTART" in w for w in out.warnings)


def test_infinite_series_is_capped_with_a_warning(tmp_path: Path) -> None:
    out = collect(
        tmp_path,
        event("daily", "SUMMARY:D\nDTSTART:20261201T100000Z\nRRULE:FREQ=DAILY"),
        max_per_series=10,
    )
    assert len(out.items) == 10 and "max_per_series" in out.warnings[0]


def test_event_without_uid_has_a_stable_key(tmp_path: Path) -> None:
    text = CAL.format(events="BEGIN:VEVENT\nSUMMARY:X\nDTSTART:20261201T100000Z\nEND:VEVENT\n")
    a = one(collect(tmp_path, "", text=text))
    b = one(collect(tmp_path, "", text=text))
    assert a.id == b.id and a.source_key.startswith("sha256:")


@pytest.mark.parametrize(
    "content", ["", "not a calendar at all", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-99-99\n"]
)
def test_unreadable_files_are_a_clear_source_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "events.ics").write_text(content, encoding="utf-8")
    config = SourceConfig(name="events", kind="ical", path=Path("events.ics"), item_kind="event")
    with pytest.raises(SourceError, match="events"):
        asyncio.run(ICalSource().collect(config, context_for(tmp_path)))


def test_bad_window_option_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"source '.*' \(ical\): window_days: "):
        collect(tmp_path, event("a", "SUMMARY:A\nDTSTART:20261201T100000Z"), window_days="soon")


def test_text_to_html_escapes_and_links() -> None:
    assert text_to_html("a < b\nc") == "<p>a &lt; b<br>c</p>"
    assert 'href="https://ex.org/x?a=1&amp;b=2"' in text_to_html("https://ex.org/x?a=1&b=2.")


def vtimezone(tzid: str, standard: str, daylight: str | None = None) -> str:
    """A VTIMEZONE as Outlook writes it: EU-style rules, or a fixed offset without DAYLIGHT."""
    out = (
        f"BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nDTSTART:16010101T030000\n"
        f"TZOFFSETFROM:{daylight or standard}\nTZOFFSETTO:{standard}\n"
    )
    if daylight:
        out += (
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\n"
            f"DTSTART:16010101T020000\nTZOFFSETFROM:{standard}\nTZOFFSETTO:{daylight}\n"
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\n"
        )
    else:
        out += "END:STANDARD\n"
    return out + "END:VTIMEZONE\n"


def zoned(tmp_path: Path, tzid: str, zone: str, when: str = "20261203T140000") -> ContentItem:
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\n"
        + zone
        + event("z", f"SUMMARY:Z\nDTSTART;TZID={tzid}:{when}")
        + "END:VCALENDAR\n"
    )
    return one(collect(tmp_path, "", text=text))


@pytest.mark.parametrize("with_vtimezone", [True, False])
def test_outlook_windows_zone_names_are_mapped_to_iana_and_shown_in_local_time(
    tmp_path: Path, with_vtimezone: bool
) -> None:
    name = "W. Europe Standard Time"
    zone = vtimezone(name, "+0100", "+0200") if with_vtimezone else ""
    item = zoned(tmp_path, name, zone)
    assert item.start == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert item.timezone == "Europe/Berlin"  # CLDR windowsZones, via icalendar
    assert item.start is not None
    shown = format_event_time(item.start, item.end, item.timezone, "en")
    assert shown == "Thu, 3 Dec 2026, 14:00 CET"  # the event's own zone, not 13:00 UTC


def test_a_custom_vtimezone_name_gets_the_iana_zone_with_its_offsets(tmp_path: Path) -> None:
    summer = zoned(
        tmp_path,
        "Central European (custom)",
        vtimezone("Central European (custom)", "+0100", "+0200"),
        when="20270415T140000",
    )
    assert summer.start == datetime(2027, 4, 15, 12, tzinfo=UTC)
    assert summer.timezone == "Europe/Brussels"  # the newsletter's zone is preferred among equals
    kathmandu = zoned(tmp_path, "My office", vtimezone("My office", "+0545"))
    assert kathmandu.timezone == "Asia/Kathmandu"
    assert kathmandu.start is not None
    assert "14:00" in format_event_time(kathmandu.start, None, kathmandu.timezone, "en")


def test_a_zone_no_iana_zone_matches_is_kept_as_its_fixed_offset(tmp_path: Path) -> None:
    item = zoned(tmp_path, "Odd time", vtimezone("Odd time", "+0123"))
    assert item.start == datetime(2026, 12, 3, 12, 37, tzinfo=UTC)
    assert item.timezone == "UTC+01:23" and item.start is not None
    assert format_event_time(item.start, None, item.timezone, "en") == (
        "Thu, 3 Dec 2026, 14:00 GMT+01:23"
    )
