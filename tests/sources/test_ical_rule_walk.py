"""The bounded walk of a rule's days (rrules.first_day) agrees with dateutil, the engine.

dateutil is asked only about the years 9985-9999, where it stops by itself at the year 9999 even
for a rule that never matches; the Gregorian calendar (weekdays included) repeats every 400
years, so these years stand for any. For rules of a day or coarser the walk must find exactly
the engine's first day; finer rules ignore times of day, so it may only find a day earlier (a
superset), never none where the engine has one.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from dateutil.rrule import DAILY, rrulestr

from hrc_outreach.rrules import Walk, first_day

FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _some(rng: random.Random, values: list[int], most: int = 3) -> str:
    return ",".join(str(v) for v in rng.sample(values, rng.randint(1, most)))


def _rule(rng: random.Random) -> str:
    freq = rng.choice(FREQS)
    parts = [f"FREQ={freq}", f"INTERVAL={rng.choice((1, 1, 2, 3, 4, 7))}"]
    signed = lambda top: [n for n in range(-top, top + 1) if n]  # noqa: E731
    if rng.random() < 0.5:
        parts.append(f"BYMONTH={_some(rng, list(range(1, 13)))}")
    if rng.random() < 0.4:
        parts.append(f"BYMONTHDAY={_some(rng, signed(31), 2)}")
    if rng.random() < 0.2:
        parts.append(f"BYYEARDAY={_some(rng, signed(366), 2)}")
    if rng.random() < 0.2 and freq == "YEARLY":
        parts.append(f"BYWEEKNO={_some(rng, signed(53), 2)}")
    if rng.random() < 0.5:
        ordinal = freq in ("MONTHLY", "YEARLY") and rng.random() < 0.5
        days = rng.sample(DAYS, rng.randint(1, 3))
        parts.append(
            "BYDAY=" + ",".join(f"{rng.choice(signed(5)) if ordinal else ''}{d}" for d in days)
        )
    if rng.random() < 0.3:
        parts.append(f"BYSETPOS={_some(rng, signed(6), 2)}")
    if rng.random() < 0.2:
        parts.append(f"BYHOUR={_some(rng, list(range(24)), 2)}")
    if rng.random() < 0.2:
        parts.append(f"WKST={rng.choice(DAYS)}")
    return ";".join(parts)


@pytest.mark.parametrize("seed", range(8))
def test_the_walk_finds_the_engines_first_day(seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    while checked < 60:
        text = _rule(rng)
        start = datetime(rng.randint(9985, 9995), rng.randint(1, 12), rng.randint(1, 28))
        start += timedelta(hours=rng.randint(0, 23), minutes=rng.choice((0, 30)))
        try:
            rr = rrulestr(text, dtstart=start, cache=False)
        except ValueError:  # a combination dateutil refuses; the engine reports it
            continue
        lo = (start + timedelta(days=rng.randint(-30, 900))).date()
        hi = min(lo + timedelta(days=rng.randint(0, 500)), date(9999, 12, 30))
        truth = rr.between(
            datetime(lo.year, lo.month, lo.day),
            datetime(hi.year, hi.month, hi.day, 23, 59, 59),
            inc=True,
            count=1,
        )
        engine = truth[0].date() if truth else None
        walk = Walk()
        found = first_day(rr, lo, hi, walk)
        where = f"{text} from {start} in [{lo}, {hi}]"
        if rr._freq <= DAILY:  # type: ignore[attr-defined]
            assert found == engine, where
        else:
            assert engine is None or (found is not None and found <= engine), where
        assert walk.checked <= (hi - lo).days + 1 + 2 * 366, where  # bounded by the span
        checked += 1
