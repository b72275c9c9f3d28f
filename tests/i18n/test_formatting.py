"""CLDR formatting per configured language (Babel)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hrc_outreach.config import DEFAULT_LANGUAGES
from hrc_outreach.i18n.formatting import (
    country_name,
    format_date,
    format_event_time,
    format_list,
    format_month_year,
    format_number,
    plural_category,
    zone_name,
)

# CLDR's own spacing is kept: narrow no-break space before "р.", thin spaces around range dashes.
START = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)  # 14:00 in Brussels
END = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)


def test_dates() -> None:
    assert format_date(date(2026, 12, 8), "fr") == "8 décembre 2026"
    assert format_date(date(2026, 12, 8), "en") == "8 December 2026"  # European English
    assert format_date(date(2026, 12, 8), "pl") == "8 grudnia 2026"  # genitive inside a date
    assert format_date(date(2026, 12, 8), "pt_PT") == "8 de dezembro de 2026"
    assert format_date(datetime(2026, 12, 8, 23, tzinfo=UTC), "de") == "8. Dezember 2026"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "décembre 2026"),
        ("en", "December 2026"),
        ("pl", "grudzień 2026"),  # nominative, not "grudnia"
        ("uk", "грудень 2026\u202fр."),  # nominative, not "грудня"
        ("pt_PT", "dezembro de 2026"),
        ("hu", "2026. december"),
        ("ar", "ديسمبر 2026"),
    ],
)
def test_month_year_uses_the_standalone_month(lang: str, expected: str) -> None:
    assert format_month_year(date(2026, 12, 1), lang) == expected


def test_event_time_in_the_events_zone_with_the_zone_named() -> None:
    assert format_event_time(START, END, "Europe/Brussels", "en") == (
        "Tue, 8 Dec 2026, 14:00–15:30 CET"
    )
    assert format_event_time(START, END, "Europe/Brussels", "de") == (
        "Di., 8. Dez. 2026, 14:00–15:30 Uhr MEZ"
    )
    # The same moment in Kyiv: 15:00, named EET.
    assert format_event_time(START, END, "Europe/Kyiv", "en").endswith("15:00–16:30 EET")
    # Summer time is named as such.
    summer = datetime(2026, 6, 9, 12, tzinfo=UTC)
    assert format_event_time(summer, None, ZoneInfo("Europe/Brussels"), "nl") == (
        "di 9 jun 2026, 14:00 CEST"
    )


def test_event_time_uk_ar_pt() -> None:
    assert format_event_time(START, END, "Europe/Brussels", "uk") == (
        "вт, 8 груд. 2026\u202fр., 14:00–15:30 CET"
    )
    ar = format_event_time(START, END, "Europe/Brussels", "ar")
    assert ar.startswith("الثلاثاء، 8 ديسمبر 2026") and "14:00–15:30" in ar
    pt = format_event_time(START, END, "Europe/Brussels", "pt_PT")
    assert pt.startswith("terça, 8/12/2026") and "14:00" in pt


def test_event_over_several_days_shows_both_ends() -> None:
    end = datetime(2026, 12, 10, 16, tzinfo=UTC)
    assert format_event_time(START, end, "Europe/Brussels", "en") == (
        "Tue, 8 Dec 2026, 14:00\u2009–\u2009Thu, 10 Dec 2026, 17:00 CET"
    )


def test_all_day_events_are_dates_with_an_exclusive_end() -> None:
    one_day = format_event_time(date(2026, 12, 8), date(2026, 12, 9), None, "en", all_day=True)
    assert one_day == "Tue, 8 Dec 2026"
    three = format_event_time(date(2026, 12, 8), date(2026, 12, 11), None, "fr", all_day=True)
    assert three == "mar. 8\u2009–\u2009jeu. 10 déc. 2026"
    midnight = datetime(2026, 12, 8, tzinfo=UTC)
    assert format_event_time(midnight, None, None, "en", all_day=True) == "Tue, 8 Dec 2026"


def test_naive_times_are_wall_clock_times_in_the_events_zone() -> None:
    naive = datetime(2026, 12, 8, 14, 0)
    assert format_event_time(naive, None, "Europe/Brussels", "en") == "Tue, 8 Dec 2026, 14:00 CET"


def test_zone_without_a_letter_abbreviation_gets_an_offset() -> None:
    moment = datetime(2026, 12, 8, 12, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert zone_name(moment, "en") == "GMT-03:00"


def test_lists_and_numbers() -> None:
    assert format_list(["Gwangju", "Utrecht", "Vienna"], "en") == "Gwangju, Utrecht and Vienna"
    assert format_list(["Gwangju", "Utrecht", "Vienna"], "fr") == "Gwangju, Utrecht et Vienna"
    assert format_list(["أ", "ب", "ج"], "ar") == "أ وب وج"
    assert format_number(1234.5, "de") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "fr") == "1\u202f234,5"
    assert format_number(1234.5, "uk") == "1\u00a0234,5"


@pytest.mark.parametrize(
    ("lang", "cases"),
    [
        ("en", {1: "one", 2: "other", 5: "other"}),
        ("fr", {0: "one", 1: "one", 2: "other"}),
        ("pl", {1: "one", 2: "few", 5: "many", 22: "few", 25: "many", 112: "many"}),
        ("uk", {1: "one", 3: "few", 11: "many", 21: "one", 24: "few"}),
        ("ar", {0: "zero", 1: "one", 2: "two", 3: "few", 11: "many", 100: "other"}),
        ("hu", {1: "one", 2: "other"}),
    ],
)
def test_plural_categories(lang: str, cases: dict[int, str]) -> None:
    assert {n: plural_category(n, lang) for n in cases} == cases


def test_country_names() -> None:
    assert country_name("BE", "fr") == "Belgique"
    assert country_name("kr", "de") == "Südkorea"
    assert country_name("UA", "uk") == "Україна"
    assert country_name("PT", "pt_PT") == "Portugal"
    assert country_name("XX", "en") == "XX"


@pytest.mark.parametrize("lang", DEFAULT_LANGUAGES)
def test_every_configured_language_formats(lang: str) -> None:
    assert "2026" in format_month_year(START, lang)
    assert "14:00" in format_event_time(START, END, "Europe/Brussels", lang)
