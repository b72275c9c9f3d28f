"""Edition keys ("2026-12"), their dates (the first Tuesday of the month) and issue numbers."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hrc_outreach.errors import CurateError

_KEY = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TUESDAY = 1  # date.weekday()


def parse_key(key: str) -> tuple[int, int]:
    """The (year, month) of a monthly edition key.

    >>> parse_key("2026-12")
    (2026, 12)
    """
    m = _KEY.match(key or "")
    if not m:
        raise CurateError(f"edition key {key!r} is not a month like 2026-12 (YYYY-MM)")
    return int(m.group(1)), int(m.group(2))


def first_tuesday(year: int, month: int) -> date:
    """The first Tuesday of a month: the day the monthly edition goes out.

    >>> first_tuesday(2026, 12)
    datetime.date(2026, 12, 1)
    """
    first = date(year, month, 1)
    return first + timedelta(days=(TUESDAY - first.weekday()) % 7)


def edition_date(key: str) -> date:
    """The date of the edition ``key``; it is "now" for curation (drafts are reproducible)."""
    return first_tuesday(*parse_key(key))


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def default_edition_key(today: date) -> str:
    """The edition a draft made ``today`` is for: this month's if its first Tuesday is today or later,
    else next month's.

    >>> default_edition_key(date(2026, 11, 22))
    '2026-12'
    >>> default_edition_key(date(2026, 12, 1))
    '2026-12'
    """
    if first_tuesday(today.year, today.month) >= today:
        return month_key(today.year, today.month)
    return month_key(*next_month(today.year, today.month))


def issue_number(key: str, first_issue: str) -> int:
    """The issue number of ``key``, counting ``first_issue`` as issue 1.

    >>> issue_number("2026-12", "2025-01")
    24
    """
    y, m = parse_key(key)
    try:
        fy, fm = parse_key(first_issue)
    except CurateError as exc:
        raise CurateError(f"newsletter.first_issue: {exc}") from exc
    n = (y - fy) * 12 + (m - fm) + 1
    if n < 1:
        raise CurateError(
            f"edition {key} comes before the first issue ({first_issue}, newsletter.first_issue)"
        )
    return n
