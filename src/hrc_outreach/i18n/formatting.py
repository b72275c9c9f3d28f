"""Dates, times, numbers, lists and country names per locale (Babel, CLDR).

Every helper takes a configured language code (``fr``, ``pt_PT``, ``uk``...) and goes through
:func:`~hrc_outreach.i18n.catalog.babel_locale`, so ``pt_PT`` stays European Portuguese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as bdates
from babel import lists as blists
from babel import numbers as bnumbers

from hrc_outreach.i18n.catalog import babel_locale

_LETTERS_ONLY = re.compile(r"^[^\W\d_]{2,6}$", re.UNICODE)


def format_date(d: date | datetime, lang: str, format: str = "long") -> str:
    """A date in ``lang``: ``format_date(date(2026, 12, 8), "fr")`` -> ``8 décembre 2026``."""
    day = d.date() if isinstance(d, datetime) else d
    return bdates.format_date(day, format, locale=babel_locale(lang))


def format_month_year(d: date | datetime, lang: str) -> str:
    """Month and year, as in an edition title: ``décembre 2026``, ``grudzień 2026``.

    CLDR's ``yMMMM`` skeleton already uses the standalone (nominative) month where the language
    needs it (pl ``LLLL y``, uk ``LLLL y 'р'.``).
    """
    day = d.date() if isinstance(d, datetime) else d
    return bdates.format_skeleton("yMMMM", day, locale=babel_locale(lang))


_FIXED_OFFSET = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


def _zone(tz: str | tzinfo | None, fallback: datetime) -> tzinfo:
    if tz is None:
        return fallback.tzinfo or UTC
    if isinstance(tz, str):
        fixed = _FIXED_OFFSET.match(tz)  # a calendar's own zone that no IANA zone matches
        if fixed:
            offset = timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3)))
            return timezone(-offset if fixed.group(1) == "-" else offset)
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            return fallback.tzinfo or UTC
    return tz


def zone_name(moment: datetime, lang: str) -> str:
    """A short, readable name of ``moment``'s zone: CLDR's (``MEZ`` in de), else the zone's own
    abbreviation (``CET``), else the localised offset (``GMT+01:00``)."""
    locale = babel_locale(lang)
    short = bdates.get_timezone_name(moment, "short", locale=locale)
    if _LETTERS_ONLY.match(short):
        return short
    abbr = moment.tzname() or ""
    if _LETTERS_ONLY.match(abbr):
        return abbr
    return bdates.format_datetime(moment, "ZZZZ", locale=locale)


def _as_local(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is None:  # a naive time is a wall-clock time in the event's zone
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _day_range(first: date, last: date, lang: str) -> str:
    locale = babel_locale(lang)
    if first >= last:
        return bdates.format_skeleton("yMMMEd", first, locale=locale)
    return bdates.format_interval(first, last, "yMMMEd", locale=locale)


def format_event_time(
    start: datetime | date,
    end: datetime | date | None,
    tz: str | tzinfo | None,
    lang: str,
    all_day: bool = False,
) -> str:
    """When an event happens, in the event's time zone with the zone named.

    >>> from datetime import datetime, UTC
    >>> format_event_time(datetime(2026, 12, 8, 13, tzinfo=UTC),
    ...                   datetime(2026, 12, 8, 14, 30, tzinfo=UTC), "Europe/Brussels", "en")
    'Tue, 8 Dec 2026, 14:00–15:30 CET'

    All-day events show dates only; their ``end`` is exclusive as in iCalendar (an event on 8 and
    9 December ends on the 10th at 00:00), unless it is the same day as ``start``.
    """
    locale = babel_locale(lang)
    if all_day or not isinstance(start, datetime):
        first = start.date() if isinstance(start, datetime) else start
        last = first
        if end is not None:
            last = end.date() if isinstance(end, datetime) else end
            if last > first:
                last -= timedelta(days=1)  # exclusive end
        return _day_range(first, last, lang)

    zone = _zone(tz, start)
    begin = _as_local(start, zone)
    finish = _as_local(end, zone) if isinstance(end, datetime) else None
    day = bdates.format_skeleton("yMMMEd", begin, locale=locale)
    glue = locale.datetime_formats["medium"]
    if finish is None or finish <= begin:
        when = bdates.format_skeleton("Hm", begin, locale=locale)
        text = glue.format(when, day)
    elif finish.date() == begin.date():
        when = bdates.format_interval(begin.time(), finish.time(), "Hm", locale=locale)
        text = glue.format(when, day)
    else:
        later = bdates.format_skeleton("yMMMEd", finish, locale=locale)
        text = locale.interval_formats[None].format(
            glue.format(bdates.format_skeleton("Hm", begin, locale=locale), day),
            glue.format(bdates.format_skeleton("Hm", finish, locale=locale), later),
        )
    return f"{text} {zone_name(begin, lang)}"


def format_time(t: time | datetime, lang: str) -> str:
    """A wall-clock time, 24-hour or 12-hour as the locale writes it: ``14:00``."""
    return bdates.format_skeleton("Hm", t, locale=babel_locale(lang))


def format_list(items: Iterable[str], lang: str, style: str = "standard") -> str:
    """``a, b and c`` in ``lang``: ``a, b et c`` (fr), ``a وb وc`` (ar); style ``or`` too."""
    return blists.format_list(list(items), style=style,  # type: ignore[arg-type]
                              locale=babel_locale(lang))


def format_number(n: int | float | Decimal, lang: str) -> str:
    """A number with the locale's separators: ``1 234,5`` (fr), ``1.234,5`` (de)."""
    return bnumbers.format_decimal(n, locale=babel_locale(lang))


def plural_category(n: int | float, lang: str) -> str:
    """CLDR plural category of ``n`` in ``lang`` (``one``, ``few``, ``many``...): pl 22 -> few."""
    return str(babel_locale(lang).plural_form(n))


def country_name(code: str, lang: str) -> str:
    """The name of an ISO 3166-1 alpha-2 country in ``lang``; the code itself if unknown."""
    territories = babel_locale(lang).territories
    return str(territories.get(code.strip().upper(), code))
