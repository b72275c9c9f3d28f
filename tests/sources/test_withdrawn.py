"""Items carry a withdrawn state: gather() against a real HTTP server on 127.0.0.1 and a real store,
then curation. Cancelled events, removed events, moved series and 304s on a moving window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.curate import curate_edition
from hrc_outreach.models import SourceReport
from hrc_outreach.sources.gather import gather_sync
from hrc_outreach.store import Store
from hrc_outreach.store.items import (
    CANCELLED,
    MISSING,
    get_item,
    list_items,
    withdrawal,
)
from tests.sources.test_gather import FeedServer, rss

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def calendar(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, summary: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nSUMMARY:{summary}\r\n"
        f"{body}END:VEVENT\r\n"
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def settings_for(tmp_path: Path, server: FeedServer, kind: str = "ical") -> Settings:
    (tmp_path / "editions").mkdir(exist_ok=True)
    source: dict[str, Any] = {
        "name": "cal",
        "kind": kind,
        "url": server.url + "/cal",
        "item_kind": "event" if kind == "ical" else "news",
    }
    return Settings.model_validate(
        {
            "config_path": tmp_path / "outreach.toml",
            "newsletter": {"editions_dir": str(tmp_path / "editions")},
            "curate": {"event_window_days": 60},
            "fetch": {"retries": 0, "timeout_seconds": 5},
            "sources": [source],
        }
    )


def gather(settings: Settings, store: Store, now: datetime = NOW) -> SourceReport:
    report = gather_sync(settings, store, now=now)
    assert report.ok, report
    return report.sources[0]


def titles(store: Store, **kw: Any) -> list[str]:
    with store.session() as s:
        return sorted(i.title for i in list_items(s, **kw))


KICKOFF = vevent("kickoff", "Kick-off", "DTSTART:20261210T100000Z")
FORUM = vevent("forum", "Forum", "DTSTART:20261211T100000Z")


def test_a_cancelled_event_is_withdrawn_kept_in_history_and_left_out_of_the_edition(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    server.routes["/cal"] = (200, calendar(KICKOFF, FORUM))
    assert gather(settings, store).new == 2
    server.routes["/cal"] = (
        200,
        calendar(
            vevent(
                "kickoff", "Kick-off", "DTSTART:20261210T100000Z", "STATUS:CANCELLED", "SEQUENCE:1"
            ),
            FORUM,
        ),
    )
    report = gather(settings, store)
    assert report.withdrawn == 1
    assert titles(store) == ["Forum"]
    assert titles(store, include_withdrawn=True) == ["Forum", "Kick-off"]
    with store.session() as s:
        kickoff = next(i for i in list_items(s, include_withdrawn=True) if i.title == "Kick-off")
        gone = withdrawal(s, kickoff.id)
        assert gone is not None and gone.reason == CANCELLED and gone.at == NOW
        assert get_item(s, kickoff.id) is not None  # history kept, not deleted
        edition = curate_edition(s, settings, "2026-12")
    assert [i.title for i in edition.items] == ["Forum"]


def test_a_deleted_event_is_withdrawn_and_comes_back_if_restored(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    server.routes["/cal"] = (200, calendar(KICKOFF, FORUM))
    gather(settings, store)
    server.routes["/cal"] = (200, calendar(FORUM))
    assert gather(settings, store).withdrawn == 1
    with store.session() as s:
        kickoff = next(i for i in list_items(s, include_withdrawn=True) if i.title == "Kick-off")
        assert (gone := withdrawal(s, kickoff.id)) is not None and gone.reason == MISSING
    server.routes["/cal"] = (200, calendar(KICKOFF, FORUM))
    back = gather(settings, store)
    assert (back.new, back.updated, back.withdrawn) == (0, 1, 0)
    assert titles(store) == ["Forum", "Kick-off"]


def test_a_series_moved_to_another_weekday_keeps_only_the_new_occurrences(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    tuesdays = vevent(
        "clinic", "Clinic", "DTSTART;VALUE=DATE:20261020", "RRULE:FREQ=WEEKLY;COUNT=20"
    )
    thursdays = vevent(
        "clinic",
        "Clinic",
        "DTSTART;VALUE=DATE:20261022",
        "RRULE:FREQ=WEEKLY;COUNT=20",
        "SEQUENCE:1",
    )
    server.routes["/cal"] = (200, calendar(tuesdays))
    gather(settings, store)
    server.routes["/cal"] = (200, calendar(thursdays))
    report = gather(settings, store)
    assert report.withdrawn > 0
    with store.session() as s:
        current = [i.start for i in list_items(s) if i.start]
        every = [i.start for i in list_items(s, include_withdrawn=True) if i.start]
    window_start = NOW - timedelta(days=30) + timedelta(days=2)
    assert {d.weekday() for d in current if d >= window_start} == {3}  # Thursdays only
    assert {d.weekday() for d in every} == {1, 3}  # the Tuesdays are kept, withdrawn


def test_an_exdate_or_a_cancelled_occurrence_withdraws_just_that_one(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    series = ["DTSTART:20261203T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4"]
    server.routes["/cal"] = (200, calendar(vevent("w", "Weekly", *series)))
    assert gather(settings, store).new == 4
    server.routes["/cal"] = (
        200,
        calendar(
            vevent("w", "Weekly", *series, "EXDATE:20261210T100000Z"),
            vevent(
                "w",
                "Weekly",
                "RECURRENCE-ID:20261217T100000Z",
                "DTSTART:20261217T100000Z",
                "STATUS:CANCELLED",
            ),
        ),
    )
    assert gather(settings, store).withdrawn == 2
    with store.session() as s:
        left = sorted(i.start.day for i in list_items(s) if i.start)
        reasons = {
            withdrawal(s, i.id).reason  # type: ignore[union-attr]
            for i in list_items(s, include_withdrawn=True)
            if i.start.day in (10, 17)
        }  # type: ignore[union-attr]
    assert left == [3, 24] and reasons == {CANCELLED}


def test_an_event_refused_this_time_is_not_taken_as_withdrawn(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    server.routes["/cal"] = (200, calendar(KICKOFF))
    gather(settings, store)
    # the same UID now carries a rule that is refused: unknown, not gone
    server.routes["/cal"] = (
        200,
        calendar(vevent("kickoff", "Kick-off", "DTSTART:20261210T100000Z", "RRULE:FREQ=MINUTELY")),
    )
    report = gather(settings, store)
    assert report.withdrawn == 0 and any("refused" in w for w in report.warnings)
    assert titles(store) == ["Kick-off"]


def test_an_item_dropping_off_the_end_of_a_feed_is_not_withdrawn(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server, kind="feed")
    server.routes["/cal"] = (200, rss(("a", "First", "<p>a</p>"), ("b", "Second", "<p>b</p>")))
    gather(settings, store)
    server.routes["/cal"] = (200, rss(("b", "Second", "<p>b</p>")))  # a feed shows its latest N
    assert gather(settings, store).withdrawn == 0
    assert titles(store) == ["First", "Second"]


def test_a_304_still_expands_a_static_calendar_over_the_moved_window(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    monthly = vevent("m", "Monthly meeting", "DTSTART:20261201T100000Z", "RRULE:FREQ=MONTHLY")
    server.routes["/cal"] = (200, calendar(monthly))
    first = gather(settings, store)
    later = gather(settings, store, now=NOW + timedelta(days=200))
    assert [r[2] for r in server.requests] == [200, 304]
    assert later.not_modified and later.new > 0  # the months the window moved onto
    with store.session() as s:
        starts = [i.start for i in list_items(s) if i.start]
    assert max(starts) > NOW + timedelta(days=300)
    assert first.new + later.new == len(starts)


def test_items_never_withdrawn_leave_curation_as_it_was(
    tmp_path: Path, server: FeedServer, store: Store
) -> None:
    settings = settings_for(tmp_path, server)
    server.routes["/cal"] = (200, calendar(KICKOFF, FORUM))
    gather(settings, store)
    gather(settings, store)  # 304, nothing moves out
    with store.session() as s:
        edition = curate_edition(s, settings, "2026-12", today=date(2026, 12, 1))
    assert [i.title for i in edition.items] == ["Kick-off", "Forum"]
