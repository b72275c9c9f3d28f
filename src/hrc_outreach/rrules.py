"""How much work expanding a calendar's recurring events would cost, estimated before expanding.

``recurring_ical_events`` hands each rule to dateutil, which steps through every occurrence from
DTSTART to the end of the window (and caches them): a ``FREQ=SECONDLY`` rule with no end costs
tens of seconds and a GB before any cap on the output applies. So the cost of a series is
estimated from its text first: the rule's periods from DTSTART to the earlier of UNTIL and the
window's end, times what its BYxxx parts multiply each period into, plus its RDATEs. Series
that cost too much are refused, with a reason naming the event, and never expanded.

The engine also stops only on a date that matches: a rule whose parts never agree
(``BYMONTH=2;BYMONTHDAY=30``) is searched to the year 9999 whatever UNTIL says. So each admitted
rule's days are walked over the window and a few years after it (:func:`silent_rules`), and a
rule with none there is taken out of its event, which keeps its other dates.

>>> budget = WorkBudget(series=100_000, calendar=1_000_000)
>>> budget.admit(vevent_with("FREQ=SECONDLY"), window_end)  # doctest: +SKIP
'FREQ=SECONDLY repeats more often than daily and has no COUNT or UNTIL'
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil import rrule as _dateutil
from dateutil.rrule import DAILY, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKLY, YEARLY, rrulestr
from icalendar.prop import vDDDTypes, vRecur

# dateutil's per-year day masks (private, unchanged since 2.7): the walk below uses them so
# that every BYxxx part means exactly what it means to the engine.
_iterinfo: Any = _dateutil._iterinfo

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
    text = rule.to_ical().decode() if isinstance(rule, vRecur) else str(rule)  # type: ignore[no-untyped-call]
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
        value: object = vDDDTypes.from_ical(text)  # type: ignore[no-untyped-call]
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
        # an event with nothing to expand costs what reading it did: never refused for others
        if work > len(components) and self.spent + work > self.calendar:
            return (
                f"the calendar's recurring events together exceed {self.calendar:,} "
                "occurrences to compute; later events are not expanded"
            )
        self.spent += work
        return None


# --- Rules whose parts seldom or never match ------------------------------------------------
#
# dateutil checks UNTIL and the window's end only on a date that matches: a rule whose BYxxx
# parts never agree (BYMONTH=2;BYMONTHDAY=30) makes it step through every period to the year
# 9999 (~3 s of CPU for one DAILY event), whatever UNTIL says. So before expanding, the rule's
# candidate days are walked here over the window only (and a few years past it): period by
# period from DTSTART's period index (INTERVAL kept), with dateutil's own parsed rule and day
# masks, so BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY (ordinals too) and BYSETPOS mean
# exactly what they mean to the engine. Times of day are not walked: a day with a candidate
# counts, so the walk finds a superset of the engine's dates and never drops a real one.

HORIZON_YEARS = 8  # past the window: a leap day comes back within 8 years (2096 -> 2104)
MARGIN = timedelta(days=2)  # zones and the engine's naive comparisons of the window
# A rule dropped for producing no date keeps its UNTIL in a rule that yields at most DTSTART:
# the engine adds DTSTART to a series only when it is not past every rule's UNTIL.
INERT = "FREQ=YEARLY;INTERVAL=10000"


def _naive(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    return datetime(value.year, value.month, value.day)


def _parsed(parts: dict[str, str], dtstart: date | datetime) -> Any | None:
    """dateutil's rule for ``parts`` without COUNT or UNTIL (they only take dates away)."""
    text = ";".join(f"{k}={v}" for k, v in parts.items() if k not in ("COUNT", "UNTIL"))
    try:
        return rrulestr(text, dtstart=_naive(dtstart), cache=False)
    except Exception:  # the engine reports a rule it cannot read; nothing to decide here
        return None


def _periods(rr: Any, lo: date, hi: date) -> Iterator[tuple[date, date]]:
    """First and last day of each of the rule's periods (INTERVAL kept) that overlaps
    [lo, hi], in order; ``lo`` is not before DTSTART."""
    start: date = rr._dtstart.date()
    freq, n = rr._freq, rr._interval
    if freq == YEARLY:
        year = start.year + max(0, -(-(lo.year - start.year) // n)) * n
        while year <= hi.year:
            yield date(year, 1, 1), date(year, 12, 31)
            year += n
    elif freq == MONTHLY:
        first, low, high = (d.year * 12 + d.month - 1 for d in (start, lo, hi))
        index = first + max(0, -(-(low - first) // n)) * n
        while index <= high:
            year, month = divmod(index, 12)
            yield date(year, month + 1, 1), date(year, month + 1, monthrange(year, month + 1)[1])
            index += n
    elif freq == WEEKLY:
        week = start - timedelta(days=(start.weekday() - rr._wkst) % 7)
        k = max(0, -(-((lo - week).days - 6) // (7 * n)))
        while (begin := week + timedelta(days=7 * n * k)) <= hi:
            yield (start if k == 0 else begin), begin + timedelta(days=6)
            k += 1
    elif freq == DAILY:
        day = start + timedelta(days=max(0, -(-(lo - start).days // n)) * n)
        while day <= hi:
            yield day, day
            day += timedelta(days=n)
    else:  # finer than a day: each day that holds one of the rule's instants
        step = timedelta(seconds=n * {HOURLY: 3600, MINUTELY: 60, SECONDLY: 1}[freq])
        origin, day = rr._dtstart, lo
        while day <= hi:
            midnight = datetime(day.year, day.month, day.day)
            ahead = max(0, -(-(midnight - origin) // step))
            if origin + ahead * step < midnight + timedelta(days=1):
                yield day, day
            day += timedelta(days=1)


def _passes(rr: Any, ii: Any, i: int) -> bool:
    """dateutil's own day filter (rrule._iter), for day ``i`` of the year ``ii`` was built for."""
    byyearday = rr._byyearday
    return not (
        (rr._bymonth and ii.mmask[i] not in rr._bymonth)
        or (rr._byweekno and not ii.wnomask[i])
        or (rr._byweekday and ii.wdaymask[i] not in rr._byweekday)
        or (ii.nwdaymask and not ii.nwdaymask[i])
        or (rr._byeaster and not ii.eastermask[i])
        or (
            (rr._bymonthday or rr._bynmonthday)
            and ii.mdaymask[i] not in rr._bymonthday
            and ii.nmdaymask[i] not in rr._bynmonthday
        )
        or (
            byyearday
            and (
                (i < ii.yearlen and i + 1 not in byyearday and -ii.yearlen + i not in byyearday)
                or (
                    i >= ii.yearlen
                    and i + 1 - ii.yearlen not in byyearday
                    and -ii.nextyearlen + i - ii.yearlen not in byyearday
                )
            )
        )
    )


def _times_per_period(rr: Any, ii: Any) -> int:
    """How many times of day one period's days carry (what BYSETPOS counts through)."""
    if rr._freq < HOURLY:
        return len(rr._timeset)
    at = rr._dtstart
    get = {HOURLY: ii.htimeset, MINUTELY: ii.mtimeset, SECONDLY: ii.stimeset}[rr._freq]
    return len(get(at.hour, at.minute, at.second))


@dataclass
class Walk:
    """The days checked so far (the walk's own cost, charged to the budget)."""

    checked: int = 0


def first_day(rr: Any, lo: date, hi: date, walk: Walk) -> date | None:
    """The first day in [lo, hi] on which the rule may produce a date (a superset of the
    engine's), or None when it produces none there. Work: the days of [lo, hi] (of whole
    periods with BYSETPOS), never more."""
    lo = max(lo, rr._dtstart.date())
    if lo > hi:
        return None
    ii = _iterinfo(rr)
    times = _times_per_period(rr, ii) if rr._bysetpos else 0
    try:
        return _first_day(rr, ii, times, lo, hi, walk)
    except OverflowError:  # past the year 9999: the engine stops there too
        return None


def _first_day(rr: Any, ii: Any, times: int, lo: date, hi: date, walk: Walk) -> date | None:
    for first, last in _periods(rr, lo, hi):
        if not rr._bysetpos:  # only the days inside [lo, hi] matter
            first, last = max(first, lo), min(last, hi)
        ii.rebuild(first.year, first.month)
        begin = first.toordinal() - ii.yearordinal
        days = [i for i in range(begin, begin + (last - first).days + 1) if _passes(rr, ii, i)]
        walk.checked += (last - first).days + 1
        if rr._bysetpos:
            chosen = set()
            for pos in rr._bysetpos:
                daypos = divmod(pos if pos < 0 else pos - 1, max(1, times))[0]
                if times and -len(days) <= daypos < len(days):
                    chosen.add(days[daypos])
            days = sorted(chosen)
        for i in days:
            day = date.fromordinal(ii.yearordinal + i)
            if lo <= day <= hi:
                return day
    return None


def _span_extension(components: list[Any]) -> timedelta:
    """How far before the window the engine looks for a series' dates (its longest event, and
    how far a modified occurrence moved from its RECURRENCE-ID), as the engine extends it."""
    longest = timedelta(0)
    for component in components:
        try:
            start = _naive(component.get("DTSTART").dt)
            end, duration = component.get("DTEND"), component.get("DURATION")
            span = timedelta(0)
            if end is not None:
                span = abs(_naive(end.dt) - start)
            elif isinstance(getattr(duration, "dt", None), timedelta):
                span = abs(duration.dt)
            rid = component.get("RECURRENCE-ID")
            moved = abs(_naive(rid.dt) - start) if rid is not None else timedelta(0)
            longest = max(longest, span + moved)
        except Exception:  # a broken time: the engine says so; the margin still applies
            continue
    return longest + MARGIN


def _later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years, day=min(day.day, 28))
    except ValueError:
        return date.max


def _moved(moment: datetime, by: timedelta) -> date:
    """``moment + by`` as a day, held inside the years datetime can count."""
    try:
        return (moment + by).date()
    except OverflowError:
        return date.max if by > timedelta(0) else date.min


def _produces_nothing(
    parts: dict[str, str], dtstart: date | datetime, lo: date, hi: date, walk: Walk
) -> bool:
    """Whether the rule surely has no date in [lo, hi] nor in the HORIZON_YEARS after it."""
    rr = _parsed(parts, dtstart)
    if rr is None or first_day(rr, lo, hi, walk) is not None:
        return False
    after = max(hi, rr._dtstart.date())
    after = after if after == date.max else after + timedelta(days=1)
    return first_day(rr, after, _later(after, HORIZON_YEARS), walk) is None


def silent_rules(
    components: list[Any], start: datetime, end: datetime, walk: Walk
) -> list[tuple[Any, str]]:
    """Take out of a series' VEVENTs the rules that produce no date in the window [start, end]
    nor in the ``HORIZON_YEARS`` after it (or after DTSTART, when later): the engine would
    search for one to the year 9999. Returns (component, rule text) for each rule taken out;
    rules that merely have no date in this window (a yearly event off season) stay."""
    extension = _span_extension(components)
    # the engine compares the window's wall time with each event's own
    lo = _moved(start.replace(tzinfo=None), -extension)
    hi = _moved(end.replace(tzinfo=None), extension)
    dropped: list[tuple[Any, str]] = []
    for component in components:
        rules = _values(component.get("RRULE"))
        try:
            dtstart = component.get("DTSTART").dt
        except Exception:  # none, or broken: the engine reports it
            continue
        if not rules or not isinstance(dtstart, date):
            continue
        kept = []
        for rule in rules:
            try:
                parts = rule_parts(rule)
                silent = _produces_nothing(parts, dtstart, lo, hi, walk)
                inert = (
                    vRecur.from_ical(f"{INERT};UNTIL={parts['UNTIL']}")
                    if silent and parts.get("UNTIL")
                    else None
                )
            except Exception:  # undecided: the rule stays, as before this check existed
                silent = False
            if not silent:
                kept.append(rule)
                continue
            if inert is not None:
                kept.append(inert)
            dropped.append((component, ";".join(f"{k}={v}" for k, v in parts.items())))
        if len(kept) != len(rules) or any(k is not r for k, r in zip(kept, rules, strict=True)):
            del component["RRULE"]
            for rule in kept:
                component.add("RRULE", rule)
    return dropped
