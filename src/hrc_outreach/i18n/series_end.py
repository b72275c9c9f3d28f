"""The day a recurring series ends, as a reader in the zone shown would say it: the day of its
last occurrence, not the UTC day of its UNTIL (RFC 5545 writes UNTIL in UTC for a zoned series:
a Los Angeles series whose last Thursday is 17 December at 18:00 has UNTIL=20261218T020000Z).

The last occurrence is found with dateutil (the engine ``recurring_ical_events`` uses), stepping
in the series' wall time from one of its occurrences, so a DST change keeps the local time. The
work is bounded (``MAX_UNTIL_WORK``), and a rule whose parts never match again is not searched
to the year 9999 (its days are walked first, as ``rrules`` does for the source).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

from hrc_outreach.rrules import (
    FINER_THAN_A_DAY,
    HORIZON_YEARS,
    Walk,
    first_day,
    rule_parts,
    rule_work,
)


def zone(name: str | None) -> tzinfo:
    """The zone called ``name``; UTC for none or an unknown name."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime) -> datetime:
    """``moment`` with a zone: UTC when it has none."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Occurrences stepped through to find a series' last one (a weekly series over 90 years); a
# rule that costs more says the day of its UNTIL in the zone shown instead. Daily and weekly
# rules start their search a few periods before UNTIL, so they never cost that much.
MAX_UNTIL_WORK = 5_000
# The parts with which a daily or weekly rule repeats the same days every period.
_PERIODIC = frozenset({"FREQ", "INTERVAL", "BYDAY", "WKST", "UNTIL", "COUNT"})


def last_occurrence_day(
    rule_text: str,
    next_start: datetime,
    time_zone: str | None,
    *,
    all_day: bool = False,
    excluded: Collection[date | datetime] = (),
) -> date | None:
    """The day a series with an UNTIL ends: its last occurrence from ``next_start`` (one of its
    occurrences) on, not past UNTIL and not ``excluded``, as a day in ``time_zone``; None
    without an UNTIL. An UNTIL that is a date or a floating time is its own day; a rule too
    costly to step through (finer than a day, or over ``MAX_UNTIL_WORK`` occurrences), or one
    that never matches again, gives UNTIL's day in the zone; an UNTIL before ``next_start``
    gives ``next_start``'s day (the occurrence shown is the last there is).

    >>> from datetime import UTC
    >>> last_occurrence_day("FREQ=WEEKLY;BYDAY=TH;UNTIL=20261218T020000Z",
    ...                     datetime(2026, 11, 27, 2, tzinfo=UTC), "America/Los_Angeles")
    datetime.date(2026, 12, 17)
    """
    until = _until(rule_text)
    if not isinstance(until, datetime) or until.tzinfo is None:
        return until.date() if isinstance(until, datetime) else until
    shown = zone(time_zone)
    local_until = until.astimezone(shown)
    if all_day:  # dates: the rule steps through days, UNTIL's day is the zone's
        start = datetime.combine(next_start.date(), time())
        end = local_until.replace(tzinfo=None)
    else:
        start, end = aware(next_start).astimezone(shown), until
    last = _last(rule_text, start, end, excluded)
    if last is None:
        return local_until.date()
    return last.astimezone(shown).date() if last.tzinfo is not None else last.date()


def _last(
    rule_text: str, start: datetime, end: datetime, excluded: Collection[date | datetime]
) -> datetime | None:
    """The rule's last occurrence in [start, end] (``start`` when it has none), or None when
    finding it would cost too much."""
    parts = rule_parts(rule_text)
    if parts.get("FREQ", "").upper() in FINER_THAN_A_DAY:
        return None
    first, start = start, _near_the_end(parts, start, end)
    work, refused = rule_work(rule_text, start, aware(end))
    if refused or work > MAX_UNTIL_WORK:
        return None
    text = ";".join(f"{k}={v}" for k, v in parts.items() if k not in ("COUNT", "UNTIL"))
    try:
        rr = rrulestr(text, dtstart=start, cache=False)
        # dateutil compares UNTIL only on a date that matches: a rule that never matches again
        # would be searched to the year 9999, so one later matching day must exist
        after = end.astimezone(start.tzinfo) if start.tzinfo is not None else end
        if first_day(rr, after.date(), _years_later(after.date()), Walk()) is None:
            return None
        rr = rr.replace(until=end)
        dates: list[datetime] = list(islice(rr, MAX_UNTIL_WORK + 1))
    except (ValueError, TypeError, OverflowError):
        return None
    if len(dates) > MAX_UNTIL_WORK:
        return None
    kept = [d for d in dates if not _taken_out(d, excluded)]
    if kept:
        return kept[-1]
    return first if start == first else None


def _near_the_end(parts: dict[str, str], start: datetime, end: datetime) -> datetime:
    """``start`` moved by whole periods (INTERVAL kept, wall time kept) to 8 periods before
    ``end``, for a daily or weekly rule that repeats the same days every period; else
    ``start``."""
    freq = parts.get("FREQ", "").upper()
    if freq not in ("DAILY", "WEEKLY") or set(parts) - _PERIODIC:
        return start
    try:
        interval = max(1, int(parts.get("INTERVAL") or 1))
    except ValueError:
        return start
    step = timedelta(days=interval * (7 if freq == "WEEKLY" else 1))
    local_end = end.astimezone(start.tzinfo) if start.tzinfo is not None else end
    periods = (local_end.replace(tzinfo=None) - start.replace(tzinfo=None)) // step - 8
    return start + periods * step if periods > 0 else start


def _taken_out(moment: datetime, excluded: Collection[date | datetime]) -> bool:
    for value in excluded:
        if isinstance(value, datetime):
            if (value.tzinfo is None) == (moment.tzinfo is None) and value == moment:
                return True
        elif moment.tzinfo is None and moment.date() == value:
            return True
    return False


def _years_later(day: date) -> date:
    try:
        return day.replace(year=day.year + HORIZON_YEARS, day=min(day.day, 28))
    except ValueError:
        return date.max


def _until(rule_text: str) -> date | None:
    try:
        values = vRecur.from_ical(rule_text).get("UNTIL") or []
    except Exception:
        return None
    value = values[0] if values else None
    return value if isinstance(value, date) else None
