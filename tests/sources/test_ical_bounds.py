"""Recurrence is bounded by work, not only by output: hostile calendars are read in a child process
whose memory and CPU time are capped by the kernel (setrlimit), so a bomb kills the child (and fails
the test) instead of being timed on a busy machine."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

MEMORY_LIMIT = 1024 * 1024 * 1024  # address space; one unbounded SECONDLY rule needs more
CPU_SECONDS = 40  # the whole child, imports included; before the fix one rule took ~50 s
WALL_SECONDS = 240  # generous: the machine is shared; CPU time is what is bounded

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({mem}, {mem}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
from datetime import UTC, datetime
from pathlib import Path
from hrc_outreach.config import SourceConfig
from hrc_outreach.sources.base import Document
from hrc_outreach.sources.ical import parse_ical
path = Path(sys.argv[1])
doc = Document(content=path.read_bytes(), base_url=path.as_uri())
config = SourceConfig(name="bombs", kind="ical", path=path, item_kind="event")
out = parse_ical(doc, config, datetime(2026, 11, 22, 9, tzinfo=UTC), "Europe/Brussels", "en")
print(json.dumps({{
    "titles": sorted({{i.title for i in out.items}}),
    "items": len(out.items),
    "warnings": list(out.warnings),
    "unsure": sorted(out.snapshot.unsure) if out.snapshot else None,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
}}))
"""

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//bombs//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def vevent(uid: str, summary: str, start: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:{summary}\r\n"
        f"DTSTART:{start}\r\n{body}END:VEVENT\r\n"
    )


def read_in_child(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "bombs.ics"
    path.write_text(text, encoding="utf-8")
    code = CHILD.format(mem=MEMORY_LIMIT, cpu=CPU_SECONDS)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            timeout=WALL_SECONDS,
            cwd=Path(__file__).parents[2],
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading the calendar took longer than {WALL_SECONDS} s")
    assert done.returncode == 0, (
        f"the child died (exit {done.returncode}: over "
        f"{CPU_SECONDS} s CPU or {MEMORY_LIMIT >> 20} MB?)\n"
        f"{done.stderr[-2000:]}"
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


ALL = ",".join(str(n) for n in range(60))
HOURS = ",".join(str(n) for n in range(24))


def test_rules_finer_than_a_day_and_byxxx_explosions_are_refused_before_expanding(
    tmp_path: Path,
) -> None:
    bombs = [
        vevent("s1", "Every second", "20261101T000000Z", "RRULE:FREQ=SECONDLY"),
        vevent(
            "s2",
            "Every second since 2020",
            "20200101T000000Z",
            "RRULE:FREQ=SECONDLY;UNTIL=20300101T000000Z",
        ),
        vevent("m1", "Every minute", "20261101T000000Z", "RRULE:FREQ=MINUTELY;INTERVAL=1"),
        vevent("h1", "Every hour", "20261101T000000Z", "RRULE:FREQ=HOURLY"),
        vevent(
            "d1",
            "Every second of every day",
            "20261101T000000Z",
            f"RRULE:FREQ=DAILY;BYHOUR={HOURS};BYMINUTE={ALL};BYSECOND={ALL}",
        ),
        vevent(
            "y1",
            "Every second of the year",
            "20261101T000000Z",
            f"RRULE:FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYDAY=MO,TU,WE,TH,FR,SA,SU"
            f";BYHOUR={HOURS};BYMINUTE={ALL};BYSECOND={ALL}",
        ),
        vevent("c1", "Daily since 1700", "17000101T090000Z", "RRULE:FREQ=DAILY;COUNT=999999999"),
        vevent("w1", "Weekly", "20261103T090000Z", "RRULE:FREQ=WEEKLY;COUNT=4"),
        vevent("one", "Kick-off", "20261210T100000Z"),
    ]
    out = read_in_child(tmp_path, HEAD + "".join(bombs) + TAIL)
    assert out["titles"] == ["Kick-off", "Weekly"], out
    warnings = "\n".join(out["warnings"])  # type: ignore[arg-type]
    for uid, summary in (("s1", "Every second"), ("m1", "Every minute"), ("h1", "Every hour")):
        assert f"event {summary!r} (UID {uid}) refused" in warnings
    assert "FREQ=SECONDLY repeats more often than daily" in warnings
    for uid in ("s2", "d1", "y1", "c1"):
        assert f"(UID {uid}) refused, not expanded: its rule would step through" in warnings
    # refused events are never taken as withdrawn: the calendar was not read whole for them
    assert {"s1", "s1/", "c1", "c1/"} <= set(out["unsure"])  # type: ignore[arg-type]
    assert "w1" not in out["unsure"]  # type: ignore[operator]


def test_a_sub_daily_rule_with_a_small_end_is_still_expanded(tmp_path: Path) -> None:
    ok = vevent("h", "Three sessions", "20261210T090000Z", "RRULE:FREQ=HOURLY;INTERVAL=2;COUNT=3")
    out = read_in_child(tmp_path, HEAD + ok + TAIL)
    assert out["items"] == 3 and out["warnings"] == []


def test_thousands_of_rdates_and_of_costly_series_are_bounded(tmp_path: Path) -> None:
    # 150,000 distinct RDATEs in one event; then 300 series just under the per-series budget,
    # together 30x the calendar's; a plain event after them still gets through.
    first = datetime(2026, 12, 1, tzinfo=UTC)
    rdates = [(first + timedelta(minutes=n)).strftime("%Y%m%dT%H%M%SZ") for n in range(150_000)]
    lines = [f"RDATE:{','.join(rdates[n : n + 500])}" for n in range(0, len(rdates), 500)]
    many = [
        vevent(
            f"costly{n}",
            f"Costly {n}",
            "20050101T090000Z",
            "RRULE:FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16,17,18,19,20",
        )
        for n in range(300)
    ]
    text = HEAD + vevent("r", "RDATE flood", "20261201T100000Z", *lines) + "".join(many)
    text += vevent("last", "Closing forum", "20261215T100000Z") + TAIL
    out = read_in_child(tmp_path, text)
    warnings = "\n".join(out["warnings"])  # type: ignore[arg-type]
    assert "(UID r) refused" in warnings
    assert "Closing forum" in out["titles"]  # type: ignore[operator]
    assert "... and" in warnings  # hundreds of refusals, reported in a bounded list
    assert len(out["titles"]) < 20  # type: ignore[arg-type]


def test_many_events_are_capped_by_max_events(tmp_path: Path) -> None:
    events = [
        vevent(f"e{n}", f"Event {n}", f"202612{1 + n % 28:02d}T{n % 24:02d}0000Z")
        for n in range(6000)
    ]
    out = read_in_child(tmp_path, HEAD + "".join(events) + TAIL)
    assert out["items"] == 5000
    assert any("only the first 5000 of 6000 events kept" in w for w in out["warnings"])  # type: ignore[union-attr]


def test_thousands_of_rules_that_never_match_are_bounded_by_the_calendars_work(
    tmp_path: Path,
) -> None:
    # Each costs the engine a search to the year 9999 (~3 s); the walk that finds it out is
    # itself charged to the calendar's work, so thousands of them cannot add up either.
    never = [
        vevent(
            f"n{n}", f"Never {n}", "20261120T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
        )
        for n in range(3000)
    ]
    text = HEAD + "".join(never) + vevent("last", "Closing forum", "20261215T100000Z") + TAIL
    out = read_in_child(tmp_path, text)
    warnings = "\n".join(out["warnings"])  # type: ignore[arg-type]
    assert "event 'Never 0' (UID n0): its rule FREQ=DAILY;" in warnings
    assert "... and" in warnings  # thousands, reported in a bounded list
    assert "Closing forum" in out["titles"]  # type: ignore[operator]
    # the first few hundred keep their DTSTART; the calendar's work then runs out, and the rest
    # are refused whole (and never taken as withdrawn)
    assert 100 < out["items"] < 1000, out["items"]  # type: ignore[operator]
    assert "n0" not in out["unsure"] and "n2999" in out["unsure"]  # type: ignore[operator]
