"""Rules whose parts seldom or never match cannot make the engine search to the year 9999.

The work estimate counts the periods from DTSTART to the window's end, but the engine steps on
until it finds an occurrence past that end: with ``BYMONTH=2;BYMONTHDAY=30`` it never does, and
searches to the year 9999 (dateutil checks UNTIL only on a match: ≈3 s of CPU for one DAILY
event, ≈6.5 s for one HOURLY event). Before expanding, the rule's days are now walked over the
window and the years just after it (rrules.first_day); a rule with none there is taken out
with a warning naming the event, and the event keeps its other dates. Calendars are read in a
child with its CPU time capped by the kernel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr

from hrc_outreach.config import SourceConfig
from hrc_outreach.sources.base import Document
from hrc_outreach.sources.ical import parse_ical
from tests.sources import test_ical_bounds as bounds
from tests.sources.test_ical_bounds import HEAD, TAIL, vevent

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)

NEVER = [
    "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=HOURLY;UNTIL=99991231T000000Z;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
    "RRULE:FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;BYDAY=MO",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2,4",
]
# The same class by every other part: negative month days, year days, week numbers, ordinal
# weekdays, set positions past the set, UNTIL or COUNT (the engine checks them only on a match),
# INTERVAL that steps over every leap year, and a rule that matched only before the window.
NEVER_TOO = [
    "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-30",
    "RRULE:FREQ=DAILY;BYYEARDAY=1,-1;BYMONTH=6",
    "RRULE:FREQ=DAILY;BYYEARDAY=366;BYMONTH=11",
    "RRULE:FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
    "RRULE:FREQ=DAILY;BYWEEKNO=30;BYMONTH=1",
    "RRULE:FREQ=MONTHLY;BYDAY=5FR;BYMONTHDAY=1,2,3",
    "RRULE:FREQ=YEARLY;BYDAY=54MO",
    "RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
    "RRULE:FREQ=DAILY;BYSETPOS=2",
    "RRULE:FREQ=WEEKLY;BYDAY=MO;BYSETPOS=-2",
    "RRULE:FREQ=DAILY;UNTIL=20200101T000000Z;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=DAILY;COUNT=3;BYMONTH=2;BYMONTHDAY=31",
    "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # DTSTART is a Friday: every 7th day is one
    "RRULE:FREQ=HOURLY;INTERVAL=168;UNTIL=99991231T000000Z;BYDAY=SA",  # every Friday 10:00
]


def test_rules_that_never_match_cost_no_search_past_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "CPU_SECONDS", 10)
    events = "".join(
        vevent(f"never-{n}-{k}", f"Never {n}", "20261120T100000Z", rule)
        for n, rule in enumerate(NEVER)
        for k in range(3)
    )
    out = bounds.read_in_child(tmp_path, HEAD + events + TAIL)
    # only DTSTART itself (inside the window) is an occurrence of each
    assert out["items"] == len(NEVER) * 3


def test_every_part_that_can_never_match_costs_no_search_past_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 of each: ~200 events, each ~3 s of CPU before the walk; 10 s for all of them now
    monkeypatch.setattr(bounds, "CPU_SECONDS", 10)
    rules = NEVER + NEVER_TOO
    events = "".join(
        vevent(f"n{n}-{k}", f"Never {n}", "20261120T100000Z", rule)
        for n, rule in enumerate(rules)
        for k in range(10)
    )
    ok = vevent("w", "Weekly", "20261124T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4")
    out = bounds.read_in_child(tmp_path, HEAD + events + ok + TAIL)
    # DTSTART of each (the one with UNTIL before DTSTART has none, as in the engine), and the
    # ordinary series after them all
    assert out["items"] == (len(rules) - 1) * 10 + 4, out["items"]
    assert "Weekly" in out["titles"]  # type: ignore[operator]
    assert out["unsure"] == []  # what is left out was never there: nothing is withdrawn wrongly


def test_a_rule_that_never_matches_is_named_and_the_rest_of_its_event_kept() -> None:
    both = (
        "BEGIN:VEVENT\r\nUID:two-rules\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:Clinic\r\n"
        "DTSTART:20261124T100000Z\r\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\r\nRDATE:20261201T150000Z\r\nEND:VEVENT\r\n"
    )
    got, warnings = _read_all(both)
    assert len(got) == 4  # 24 Nov, 1 Dec, 8 Dec (weekly) and the RDATE
    assert len(warnings) == 1
    assert warnings[0].startswith("event 'Clinic' (UID two-rules): its rule FREQ=DAILY;")
    assert "produces no date in the window or the 8 years after it" in warnings[0]


def test_a_modified_occurrence_of_a_rule_that_never_matches_is_kept() -> None:
    text = (
        "BEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:Moved\r\n"
        "DTSTART:20261120T100000Z\r\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:Moved here\r\n"
        "RECURRENCE-ID:20261120T100000Z\r\nDTSTART:20261125T100000Z\r\nEND:VEVENT\r\n"
    )
    got, _ = _read_all(text)
    assert got == [("Moved here", datetime(2026, 11, 25, 10, tzinfo=UTC))]


@pytest.mark.parametrize(
    ("now", "start", "rule"),
    [
        # off season: no date in this window, one soon after; nothing to say, nothing dropped
        (NOW, "20240815T100000Z", "RRULE:FREQ=YEARLY"),
        (NOW, "20240229T100000Z", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
        # a leap day inside the window (Feb 2028), every 4 years, on a weekday, by year day
        (NOW.replace(year=2027), "20240229T100000Z", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
        (NOW.replace(year=2027), "20200229T100000Z", "RRULE:FREQ=YEARLY;INTERVAL=4;BYYEARDAY=60"),
        (NOW.replace(year=2027), "20240101T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-1"),
        (NOW, "20240101T100000Z", "RRULE:FREQ=MONTHLY;BYDAY=5FR"),
        (NOW, "20240101T100000Z", "RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1"),
        (NOW, "20240101T100000Z", "RRULE:FREQ=YEARLY;BYWEEKNO=1,20;BYDAY=MO"),
        (NOW, "20240105T100000Z", "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=FR"),
        (NOW, "20261101T100000Z", "RRULE:FREQ=HOURLY;INTERVAL=36;UNTIL=20270301T000000Z"),
    ],
)
def test_rules_that_seldom_match_keep_every_occurrence(
    now: datetime, start: str, rule: str
) -> None:
    text = (
        "BEGIN:VEVENT\r\nUID:s\r\nDTSTAMP:20231101T090000Z\r\nSUMMARY:Seldom\r\n"
        f"DTSTART:{start}\r\n{rule}\r\nEND:VEVENT\r\n"
    )
    got, warnings = _read_all(text, now)
    assert warnings == []
    # what dateutil itself gives in the window (these rules match often enough to end)
    first = datetime.strptime(start, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    window = (now - timedelta(days=30), now + timedelta(days=180))
    expected = rrulestr(rule.removeprefix("RRULE:"), dtstart=first).between(*window, inc=True)
    assert [s for _, s in got] == expected


def test_a_rule_whose_next_date_is_centuries_away_is_named() -> None:
    text = (
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:Centennial\r\n"
        "DTSTART:20000229T100000Z\r\nRRULE:FREQ=YEARLY;INTERVAL=100;BYMONTH=2;BYMONTHDAY=29\r\n"
        "END:VEVENT\r\n"
    )
    got, warnings = _read_all(text)
    assert got == [] and len(warnings) == 1 and "(UID c)" in warnings[0]


def _read_all(
    text: str, now: datetime = NOW
) -> tuple[list[tuple[str, datetime | None]], list[str]]:
    doc = Document(content=(HEAD + text + TAIL).encode(), base_url="file:///c.ics")
    config = SourceConfig(name="c", kind="ical", path=Path("c.ics"), item_kind="event")
    out = parse_ical(doc, config, now, "Europe/Brussels", "en")
    return sorted((i.title, i.start) for i in out.items), list(out.warnings)


def _read(text: str) -> list[tuple[str, datetime | None]]:
    doc = Document(content=(HEAD + text + TAIL).encode(), base_url="file:///c.ics")
    config = SourceConfig(name="c", kind="ical", path=Path("c.ics"), item_kind="event")
    out = parse_ical(doc, config, NOW, "Europe/Brussels", "en")
    return sorted((i.title, i.start) for i in out.items)


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        ("20261124T100000Z", "RRULE:FREQ=WEEKLY"),  # no end at all
        ("TZID=Europe/Brussels:20261124T100000", "RRULE:FREQ=WEEKLY;UNTIL=20991231T000000Z"),
        ("20261124T100000", "RRULE:FREQ=WEEKLY"),  # floating time
        ("VALUE=DATE:20261124", "RRULE:FREQ=WEEKLY;UNTIL=20991231"),  # all day
        ("20261124T100000Z", "RRULE:FREQ=WEEKLY;UNTIL=20270105T100000Z"),  # ends in the window
        ("20261124T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4"),
    ],
)
def test_ordinary_rules_keep_every_occurrence_to_the_window_end(start: str, rule: str) -> None:
    sep = ";" if start[0].isalpha() and "=" in start.split(":")[0] else ":"
    head = "DTSTART" + sep + start
    text = (
        "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:Weekly\r\n"
        f"{head}\r\n{rule}\r\nEND:VEVENT\r\n"
    )
    got = _read(text)
    if "UNTIL=2027" in rule:
        assert len(got) == 7  # 24 Nov .. 5 Jan
    elif "COUNT=4" in rule:
        assert len(got) == 4
    else:
        # the window runs 180 days past NOW (to 21 May 2027): 26 Tuesdays from 24 Nov
        assert len(got) == 26, got
        assert got[-1][1] is not None and got[-1][1].date().isoformat() == "2027-05-18"
