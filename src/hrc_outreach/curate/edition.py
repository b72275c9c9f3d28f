"""Curation: which stored items go into which edition.

"Now" is the edition's date (the first Tuesday of its month), never the clock, so drafting the same
edition twice gives the same edition.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy.orm import Session

from hrc_outreach.config import Settings
from hrc_outreach.curate.events import one_per_series, reminders, series_key
from hrc_outreach.curate.featured import (
    featured_before,
    featured_elsewhere,
    record_draft,
    sent_item_ids,
)
from hrc_outreach.curate.keys import edition_date, issue_number
from hrc_outreach.curate.pins import Choices, load_choices, resolve
from hrc_outreach.curate.shown import shown_item
from hrc_outreach.errors import CurateError, EmptyEditionError
from hrc_outreach.models import (
    SECTION_OF_KIND,
    ContentItem,
    Edition,
    ItemKind,
    Section,
    SectionKind,
)
from hrc_outreach.store.items import list_items, withdrawn_ids

log = logging.getLogger(__name__)
SECTION_ORDER = (SectionKind.PRACTICES, SectionKind.PROJECTS, SectionKind.EVENTS, SectionKind.NEWS)
_OLDEST = datetime.min.replace(tzinfo=ZoneInfo("UTC"))


def edition_title(settings: Settings, when: date) -> str:
    """The edition's title in the source language, e.g. "The Human Rights Readers — December 2026"."""
    month = format_date(when, "LLLL y", locale=settings.i18n.source_language)
    return f"{settings.newsletter.name} — {month}"


def editions_dir(settings: Settings) -> Path:
    return settings.resolve(settings.newsletter.editions_dir)


def read_intro(settings: Settings, key: str) -> str:
    """The staff intro ``editions/<key>.md`` (Markdown), or "" when there is none."""
    path = editions_dir(settings) / f"{key}.md"
    if not path.is_file():
        return ""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CurateError(f"{path}: cannot read the edition intro: {exc}") from exc


def read_intro_translations(settings: Settings, key: str) -> dict[str, str]:
    """Staff's own intro per configured language, ``editions/<key>.<lang>.md`` (``pt_PT``, or
    ``pt-PT``): language -> Markdown. An empty or unreadable file is a CurateError, not skipped."""
    found: dict[str, str] = {}
    for lang in settings.i18n.languages:
        for name in dict.fromkeys((lang, lang.replace("_", "-"))):
            path = editions_dir(settings) / f"{key}.{name}.md"
            if not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise CurateError(f"{path}: cannot read the edition intro: {exc}") from exc
            if not text:
                raise CurateError(f"{path}: the {lang} intro is empty; write it or remove the file")
            found[lang] = text
            break
    return found


def _newest_first(items: Sequence[ContentItem]) -> list[ContentItem]:
    return sorted(items, key=lambda i: (-(i.published_at or _OLDEST).timestamp(), i.id))


def _by_start(items: Sequence[ContentItem]) -> list[ContentItem]:
    return sorted(items, key=lambda i: ((i.start or _OLDEST).timestamp(), i.id))


class _Window(NamedTuple):
    """Curation's "now": events must start in ``[start, end)``; other items must be published
    before ``day_end`` (the end of "today")."""

    start: datetime
    day_end: datetime
    end: datetime


def _window(settings: Settings, now: date) -> _Window:
    tz = ZoneInfo(settings.newsletter.time_zone)
    day_end = datetime.combine(now + timedelta(days=1), time.min, tz)
    return _Window(
        start=datetime.combine(now, time.min, tz),
        day_end=day_end,
        end=day_end + timedelta(days=settings.curate.event_window_days),
    )


def curate_edition(
    session: Session, settings: Settings, key: str, *, today: date | None = None
) -> Edition:
    """Plan edition ``key`` from the store and record the draft in the ``editions`` table.

    ``today`` is "now" for curation (default: the edition's date): events must start within
    ``[today, today + curate.event_window_days]``; other items must be published by then.
    Items withdrawn at their source (cancelled, removed) are left out, pinned or not; a sent
    edition keeps what it had.
    Raises EmptyEditionError when nothing qualifies, CurateError for a bad key or pins file.
    """
    when = edition_date(key)
    number = issue_number(key, settings.newsletter.first_issue)
    window = _window(settings, today or when)
    choices_path = editions_dir(settings) / f"{key}.yaml"
    choices = load_choices(choices_path)

    # Withdrawn items stay resolvable (a pin names them; a sent edition had them), never chosen.
    stored = {i.id: i for i in list_items(session, include_withdrawn=True)}
    withdrawn = withdrawn_ids(session)
    by_key = {f"{i.source}:{i.source_key}": i.id for i in stored.values()}
    pinned = _resolve_all(choices, choices.pin, stored, by_key, "pin")
    excluded = set(_resolve_all(choices, choices.exclude, stored, by_key, "exclude"))
    _check_texts(choices, stored, by_key)

    fixed = sent_item_ids(session, key)
    if fixed is not None:  # a sent edition is what it was: re-drafting shows the same items
        sections = _sent_sections(session, key, fixed, stored, window)
    else:
        pins = _live_pins(key, pinned, stored, excluded, withdrawn, choices_path)
        skip = excluded | set(pinned) | withdrawn
        sections = _new_sections(session, settings, key, stored, window, pins=pins, skip=skip)
    sections = tuple(
        s.model_copy(update={"items": tuple(_shown(i, settings, choices, by_key) for i in s.items)})
        for s in sections
    )

    edition = Edition(
        key=key,
        title=edition_title(settings, when),
        issue_number=number,
        date=when,
        intro_markdown=read_intro(settings, key),
        intro_translations=read_intro_translations(settings, key),
        sections=sections,
        pinned=tuple(pinned),
    )
    if edition.empty:
        raise EmptyEditionError(
            f"edition {key} has no items: nothing new in the store for {when.isoformat()} "
            "(gather first, or pin items in "
            f"{choices_path}); an empty edition is reported, never sent"
        )
    record_draft(session, edition)
    return edition


def _sent_sections(
    session: Session,
    key: str,
    fixed: Sequence[str],
    stored: dict[str, ContentItem],
    window: _Window,
) -> tuple[Section, ...]:
    """The sections of sent edition ``key`` again: its ``fixed`` items, and as reminders the
    events that editions sent before it had featured (uncapped, as it showed them)."""
    chosen = [stored[i] for i in fixed if i in stored]
    before = featured_before(session, key)
    again = one_per_series(reminders(before, stored, set(), chosen), stored.values(), window.start)
    chosen = one_per_series(
        [i for i in chosen if i.id not in before and not _in_series(i, before, stored)],
        stored.values(),
        window.start,
    )
    return _sections(chosen, pinned=[], caps=None, reminders=again)


def _new_sections(
    session: Session,
    settings: Settings,
    key: str,
    stored: dict[str, ContentItem],
    window: _Window,
    *,
    pins: list[ContentItem],
    skip: set[str],
) -> tuple[Section, ...]:
    """The sections of an edition not sent yet: the live ``pins``, then what is due in the
    window and not featured by another sent edition (nor in ``skip``: excluded, pinned,
    withdrawn), up to the caps; events featured before come back as reminders."""
    featured = featured_elsewhere(session, key)
    not_new = skip | featured
    due = [i for i in stored.values() if _due(i, window.start, window.day_end, window.end)]
    # A series an earlier edition featured (any occurrence of it) returns only as a reminder.
    featured_series = {series_key(stored[i]) for i in featured if i in stored} - {None}
    candidates = one_per_series(
        [i for i in due if i.id not in not_new and series_key(i) not in featured_series],
        stored.values(),
        window.start,
    )
    again: list[ContentItem] = []
    if settings.curate.event_reminders:
        again = _reminders_beside(candidates, featured, stored, skip, due, window)
    return _sections(candidates, pinned=pins, caps=settings.curate.caps, reminders=again)


def _reminders_beside(
    candidates: Sequence[ContentItem],
    featured: set[str],
    stored: dict[str, ContentItem],
    skip: set[str],
    due: Sequence[ContentItem],
    window: _Window,
) -> list[ContentItem]:
    """Reminders of ``featured`` events in the window (``due``), one per series, except a series
    whose next occurrence is already in ``candidates`` as a full item."""
    shown = {series_key(i) for i in candidates} - {None}
    return one_per_series(
        [
            r
            for r in reminders(featured, stored, skip, due)
            if series_key(r) is None or series_key(r) not in shown
        ],
        stored.values(),
        window.start,
    )


def _in_series(item: ContentItem, featured: set[str], stored: dict[str, ContentItem]) -> bool:
    """True when ``item`` is an occurrence of a series one of the ``featured`` items belongs to."""
    key = series_key(item)
    return key is not None and any(series_key(stored[i]) == key for i in featured if i in stored)


def _due(
    item: ContentItem, window_start: datetime, day_end: datetime, window_end: datetime
) -> bool:
    """An event starting in the window, or another item published by the end of "today"."""
    if item.kind is ItemKind.EVENT:
        return item.start is not None and window_start <= item.start < window_end
    return item.published_at is None or item.published_at < day_end


def _live_pins(
    key: str,
    pinned: list[str],
    stored: dict[str, ContentItem],
    excluded: set[str],
    withdrawn: set[str],
    choices_path: Path,
) -> list[ContentItem]:
    """The pinned items still to show: not excluded, not withdrawn at their source (a withdrawn
    pin is left out with a warning naming the pins file)."""
    for i in pinned:
        if i in withdrawn and i not in excluded:
            log.warning(
                "edition %s: pinned item %s (%r) was withdrawn at its source; left "
                "out (remove the pin from %s)",
                key,
                i,
                stored[i].title,
                choices_path,
            )
    return [stored[i] for i in pinned if i not in excluded and i not in withdrawn]


def _resolve_all(
    choices: Choices,
    refs: Sequence[str],
    stored: dict[str, ContentItem],
    by_key: dict[str, str],
    what: str,
) -> list[str]:
    ids: list[str] = []
    for ref in refs:
        item_id = resolve(ref, stored, by_key)
        if item_id is None and what == "exclude":
            # a recurring series by its own id (source:UID): every occurrence of it
            series = _series_ids(ref, stored)
            ids.extend(i for i in series if i not in ids)
            if series:
                continue
        if item_id is None:
            raise CurateError(
                f"{choices.path}: {what} {ref!r} names no stored item (use an item id or "
                "source:source_key; see `hrc-outreach gather` output)"
            )
        if item_id not in ids:
            ids.append(item_id)
    return ids


def _series_ids(ref: str, stored: dict[str, ContentItem]) -> list[str]:
    """The stored occurrences of the recurring series ``ref`` names (``source:UID``)."""
    return [i.id for i in stored.values() if i.series and f"{i.source}:{i.series}" == ref]


def _shown(
    item: ContentItem, settings: Settings, choices: Choices, by_key: dict[str, str]
) -> ContentItem:
    """The item as this edition shows it: the staff's headline and summary, when they set one
    (by id, ``source:source_key``, or for a series ``source:UID``), and the edition's own
    presentation (see curate.shown)."""
    refs: tuple[str, ...] = (item.id, f"{item.source}:{item.source_key}")
    if item.series:  # a series' next occurrence changes: staff may name the series itself
        refs = (*refs, f"{item.source}:{item.series}")
    headline = next((choices.headlines[r] for r in refs if r in choices.headlines), "")
    summary = next((choices.summaries[r] for r in refs if r in choices.summaries), "")
    return shown_item(item, settings, headline=headline, summary=summary)


def as_shown(settings: Settings, key: str, items: Sequence[ContentItem]) -> list[ContentItem]:
    """Stored ``items`` of edition ``key`` as the edition shows them (staff headlines and
    summaries, cut summaries, zones; see :func:`_shown`): for readers of a drafted edition's items
    (PO export, translation review) to see the text the edition renders."""
    choices = load_choices(editions_dir(settings) / f"{key}.yaml")
    return [_shown(i, settings, choices, {}) for i in items]


def _check_texts(choices: Choices, stored: dict[str, ContentItem], by_key: dict[str, str]) -> None:
    """A headline or summary naming no stored item is a mistake to report, like a bad pin."""
    for what, texts in (("headline", choices.headlines), ("summary", choices.summaries)):
        for ref in texts:
            if resolve(ref, stored, by_key) is None and not _series_ids(ref, stored):
                raise CurateError(
                    f"{choices.path}: {what} for {ref!r} names no stored item (use an item id "
                    "or source:source_key; see `hrc-outreach gather` output)"
                )


def _sections(
    candidates: Sequence[ContentItem],
    *,
    pinned: Sequence[ContentItem],
    caps: dict[str, int] | None,
    reminders: Sequence[ContentItem] = (),
) -> tuple[Section, ...]:
    """Group into sections in a fixed order: pins first (never capped), then the rest up to the
    cap; reminders of earlier events after the events, up to the cap of their own."""
    out: list[Section] = []
    for kind in SECTION_ORDER:
        pins = [i for i in pinned if SECTION_OF_KIND[i.kind] is kind]
        rest = [i for i in candidates if SECTION_OF_KIND[i.kind] is kind]
        if kind is SectionKind.EVENTS:
            rest = _by_start(rest)
        else:
            rest = _newest_first(rest)
        item_kind = next(k for k, s in SECTION_OF_KIND.items() if s is kind)
        cap = len(rest) if caps is None else caps.get(item_kind.value, len(rest))  # absent: no cap
        room = max(cap - len(pins), 0)
        items = pins + rest[:room]
        if kind is SectionKind.EVENTS:
            room_again = (
                len(reminders) if caps is None else caps.get(item_kind.value, len(reminders))
            )
            items = _by_start(items) + _by_start(reminders)[:room_again]
        if items:
            out.append(Section(kind=kind, items=tuple(items)))
    return tuple(out)
