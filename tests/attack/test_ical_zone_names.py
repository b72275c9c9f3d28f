"""Zone names as calendars really write them: Windows names in any case or spacing are the same
zone, and one absurd TZID cannot make the whole calendar unreadable."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.sources.base import Document
from hrc_outreach.sources.ical import parse_ical

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


def _read(tzid: str) -> tuple[dict[str, tuple[str, str | None]], list[str]]:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Zoned\r\n"
        f"DTSTART;TZID={tzid}:20261210T100000\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:o\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Other\r\n"
        "DTSTART:20261211T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    config = SourceConfig(name="c", kind="ical", path=Path("c.ics"), item_kind="event")
    doc = Document(content=text.encode(), base_url="file:///c.ics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # icalendar's own guesses
        out = parse_ical(doc, config, NOW, "Europe/Brussels", "en")
    items = {i.title: (i.start.isoformat() if i.start else "", i.timezone) for i in out.items}
    return items, list(out.warnings)


@pytest.mark.parametrize(
    "tzid",
    ["Tokyo Standard Time", "tokyo standard time", "TOKYO STANDARD TIME", "Tokyo  Standard Time",
     '"tokyo standard time"'],
)  # fmt: skip
def test_a_windows_zone_name_in_any_case_or_spacing_is_that_zone(tzid: str) -> None:
    items, _ = _read(tzid)
    assert items["Zoned"] == ("2026-12-10T01:00:00+00:00", "Asia/Tokyo")


@pytest.mark.parametrize("tzid", ["A" * 300, "x/" * 200, '"' + "Zone " * 80 + '"'])
def test_an_absurd_tzid_loses_its_zone_not_the_calendar(tzid: str) -> None:
    items, found = _read(tzid)
    assert items["Other"][0] == "2026-12-11T10:00:00+00:00"
    assert "Zoned" in items  # read in the calendar's default zone...
    assert any("TZID" in w for w in found), found  # ... and said so
