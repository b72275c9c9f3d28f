"""Events in an edition: a recurring series shown once (its next occurrence, with its rule), an
event featured by an earlier edition back as a one-line reminder until it happens, and which
events will have started by a given moment (approving or sending warns about them).

A calendar's series arrives as one stored item per occurrence (``ContentItem.series`` names the
series, ``recurrence`` holds its RRULE); the edition keeps the first occurrence from "today" on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hrc_outreach.config import Settings
from hrc_outreach.models import ContentItem, Edition, ItemKind, Section, SectionKind
from hrc_outreach.store.items import get_item
from hrc_outreach.store.tables import EditionRow


def series_key(item: ContentItem) -> tuple[str, str] | None:
    """(source, series) of an occurrence of an event that recurs by a rule, else None (extra
    dates alone, RDATE, make events of their own)."""
    if item.kind is ItemKind.EVENT and item.series and item.recurrence:
        return (item.source, item.series)
    return None


def upcoming(item: ContentItem, since: datetime) -> bool:
    """An event that starts at or after ``since`` (it has not happened yet)."""
    return item.kind is ItemKind.EVENT and item.start is not None and item.start >= since


def one_per_series(
    candidates: Sequence[ContentItem], stored: Iterable[ContentItem], since: datetime
) -> list[ContentItem]:
    """``candidates`` with each recurring series once: its first occurrence among them, carrying
    the series' rule; a series with no other occurrence from ``since`` on (the last of a COUNT or
    UNTIL) is shown as the single event it now is. Order is kept."""
    # Every stored occurrence from "today" on, also beyond the edition's window: "next on …"
    # and whether the series still recurs are about the series, not the window.
    ahead: dict[tuple[str, str], list[ContentItem]] = {}
    for item in stored:
        key = series_key(item)
        if key is not None and upcoming(item, since):
            ahead.setdefault(key, []).append(item)
    first: dict[tuple[str, str], ContentItem] = {}
    for item in candidates:
        key = series_key(item)
        if key is not None and item.start is not None:
            if key not in first or item.start < (first[key].start or item.start):
                first[key] = item
    out: list[ContentItem] = []
    for item in candidates:
        key = series_key(item)
        if key is None:
            out.append(item)
            continue
        if first.get(key) is not item:
            continue
        rule = item.recurrence or next(
            (o.recurrence for o in ahead.get(key, ()) if o.recurrence), None
        )
        if len(ahead.get(key, ())) < 2 or not rule:
            out.append(item.model_copy(update={"recurrence": None}))
        else:
            out.append(
                item if rule == item.recurrence else item.model_copy(update={"recurrence": rule})
            )
    return out


def reminders(
    featured: set[str],
    stored: dict[str, ContentItem],
    skip: set[str],
    due: Iterable[ContentItem],
) -> list[ContentItem]:
    """Events already featured by an earlier sent edition that have not happened yet, as
    one-line reminders: ``due`` are the events in this edition's window (not yet happened),
    ``featured`` the ids earlier editions featured, ``skip`` ids never shown (excluded,
    withdrawn, pinned). A series counts as featured when any of its occurrences was."""
    featured_series = {k for i in featured if i in stored and (k := series_key(stored[i]))}
    out = []
    for item in due:
        if item.id in skip or item.kind is not ItemKind.EVENT:
            continue
        if item.id in featured or series_key(item) in featured_series:
            out.append(item.model_copy(update={"reminder": True}))
    return out


def started_by(edition: Edition, moment: datetime, time_zone: str) -> list[ContentItem]:
    """The edition's events (reminders too) that will have started by ``moment``: an all-day
    event from the start of its day in the newsletter's ``time_zone``."""
    zone = ZoneInfo(time_zone)
    out = []
    for item in edition.items:
        if item.kind is not ItemKind.EVENT or item.start is None:
            continue
        start = item.start
        if item.all_day:
            start = datetime.combine(item.start.date(), time.min, zone)
        if start <= moment:
            out.append(item)
    return out


def started_warning(edition: Edition, moment: datetime, time_zone: str, doing: str) -> str | None:
    """A warning naming the edition's events that will have started by ``moment`` (``doing``:
    "approving", "sending"), or None when there are none."""
    started = started_by(edition, moment, time_zone)
    if not started:
        return None
    zone = ZoneInfo(time_zone)

    def when(i: ContentItem) -> str:
        start = i.start or moment
        return f"{start:%Y-%m-%d}" if i.all_day else f"{start.astimezone(zone):%Y-%m-%d %H:%M %Z}"

    named = "; ".join(f"{i.title!r} ({when(i)})" for i in started)
    return (
        f"edition {edition.key}: {len(started)} event(s) will have started by the time of "
        f"{doing} ({moment.astimezone(zone):%Y-%m-%d %H:%M %Z}): {named}. Exclude them "
        f"(editions/{edition.key}.yaml, or drop them on the preview page) and draft again, or go "
        "on as is"
    )


def started_in_store(
    session: Session, settings: Settings, key: str, doing: str, now: datetime | None = None
) -> str | None:
    """The warning of :func:`started_warning` for edition ``key`` as last drafted (its recorded
    items): "approving" looks at when it will be sent (its date, or now if later), "sending" at
    now. None when no event has started by then, or the edition was never drafted."""
    row = session.get(EditionRow, key)
    if row is None:
        return None
    zone = ZoneInfo(settings.newsletter.time_zone)
    moment = now or datetime.now(UTC)
    if doing == "approving":
        day = datetime.combine(datetime.fromisoformat(row.edition_date).date(), time.min, zone)
        moment = max(moment, day)
    items = [i for i in (get_item(session, str(x)) for x in row.item_ids) if i is not None]
    events = tuple(i for i in items if i.kind is ItemKind.EVENT)
    if not events:
        return None
    edition = Edition(
        key=key,
        title=row.title,
        issue_number=row.issue_number,
        date=moment.date(),
        sections=(Section(kind=SectionKind.EVENTS, items=events),),
    )
    return started_warning(edition, moment, settings.newsletter.time_zone, doing)
