"""``ical`` sources: iCalendar feeds and files (icalendar + recurring-ical-events).

Recurring events are expanded over a window around ``ctx.now`` (options ``window_days``, default
180 ahead, and ``window_past_days``, default 30 back); each occurrence is one event item. Identity is
the UID plus, for an occurrence of a series, its RECURRENCE-ID (the original start), so a moved
occurrence updates its item instead of adding one; SEQUENCE and LAST-MODIFIED are kept, so a
re-issued event changes the item's content and is recorded as an update. Cancelled events are
skipped. Times are stored in UTC with the event's IANA zone in ``timezone``; floating times are read
in the option ``timezone`` (else the newsletter's zone); all-day events keep their date at 00:00 UTC.

A broken calendar yields what can be read plus warnings; nothing readable is a SourceError.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import Document, GatherContext, SourceOutput
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html, short_title

DEFAULT_WINDOW_DAYS = 180
DEFAULT_PAST_DAYS = 30
DEFAULT_MAX_PER_SERIES = 100
MAX_WARNINGS = 20

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")
_LOOKS_HTML = re.compile(r"<(?:p|br|a|div|ul|ol|li|b|i|strong|em|span)\b[^>]*>", re.I)
# Hosts of video meetings: a link to one is the event's online link.
_MEETING_HOSTS = ("zoom.us", "teams.microsoft.com", "teams.live.com", "meet.google.com",
                  "webex.com", "meet.jit.si", "whereby.com", "gotomeeting.com", "bigbluebutton",
                  "livestorm.co", "youtube.com/live", "streamyard.com", "hopin.com")
_REGISTRATION_HOSTS = ("eventbrite.", "forms.gle", "docs.google.com/forms", "typeform.com",
                       "tickettailor.com", "lu.ma", "ti.to", "/register", "/registration")
_REGISTRATION_WORDS = re.compile(
    r"regist|sign[ -]?up|tickets?|inscri|anmeld|book (?:a|your) (?:place|seat)", re.I)
_ONLINE_PROPS = ("CONFERENCE", "X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL",
                 "X-MICROSOFT-ONLINEMEETINGCONFLINK")


def _text(value: Any) -> str:
    """A property value as plain, single-spaced text ('' for None or a list of nothing)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split())


def _multiline(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").strip()


def text_to_html(text: str) -> str:
    """Plain text as HTML: paragraphs on blank lines, line breaks kept, URLs made links.

    >>> text_to_html("Join us.\\n\\nhttps://ex.org/a")
    '<p>Join us.</p><p><a href="https://ex.org/a">https://ex.org/a</a></p>'
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    out = []
    for p in paragraphs:
        parts, last = [], 0
        for m in _URL.finditer(p):
            parts.append(html.escape(p[last:m.start()], quote=False))
            url = html.escape(m.group(0))
            parts.append(f'<a href="{url}">{url}</a>')
            last = m.end()
        parts.append(html.escape(p[last:], quote=False))
        out.append("<p>" + "".join(parts).replace("\n", "<br>") + "</p>")
    return "".join(out)


def _stamp(value: date | datetime) -> str:
    """A time as it appears in an identity: UTC for aware times, as written otherwise."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def _zone_name(value: datetime, prop: Any) -> str | None:
    tz = value.tzinfo
    key = getattr(tz, "key", None)
    if key:
        return None if key in ("UTC", "Etc/UTC") else str(key)
    if tz is not None and value.utcoffset() == timedelta(0) and str(tz) in ("UTC", "UTC+00:00"):
        return None
    params = getattr(prop, "params", None) or {}
    tzid = params.get("TZID") if hasattr(params, "get") else None
    return str(tzid) if tzid else None


def _as_utc(value: date | datetime, floating: tzinfo) -> datetime:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=floating)
        return aware.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _dt(component: Any, name: str) -> date | datetime | None:
    prop = component.get(name)
    value = getattr(prop, "dt", None)
    return value if isinstance(value, date) else None


def _categories(component: Any) -> list[str]:
    raw = component.get("CATEGORIES")
    if raw is None:
        return []
    out: list[str] = []
    for entry in raw if isinstance(raw, list) else [raw]:
        cats = getattr(entry, "cats", None)
        out.extend(str(c) for c in (cats if cats is not None else str(entry).split(",")))
    return [" ".join(c.split()) for c in out if c and c.strip()]


def _http(url: str | None, base: str = "") -> str | None:
    safe = safe_url(url, base)
    return safe if safe and safe.startswith(("https://", "http://")) else None


def _urls(text: str) -> list[str]:
    return [m.group(0) for m in _URL.finditer(text)]


def _online_link(component: Any, location: str, description: str) -> str | None:
    for name in _ONLINE_PROPS:
        for value in _all(component.get(name)):
            url = _http(str(value).strip())
            if url:
                return url
    loc_urls = _urls(location)
    if loc_urls:
        return _http(loc_urls[0])
    for url in _urls(description):
        if any(host in url.lower() for host in _MEETING_HOSTS):
            return _http(url)
    return None


def _registration_link(component: Any, description: str) -> str | None:
    for value in _all(component.get("X-REGISTRATION-URL")):
        url = _http(str(value).strip())
        if url:
            return url
    for m in _URL.finditer(description):
        before = description[max(0, m.start() - 60): m.start()]
        lowered = m.group(0).lower()
        if _REGISTRATION_WORDS.search(before) or any(h in lowered for h in _REGISTRATION_HOSTS):
            return _http(m.group(0))
    return None


def _all(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _description_html(component: Any, base: str) -> tuple[str, str]:
    """(sanitised HTML, plain text) of the event's description."""
    for alt in _all(component.get("X-ALT-DESC")):
        params = getattr(alt, "params", {}) or {}
        if str(params.get("FMTTYPE", "")).lower() == "text/html" and str(alt).strip():
            cleaned = sanitize_html(str(alt), base)
            if cleaned:
                return cleaned, html_to_text(cleaned)
    text = _multiline(component.get("DESCRIPTION"))
    if not text:
        return "", ""
    if _LOOKS_HTML.search(text):  # Google Calendar writes HTML into DESCRIPTION
        cleaned = sanitize_html(text, base)
        return cleaned, html_to_text(cleaned)
    return sanitize_html(text_to_html(text), base), text


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def event_to_item(component: Any, config: SourceConfig, base: str, floating: tzinfo,
                  language: str, recurring: bool = False) -> ContentItem | None:
    """One expanded VEVENT occurrence as an event item; None when cancelled or without a start."""
    if _text(component.get("STATUS")).upper() == "CANCELLED":
        return None
    start = _dt(component, "DTSTART")
    if start is None:
        return None
    end = _dt(component, "DTEND")
    if end is None and component.get("DURATION") is not None:
        duration = getattr(component.get("DURATION"), "dt", None)
        if isinstance(duration, timedelta):
            end = start + duration
    uid = _text(component.get("UID"))
    # The library stamps every occurrence with a RECURRENCE-ID; only a series' count for identity.
    recurrence_id = _dt(component, "RECURRENCE-ID") if recurring else None
    summary_html, description = _description_html(component, base)
    title = _text(component.get("SUMMARY")) or short_title(description) or "(untitled)"
    if uid:
        key = f"{uid}/{_stamp(recurrence_id)}" if recurrence_id is not None else uid
    else:  # no UID (invalid, but common): the title and the start identify it
        digest = hashlib.sha256(f"{title}\x1f{_stamp(start)}".encode()).hexdigest()[:32]
        key = "sha256:" + digest
    all_day = not isinstance(start, datetime)
    location = _text(component.get("LOCATION"))
    url = _http(_text(component.get("URL")), base)
    modified = _dt(component, "LAST-MODIFIED")
    created = _dt(component, "CREATED") or _dt(component, "DTSTAMP")
    image = next((u for u in (_http(str(v), base) for v in _all(component.get("IMAGE"))) if u),
                 None)
    return ContentItem(
        id=item_id(config.name, key),
        source=config.name,
        source_key=key,
        kind=ItemKind(config.item_kind),
        title=title,
        summary=summary_html,
        url=url,
        image_url=image,
        image_alt=title if image else None,
        language=language,
        published_at=_as_utc(created, UTC) if created is not None else None,
        updated_at=_as_utc(modified, UTC) if modified is not None else None,
        tags=tuple(dict.fromkeys([*_categories(component), *config.tags])),
        start=_as_utc(start, floating),
        end=_as_utc(end, floating) if end is not None else None,
        all_day=all_day,
        timezone=None if all_day else (
            _zone_name(start, component.get("DTSTART")) if isinstance(start, datetime)
            and start.tzinfo else getattr(floating, "key", None)),
        location=location or None,
        online_url=_online_link(component, location, description),
        registration_url=_registration_link(component, description),
        sequence=_int(component.get("SEQUENCE", 0)),
    )


def _calendars(doc: Document, config: SourceConfig) -> list[Any]:
    try:
        parsed = icalendar.Calendar.from_ical(doc.content, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, KeyError, ... on broken input
        raise SourceError(f"{config.location} is not a readable iCalendar file: "
                          f"{type(exc).__name__}: {exc}", source=config.name) from exc
    calendars = []
    for component in parsed:
        if component.name == "VCALENDAR":
            calendars.append(component)
        else:  # a bare VEVENT: wrap it, as a calendar app would
            wrapper = icalendar.Calendar()
            wrapper.add_component(component)
            calendars.append(wrapper)
    if not calendars:
        raise SourceError(f"{config.location} holds no VCALENDAR; is it an .ics file?",
                          source=config.name)
    return calendars


def _option_int(config: SourceConfig, name: str, default: int) -> int:
    value = config.options.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"option {name}={value!r} must be a whole number",
                          source=config.name) from exc


def _floating_zone(config: SourceConfig, calendar: Any, default: str) -> tzinfo:
    for name in (config.options.get("timezone"), _text(calendar.get("X-WR-TIMEZONE")), default):
        if name:
            try:
                return ZoneInfo(str(name))
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def _by_uid(calendar: Any) -> list[tuple[str, Any]]:
    """The calendar split into one calendar per UID (with every VTIMEZONE), to expand alone."""
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    groups: dict[str, list[Any]] = {}
    for n, c in enumerate(calendar.subcomponents):
        if c.name == "VEVENT":
            groups.setdefault(_text(c.get("UID")) or f"#{n}", []).append(c)
    out = []
    for uid, events in groups.items():
        part = icalendar.Calendar()
        for name, value in calendar.items():
            if name.startswith("X-") or name == "CALSCALE":  # X-WR-TIMEZONE matters
                part[name] = value
        for c in (*zones, *events):
            part.add_component(c)
        out.append((uid, part))
    return out


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"it has no {exc.args[0] if exc.args else 'required property'}"
    return f"{type(exc).__name__}: {exc}"


def _expand(calendar: Any, start: datetime, end: datetime, per_series: int,
            warnings: list[str]) -> Iterator[Any]:
    query = recurring_ical_events.of(calendar, keep_recurrence_attributes=True,
                                     skip_bad_series=True)
    # The library compares naive spans with every kind of event time (aware, floating, dates).
    span_start, span_end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    for series in query.series:
        uid = getattr(series, "uid", "") or "?"
        try:
            occurrences = list(itertools.islice(series.between(span_start, span_end),
                                                per_series + 1))
        except Exception as exc:  # one bad series (a broken RRULE) must not end the calendar
            warnings.append(f"event {uid!s} skipped: {_why(exc)}")
            continue
        if len(occurrences) > per_series:
            warnings.append(f"event {uid!s}: only the first {per_series} occurrences kept "
                            "(raise the option max_per_series)")
            occurrences = occurrences[:per_series]
        for occurrence in occurrences:
            try:
                yield occurrence.as_component(True)
            except Exception as exc:
                warnings.append(f"an occurrence of {uid!s} skipped: {_why(exc)}")


def _occurrences(calendar: Any, start: datetime, end: datetime, per_series: int,
                 warnings: list[str]) -> Iterator[Any]:
    try:
        local: list[str] = []
        found = list(_expand(calendar, start, end, per_series, local))
    except Exception:
        # One event the library cannot take (no DTSTART, two DTSTARTs...) fails the whole
        # calendar: expand event by event instead, so only that event is lost.
        for uid, part in _by_uid(calendar):
            try:
                yield from list(_expand(part, start, end, per_series, warnings))
            except Exception as exc:
                warnings.append(f"event {uid} skipped: {_why(exc)}")
        return
    warnings.extend(local)
    yield from found


def parse_ical(doc: Document, config: SourceConfig, now: datetime, default_tz: str,
               language: str) -> SourceOutput:
    """Event items in the window around ``now``, and warnings, from one iCalendar document."""
    ahead = _option_int(config, "window_days", DEFAULT_WINDOW_DAYS)
    back = _option_int(config, "window_past_days", DEFAULT_PAST_DAYS)
    per_series = _option_int(config, "max_per_series", DEFAULT_MAX_PER_SERIES)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    start, end = now - timedelta(days=back), now + timedelta(days=ahead)
    warnings: list[str] = []
    items: dict[str, ContentItem] = {}
    for calendar in _calendars(doc, config):
        errors = [e for c in calendar.walk() for e in (getattr(c, "errors", None) or [])]
        if errors:
            warnings.append(f"{len(errors)} unreadable propert{'y' if len(errors) == 1 else 'ies'}"
                            f" ignored (first: {errors[0]})")
        floating = _floating_zone(config, calendar, default_tz)
        series_uids = {
            _text(c.get("UID")) for c in calendar.walk("VEVENT")
            if any(c.get(p) is not None for p in ("RRULE", "RDATE", "RECURRENCE-ID"))
        }
        for component in _occurrences(calendar, start, end, per_series, warnings):
            try:
                recurring = _text(component.get("UID")) in series_uids
                item = event_to_item(component, config, doc.base_url, floating, language,
                                     recurring)
            except Exception as exc:
                uid = _text(component.get("UID")) or _text(component.get("SUMMARY")) or "?"
                warnings.append(f"event {uid} skipped: {type(exc).__name__}: {exc}")
                continue
            if item is not None:
                items[item.id] = item  # the same occurrence twice (two calendars): keep one
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[:MAX_WARNINGS], f"... and {len(warnings) - MAX_WARNINGS} more"]
    ordered = sorted(items.values(), key=lambda i: (i.start or now, i.source_key))
    return SourceOutput(items=tuple(ordered), warnings=tuple(warnings))


class ICalSource:
    """iCalendar feeds and files (``kind = "ical"``)."""

    kind: ClassVar[SourceKind] = SourceKind.ICAL

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        doc = await ctx.reader.read(config)
        if doc is None:
            return SourceOutput(not_modified=True)
        language = config.language or ctx.settings.i18n.source_language or "en"
        default_tz = ctx.settings.newsletter.time_zone
        return await asyncio.to_thread(parse_ical, doc, config, ctx.now, default_tz, language)
