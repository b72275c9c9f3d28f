"""How much work expanding a calendar's recurring events would cost, estimated before expanding.

``recurring_ical_events`` hands each rule to dateutil, which steps through every occurrence from
DTSTART to the end of the window (and caches them): a ``FREQ=SECONDLY`` rule with no end costs
tens of seconds and a GB before any cap on the output applies. So the cost of a series is
estimated from its text first: the rule's periods from DTSTART to the earlier of UNTIL and the
window's end, times what its BYxxx parts multiply each period into, plus its RDATEs. Series
that cost too much are refused, with a reason naming the event, and never expanded.

>>> budget = WorkBudget(series=100_000, calendar=1_000_000)
>>> budget.admit(vevent_with("FREQ=SECONDLY"), window_end)  # doctest: +SKIP
'FREQ=SECONDLY repeats more often than daily and has no COUNT or UNTIL'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from icalendar.prop import vDDDTypes, vRecur

FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_ORDER = tuple(FREQ_SECONDS)  # finest first
FINER_THAN_A_DAY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
_BY_PARTS = (
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
)


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def dates_of(prop: Any) -> list[Any]:
    """The values of an RDATE/EXDATE line; none for a line icalendar could not read (it raises
    on any access to a broken property)."""
    try:
        return list(prop.dts)
    except Exception:
        return []


def rule_parts(rule: Any) -> dict[str, str]:
    """An RRULE's parts as written (``{"FREQ": "DAILY", "BYHOUR": "9,18"}``), readable or not:
    icalendar keeps a rule it cannot parse as text, and the engine may still try it."""
    text = rule.to_ical().decode() if isinstance(rule, vRecur) else str(rule)
    parts: dict[str, str] = {}
    for piece in text.replace("\\;", ";").split(";"):
        name, _, value = piece.partition("=")
        if name.strip():
            parts[name.strip().upper()] = value.strip()
    return parts


def _as_instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _count(parts: dict[str, str], name: str) -> int:
    return len([v for v in parts.get(name, "").split(",") if v.strip()])


def _fanout(freq: str, parts: dict[str, str]) -> int:
    """Candidates one period of ``freq`` expands into (an upper bound; filters are ignored)."""
    level = _ORDER.index(freq)
    n = 1
    for name, finer_than in (("BYSECOND", 0), ("BYMINUTE", 1), ("BYHOUR", 2)):
        if level > finer_than and _count(parts, name):
            n *= _count(parts, name)
    days = 1
    if freq == "WEEKLY" and _count(parts, "BYDAY"):
        days = min(7, _count(parts, "BYDAY"))
    elif freq == "MONTHLY":
        days = min(31, _count(parts, "BYMONTHDAY") + 5 * _count(parts, "BYDAY")) or 1
    elif freq == "YEARLY":
        if any(_count(parts, p) for p in ("BYYEARDAY", "BYWEEKNO", "BYMONTHDAY", "BYDAY")):
            days = 366
        else:
            days = max(1, _count(parts, "BYMONTH"))
    return n * days


def _until(parts: dict[str, str]) -> datetime | None:
    text = parts.get("UNTIL")
    if not text:
        return None
    try:
        value = vDDDTypes.from_ical(text)
    except Exception:  # an unreadable UNTIL counts as none: the estimate stays an upper bound
        return None
    return _as_instant(value) if isinstance(value, date) else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def rule_work(rule: Any, dtstart: date | datetime, window_end: datetime) -> tuple[int, str | None]:
    """(occurrences the engine would step through, why the rule is refused or None)."""
    parts = rule_parts(rule)
    freq = parts.get("FREQ", "").upper()
    if freq not in FREQ_SECONDS:
        return 1, None  # the engine rejects it at once; the expansion reports that
    interval = max(1, _int(parts.get("INTERVAL")) or 1)
    count = _int(parts.get("COUNT"))
    until = _until(parts)
    if freq in FINER_THAN_A_DAY and count is None and until is None:
        return 0, (
            f"FREQ={freq} repeats more often than daily and has no COUNT or UNTIL; "
            "a newsletter lists events, not a clock"
        )
    start = _as_instant(dtstart)
    stop = min(until, window_end) if until is not None else window_end
    periods = max(0, int((stop - start).total_seconds() // (FREQ_SECONDS[freq] * interval))) + 1
    work = periods * _fanout(freq, parts)
    if count is not None and count >= 0 and not any(parts.get(p) for p in _BY_PARTS):
        work = min(work, count + 1)
    return work, None


def component_work(component: Any, window_end: datetime) -> tuple[int, str | None]:
    """The work of one VEVENT: 1, plus its rules' and RDATEs' (see :func:`rule_work`)."""
    try:
        start = component.get("DTSTART").dt
    except Exception:  # no DTSTART, or a broken one: nothing to expand, the expansion says so
        start = None
    work = 1
    for rdate in _values(component.get("RDATE")):
        work += max(1, len(dates_of(rdate)))
    if not isinstance(start, date):
        return work, None
    for rule in _values(component.get("RRULE")):
        more, refused = rule_work(rule, start, window_end)
        if refused:
            return work + more, refused
        work += more
    return work, None


@dataclass
class WorkBudget:
    """Work allowed for one series and, in total, for one calendar document."""

    series: int
    calendar: int
    spent: int = 0

    def admit(self, components: list[Any], window_end: datetime) -> str | None:
        """Spend the work of one series (its VEVENTs of one UID); why it is refused, or None."""
        work = 0
        for component in components:
            more, refused = component_work(component, window_end)
            if refused:
                return refused
            work += more
        if work > self.series:
            return (
                f"its rule would step through about {work:,} occurrences before the window "
                f"ends (at most {self.series:,} per event); give it a later DTSTART, COUNT "
                "or UNTIL"
            )
        if self.spent + work > self.calendar:
            return (
                f"the calendar's recurring events together exceed {self.calendar:,} "
                "occurrences to compute; later events are not expanded"
            )
        self.spent += work
        return None
