"""Attack (issue 13): recurring series in words, from calendars as real tools write them.

A rule's UNTIL is a UTC moment (RFC 5545 requires it for zoned series); the day it ends is the
day of that moment in the series' own zone, not in UTC: a Los Angeles series whose last
occurrence is Thursday 17 December at 18:00 has UNTIL=20261218T020000Z.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.i18n.recurrence import series_words
from hrc_outreach.sources.base import Document
from hrc_outreach.sources.ical import parse_ical

LANGS11 = ("en", "fr", "nl", "de", "es", "it", "pt_PT", "pl", "hu", "uk", "ar")


def _calendar(*events: str) -> Document:
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//attack//edition//EN\r\n"
    text += "".join(events) + "END:VCALENDAR\r\n"
    return Document(content=text.encode(), base_url="https://example.org/cal.ics")


def _event(uid: str, start: str, tz: str, *lines: str) -> str:
    body = [
        "BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{uid}", f"DTSTART;TZID={tz}:{start}",
        "DURATION:PT1H", *lines, "END:VEVENT",
    ]  # fmt: skip
    return "\r\n".join(body) + "\r\n"


def _series(doc: Document, now: datetime) -> dict[str, object]:
    config = SourceConfig(name="c", kind="ical", path=Path("/c.ics"), item_kind="event")
    out = parse_ical(doc, config, now, "Europe/Brussels", "en")
    first: dict[str, object] = {}
    for item in out.items:
        if item.recurrence and item.series not in first:
            first[str(item.series)] = item
    return first


def test_until_is_the_last_day_in_the_series_zone_not_in_utc() -> None:
    doc = _calendar(
        _event(
            "la", "20261126T180000", "America/Los_Angeles",
            "RRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL=20261218T020000Z",
        ),
        _event(
            "tokyo", "20261126T090000", "Asia/Tokyo",
            "RRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL=20261217T000000Z",
        ),
    )  # fmt: skip
    series = _series(doc, datetime(2026, 11, 22, 9, tzinfo=UTC))
    la, tokyo = series["la"], series["tokyo"]
    for lang in LANGS11:
        words = series_words(la.recurrence, la.start, la.timezone, lang)  # type: ignore[attr-defined]
        assert "17" in words and "18" not in words.replace("18:00", ""), (lang, words)
    # Tokyo's last Thursday is 17 Dec 09:00 local = 17 Dec 00:00 UTC: the same day either way
    en = series_words(tokyo.recurrence, tokyo.start, tokyo.timezone, "en")  # type: ignore[attr-defined]
    assert "until 17 Dec 2026" in en


def test_until_of_a_floating_or_all_day_series_is_its_own_date() -> None:
    start = datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert "until 17 Dec 2026" in series_words(
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261217", start, "America/Los_Angeles", "en", all_day=True
    )
    assert "until 17 Dec 2026" in series_words(
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261217T235900", start, "America/Los_Angeles", "en"
    )


def test_a_series_across_the_dst_change_keeps_its_local_time() -> None:
    doc = _calendar(
        _event("dst", "20260305T140000", "Europe/Brussels", "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=10")
    )
    for now in (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)):
        item = _series(doc, now)["dst"]
        words = series_words(item.recurrence, item.start, item.timezone, "en")  # type: ignore[attr-defined]
        assert ", 14:00 " in words, words


@pytest.mark.parametrize(
    ("rule", "english"),
    [
        ("FREQ=MONTHLY;BYDAY=-1FR", "every last Friday of the month"),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "every last Friday of the month"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "recurring"),  # never a wrong rule
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "every Monday, every Wednesday and every Friday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,FR", "every 2 weeks, Wednesday and Friday"),
        ("FREQ=YEARLY", "every year"),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=1", "recurring"),
    ],
)
def test_rules_in_words_in_every_language(rule: str, english: str) -> None:
    start = datetime(2026, 11, 27, 13, tzinfo=UTC)
    for lang in LANGS11:
        words = series_words(rule, start, "Europe/Brussels", lang)
        assert words and "{" not in words and "None" not in words, (lang, words)
        assert "14:00" in words, (lang, words)
    assert series_words(rule, start, "Europe/Brussels", "en").startswith(english + ", 14:00")
