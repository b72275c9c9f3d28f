"""Attack (issue 13): the day a series ends is the day of its last real occurrence in the zone
shown, whatever UTC moment UNTIL names: zones west and east of UTC, an UNTIL between two
occurrences, a DST change before the end, an UNTIL before the next date, dates taken out."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from hrc_outreach.i18n.recurrence import series_words
from hrc_outreach.i18n.series_end import last_occurrence_day

LANGS11 = ("en", "fr", "nl", "de", "es", "it", "pt_PT", "pl", "hu", "uk", "ar")


@pytest.mark.parametrize(
    ("rule", "start", "zone", "day"),
    [
        # Auckland (UTC+13 in December): Friday 08:00 is Thursday 19:00 UTC
        (
            "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261217T190000Z",
            datetime(2026, 11, 26, 19, tzinfo=UTC),
            "Pacific/Auckland",
            "18 Dec 2026",
        ),
        # UNTIL on a Wednesday noon: the last Monday is the 21st, not the 23rd
        (
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261223T120000Z",
            datetime(2026, 11, 30, 9, tzinfo=UTC),
            "Europe/Brussels",
            "21 Dec 2026",
        ),
        # Los Angeles leaves summer time on 1 Nov: Thursday 5 Nov 18:00 PST is 02:00 UTC on the
        # 6th, after UNTIL; read with the summer offset it would be 01:00 and still count
        (
            "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261106T013000Z",
            datetime(2026, 10, 2, 1, tzinfo=UTC),
            "America/Los_Angeles",
            "29 Oct 2026",
        ),
        # monthly on the last Friday, Tokyo, UNTIL late on a UTC day that is already the next
        # local day: 25 Dec 2026 10:00 JST
        (
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261225T235959Z",
            datetime(2026, 11, 27, 1, tzinfo=UTC),
            "Asia/Tokyo",
            "25 Dec 2026",
        ),
    ],
)
def test_until_says_the_last_occurrence_in_the_zone_shown(
    rule: str, start: datetime, zone: str, day: str
) -> None:
    words = series_words(rule, start, zone, "en")
    assert f"until {day}," in words, words


def test_the_end_day_is_the_same_in_every_language() -> None:
    rule = "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261217T190000Z"
    start = datetime(2026, 11, 26, 19, tzinfo=UTC)
    for lang in LANGS11:
        words = series_words(rule, start, "Pacific/Auckland", lang)
        until_part = words.split("08:00")[0]
        assert "18" in until_part and "17" not in until_part, (lang, words)


def test_until_before_the_next_date_says_the_next_date() -> None:
    # a rule that ended before the occurrence shown: that occurrence is the last there is
    start = datetime(2026, 12, 3, 2, tzinfo=UTC)  # Wed 2 Dec 18:00 in Los Angeles
    words = series_words(
        "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261101T000000Z", start, "America/Los_Angeles", "en"
    )
    assert "until 2 Dec 2026," in words, words


def test_a_date_taken_out_at_the_end_moves_the_end_back() -> None:
    start = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Thu 26 Nov 18:00 in Los Angeles
    rule = "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261218T020000Z"
    taken_out = [datetime(2026, 12, 18, 2, tzinfo=UTC)]  # the 17 Dec occurrence
    zone = "America/Los_Angeles"
    assert last_occurrence_day(rule, start, zone) == datetime(2026, 12, 17).date()
    assert (
        last_occurrence_day(rule, start, zone, excluded=taken_out) == datetime(2026, 12, 10).date()
    )


def test_a_costly_or_silent_rule_is_not_expanded_and_still_says_the_local_day() -> None:
    start = datetime(2026, 11, 26, 2, tzinfo=UTC)
    began = time.monotonic()
    # every second for thirty years: far too much to step through for one line of text
    secondly = series_words(
        "FREQ=SECONDLY;UNTIL=20561218T020000Z", start, "America/Los_Angeles", "en"
    )
    # parts that never agree after the start: dateutil would search to the year 9999
    silent = series_words(
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20261218T020000Z",
        start,
        "America/Los_Angeles",
        "en",
    )
    assert time.monotonic() - began < 2
    assert "until 17 Dec 2056" in secondly, secondly
    assert "until 17 Dec 2026" in silent, silent


@pytest.mark.parametrize(
    ("rule", "day"),
    [
        # 72 years of days: far past what is stepped through from the next date, yet exact
        ("FREQ=DAILY;UNTIL=20990101T000000Z", "30 Dec 2098"),
        ("FREQ=DAILY;INTERVAL=3;UNTIL=20990101T000000Z", "29 Dec 2098"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=22260101T000000Z", "29 Dec 2225"),
    ],
)
def test_a_long_series_still_ends_on_its_last_occurrence(rule: str, day: str) -> None:
    start = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Thu 26 Nov 2026 18:00 in Los Angeles
    began = time.monotonic()
    words = series_words(rule, start, "America/Los_Angeles", "en")
    assert time.monotonic() - began < 1
    assert f"until {day}," in words, words


def test_an_all_day_series_with_a_utc_until_ends_on_its_last_day() -> None:
    # all-day Thursdays; UNTIL a UTC moment on Wednesday 23 Dec: the last day is Thu 17 Dec
    start = datetime(2026, 11, 26, tzinfo=UTC)
    words = series_words(
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261223T120000Z", start, None, "en", all_day=True
    )
    assert "until 17 Dec 2026," in words, words
