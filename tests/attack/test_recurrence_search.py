"""Rules whose parts seldom or never match cannot make the engine search to the year 9999.

The work estimate counts the periods from DTSTART to the window's end, but the engine steps on
until it finds an occurrence past that end: with ``BYMONTH=2;BYMONTHDAY=30`` it never does, and
searches to the year 9999 (dateutil checks UNTIL only on a match: ≈3.5 s of CPU for one DAILY
event, ≈6.5 s for one HOURLY event). The calendar is read in a child with its CPU time capped by
the kernel. OPEN: capping UNTIL at the window does not help (see the xfail); a fix needs a bounded
"does this rule ever match" probe before expanding, or a search bound inside the engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

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


@pytest.mark.xfail(
    strict=True, reason="open: the engine searches to year 9999 for a rule that never matches"
)
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
