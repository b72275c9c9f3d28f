"""``ical`` sources: iCalendar feeds and files (icalendar + recurring-ical-events).

Recurring events are expanded over a window around ``ctx.now`` (options ``window_days``, default
180 ahead, and ``window_past_days``, default 30 back); each occurrence is one event item. Identity is
the UID plus, for an occurrence of a series, its RECURRENCE-ID (the original start), so a moved
occurrence updates its item instead of adding one; SEQUENCE and LAST-MODIFIED are kept, so a
re-issued event changes the item's content and is recorded as an update.

Times are stored in UTC with the event's own zone in ``timezone``, as a name readers' dates can be
shown in: an IANA name as written, Outlook's Windows names through CLDR's mapping (icalendar's
``WINDOWS_TO_OLSON``), a custom VTIMEZONE as the IANA zone whose offsets it matches (else its fixed
offset then, ``UTC+05:45``). Floating times are read in the option ``timezone`` (else the
newsletter's zone); all-day events keep their date at 00:00 UTC.

The calendar is authoritative inside its window: cancelled events and occurrences (STATUS,
EXDATE) are reported as cancelled, and the output's snapshot says that an event missing from the
window (deleted, or a series moved to another weekday) was withdrawn at the source.

Expansion is bounded by work, not only by output: before anything is expanded, each series'
cost (the occurrences the rule engine must step through from DTSTART to the window's end, BYxxx
parts multiplied out, RDATEs) is estimated; a rule finer than a day without COUNT or UNTIL, a
series over ``MAX_SERIES_WORK`` and series past the calendar's ``MAX_CALENDAR_WORK`` are refused
with a warning naming the event. A rule whose days, walked over the window and the years just
after it, never come (``BYMONTH=2;BYMONTHDAY=30``: the engine would search to the year 9999) is
taken out of its event with a warning. At most ``max_events`` (option) occurrences are kept.

A broken calendar yields what can be read plus warnings; nothing readable is a SourceError.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.rrules import HORIZON_YEARS, Walk, WorkBudget, dates_of, silent_rules
from hrc_outreach.sources.base import (
    Document,
    GatherContext,
    Snapshot,
    SourceOptions,
    SourceOutput,
    read_options,
)
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html, short_title

DEFAULT_WINDOW_DAYS = 180
DEFAULT_PAST_DAYS = 30
DEFAULT_MAX_PER_SERIES = 100
DEFAULT_MAX_EVENTS = 5000
MAX_WARNINGS = 20
# Occurrences the rule engine may step through for one series, and for one calendar (see
# rrules). Measured here: about 3 µs and 60 bytes each (dateutil caches what it generated).
MAX_SERIES_WORK = 100_000
MAX_CALENDAR_WORK = 1_000_000
# Within this distance of the window's edges an event may or may not be expanded (the library
# compares the span with each event's own wall time), so it is never withdrawn for missing there.
EDGE = timedelta(days=2)

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")
_LOOKS_HTML = re.compile(r"<(?:p|br|a|div|ul|ol|li|b|i|strong|em|span)\b[^>]*>", re.I)
# Hosts of video meetings: a link to one is the event's online link.
_MEETING_HOSTS = (
    "zoom.us",
    "teams.microsoft.com",
    "teams.live.com",
    "meet.google.com",
    "webex.com",
    "meet.jit.si",
    "whereby.com",
    "gotomeeting.com",
    "bigbluebutton",
    "livestorm.co",
    "youtube.com/live",
    "streamyard.com",
    "hopin.com",
)
_REGISTRATION_HOSTS = (
    "eventbrite.",
    "forms.gle",
    "docs.google.com/forms",
    "typeform.com",
    "tickettailor.com",
    "lu.ma",
    "ti.to",
    "/register",
    "/registration",
)
_REGISTRATION_WORDS = re.compile(
    r"regist|sign[ -]?up|tickets?|inscri|anmeld|book (?:a|your) (?:place|seat)", re.I
)
_ONLINE_PROPS = (
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
)


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
            parts.append(html.escape(p[last : m.start()], quote=False))
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


_GEOGRAPHIC = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def _iana_zones() -> tuple[str, ...]:
    """Every geographic IANA zone (no Etc/, US/, posix/ aliases), sorted."""
    return tuple(sorted(z for z in available_timezones() if z.startswith(_GEOGRAPHIC)))


@cache
def _zoneinfo(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _fixed_offset(offset: timedelta) -> str:
    """``UTC+05:45``: a zone for one moment when no named zone fits."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class _Zones:
    """Names an event's zone so readers can be shown its own local time (see the module doc).

    ``preferred`` zones are tried first when a custom VTIMEZONE is matched by its offsets (the
    source's and the newsletter's zone), so the name is the one the organisers most likely meant.
    """

    def __init__(self, preferred: list[str]) -> None:
        self.preferred = [p for p in dict.fromkeys(preferred) if p and _zoneinfo(p)]
        self._matched: dict[tuple[str, int], str | None] = {}

    @staticmethod
    def _agrees(name: str, tz: tzinfo, moments: list[datetime]) -> bool:
        zone = _zoneinfo(name)
        return zone is not None and all(
            m.astimezone(zone).utcoffset() == m.astimezone(tz).utcoffset() for m in moments
        )

    def name(self, value: datetime, prop: Any) -> str | None:
        """The zone of an aware time: None for UTC, else a name ZoneInfo or a fixed offset reads."""
        tz = value.tzinfo
        if tz is None:
            return None
        key = getattr(tz, "key", None)
        if key:
            return None if key in ("UTC", "Etc/UTC") else str(key)
        if value.utcoffset() == timedelta(0) and str(tz) in ("UTC", "UTC+00:00"):
            return None
        params = getattr(prop, "params", None) or {}
        tzid = str(params.get("TZID") or "").strip() if hasattr(params, "get") else ""
        here = [value.astimezone(UTC)]
        cleaned = tzid.strip("/")
        parts = cleaned.split("/")
        named = [
            cleaned,
            WINDOWS_TO_OLSON.get(cleaned, ""),  # Outlook: CLDR's mapping
            *("/".join(parts[n:]) for n in range(1, len(parts))),
        ]  # "/vendor/Area/City"
        for candidate in named:
            if candidate.startswith(_GEOGRAPHIC) or candidate in ("UTC", "GMT"):
                if self._agrees(candidate, tz, here):
                    return candidate
        # A custom VTIMEZONE: the zone that keeps the same offsets through the event's year.
        ident = (tzid or repr(tz), value.year)
        if ident not in self._matched:
            year = [
                datetime(value.year, month, day, 12, tzinfo=UTC)
                for month in range(1, 13)
                for day in (1, 16)
            ]
            self._matched[ident] = next(
                (z for z in (*self.preferred, *_iana_zones()) if self._agrees(z, tz, year)), None
            )
        match = self._matched[ident]
        if match is not None and self._agrees(match, tz, here):
            return match
        offset = value.utcoffset()
        return _fixed_offset(offset) if offset is not None else None


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
        before = description[max(0, m.start() - 60) : m.start()]
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


def _event_key(component: Any, recurring: bool, title: str) -> str:
    """The event's identity in its source: UID (+ the occurrence's RECURRENCE-ID in a series)."""
    uid = _text(component.get("UID"))
    # The library stamps every occurrence with a RECURRENCE-ID; only a series' count for identity.
    recurrence_id = _dt(component, "RECURRENCE-ID") if recurring else None
    start = _dt(component, "DTSTART")
    if uid:
        return f"{uid}/{_stamp(recurrence_id)}" if recurrence_id is not None else uid
    # no UID (invalid, but common): the title and the start identify it
    stamp = _stamp(start) if start is not None else ""
    return "sha256:" + hashlib.sha256(f"{title}\x1f{stamp}".encode()).hexdigest()[:32]


def _cancelled(component: Any) -> bool:
    return _text(component.get("STATUS")).upper() == "CANCELLED"


def _title(component: Any, description: str) -> str:
    return _text(component.get("SUMMARY")) or short_title(description) or "(untitled)"


def event_to_item(
    component: Any,
    config: SourceConfig,
    base: str,
    floating: tzinfo,
    language: str,
    recurring: bool = False,
    zones: _Zones | None = None,
) -> ContentItem | None:
    """One expanded VEVENT occurrence as an event item; None when cancelled or without a start."""
    if _cancelled(component):
        return None
    start = _dt(component, "DTSTART")
    if start is None:
        return None
    end = _end(component, start)
    summary_html, description = _description_html(component, base)
    title = _title(component, description)
    key = _event_key(component, recurring, title)
    all_day = not isinstance(start, datetime)
    location = _text(component.get("LOCATION"))
    url = _http(_text(component.get("URL")), base)
    modified = _dt(component, "LAST-MODIFIED")
    created = _dt(component, "CREATED") or _dt(component, "DTSTAMP")
    image = _image(component, base)
    zone = _zone(component, start, floating, zones)
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
        timezone=zone,
        location=location or None,
        online_url=_online_link(component, location, description),
        registration_url=_registration_link(component, description),
        sequence=_int(component.get("SEQUENCE", 0)),
        series=(_text(component.get("UID")) or None) if recurring else None,
        recurrence=_rule(component) if recurring else None,
    )


def _end(component: Any, start: date | datetime) -> date | datetime | None:
    """The event's end: DTEND, else DTSTART + DURATION, else None."""
    end = _dt(component, "DTEND")
    if end is None and component.get("DURATION") is not None:
        duration = getattr(component.get("DURATION"), "dt", None)
        if isinstance(duration, timedelta):
            end = start + duration
    return end


def _image(component: Any, base: str) -> str | None:
    """The event's first IMAGE that is a safe http(s) link (relative to ``base``)."""
    return next((u for u in (_http(str(v), base) for v in _all(component.get("IMAGE"))) if u), None)


def _zone(
    component: Any, start: date | datetime, floating: tzinfo, zones: _Zones | None
) -> str | None:
    """The zone the event's times are shown in: the calendar's floating zone for a floating
    time, the event's own for an aware one; None for UTC and for an all-day event."""
    if not isinstance(start, datetime):
        return None
    if start.tzinfo is None:
        return getattr(floating, "key", None)
    return (zones or _Zones([])).name(start, component.get("DTSTART"))


def _rule(component: Any) -> str | None:
    """The series' first RRULE as written (``FREQ=MONTHLY;COUNT=4;BYDAY=2WE``), else None."""
    for rule in _all(component.get("RRULE")):
        try:
            text = rule.to_ical().decode("ascii", "replace")
        except Exception:  # a rule the parser kept but cannot write back: no rule text
            continue
        return text[:500] or None
    return None


_FOLD = re.compile(rb"\r?\n[ \t]")
_TZID_PROPERTY = re.compile(rb"^TZID:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_TZID_PARAM = re.compile(rb';TZID=("[^"\r\n]*"|[^;:\r\n]*)', re.IGNORECASE)
MAX_TZID = 128  # IANA and Windows names are under 40 characters; a zone file name under 255
_WINDOWS_BY_FOLDED = {" ".join(k.split()).casefold(): k for k in WINDOWS_TO_OLSON}


def _tzids_read_as_written(content: bytes, warnings: list[str]) -> bytes:
    """TZID parameters as the parser can take them: a Windows zone name in any case or spacing
    (``tokyo standard time``) is that zone, not a floating time in the default zone; a TZID too
    long to be a zone is dropped with a warning (it made the parser fail the whole calendar)."""

    guessed: set[str] = set()  # vendor-prefixed TZIDs read, each warned about once

    def fix(m: re.Match[bytes]) -> bytes:
        raw = m.group(1)
        value = raw.strip(b'"').decode("utf-8", "replace")
        if len(value) > MAX_TZID:
            warnings.append(
                f"a TZID of {len(value)} characters ({value[:30]!r}...) is not a time zone; "
                "its times are read in the calendar's default zone"
            )
            return b""
        known = _WINDOWS_BY_FOLDED.get(" ".join(value.split()).casefold())
        if known is None and value not in defined:  # a VTIMEZONE of its own is the calendar's
            known = _unprefixed(value)
        if known is not None and known != value:
            if value.startswith("/") and value not in guessed:
                guessed.add(value)
                warnings.append(f"TZID {value!r} is read as {known} (its vendor prefix dropped)")
            return b";TZID=" + known.encode()
        return m.group(0)

    if b"TZID=" not in content.upper():
        return content
    content = _FOLD.sub(b"", content)
    defined = {v.strip().decode("utf-8", "replace") for v in _TZID_PROPERTY.findall(content)}
    return _TZID_PARAM.sub(fix, content)


def _unprefixed(tzid: str) -> str | None:
    """The IANA zone a globally unique TZID ends with (``/mozilla.org/20070129_1/Europe/Berlin``,
    as Evolution and old Thunderbird write them), or None. Read here, with the source's warning,
    rather than by icalendar, whose own guess is a Python warning on stderr (an error where
    warnings are errors: the whole calendar failed)."""
    if not tzid.startswith("/"):
        return None
    parts = [p for p in tzid.split("/") if p]
    return next(
        ("/".join(parts[i:]) for i in range(len(parts)) if _zoneinfo("/".join(parts[i:]))), None
    )


def _calendars(doc: Document, config: SourceConfig, warnings: list[str]) -> list[Any]:
    try:
        content = _tzids_read_as_written(doc.content, warnings)
        parsed = icalendar.Calendar.from_ical(content, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, KeyError, ... on broken input
        raise SourceError(
            f"{config.location} is not a readable iCalendar file: {type(exc).__name__}: {exc}",
            source=config.name,
        ) from exc
    calendars = []
    for component in parsed:
        if component.name == "VCALENDAR":
            calendars.append(component)
        else:  # a bare VEVENT: wrap it, as a calendar app would
            wrapper = icalendar.Calendar()
            wrapper.add_component(component)
            calendars.append(wrapper)
    if not calendars:
        raise SourceError(
            f"{config.location} holds no VCALENDAR; is it an .ics file?", source=config.name
        )
    return calendars


class ICalOptions(SourceOptions):
    """An ``ical`` source's keys."""

    window_days: int = DEFAULT_WINDOW_DAYS  # expand recurring events this far ahead of now
    window_past_days: int = DEFAULT_PAST_DAYS  # ... and this far back
    max_per_series: int = DEFAULT_MAX_PER_SERIES  # occurrences kept per recurring event
    max_events: int = DEFAULT_MAX_EVENTS  # events read from one calendar
    timezone: str = ""  # for floating times (default: X-WR-TIMEZONE, then newsletter.time_zone)


def _floating_zone(options: ICalOptions, calendar: Any, default: str) -> tzinfo:
    for name in (options.timezone, _text(calendar.get("X-WR-TIMEZONE")), default):
        if name:
            zone = _zoneinfo(str(name)) or _zoneinfo(WINDOWS_TO_OLSON.get(str(name), ""))
            if zone is not None:
                return zone
    return UTC


@dataclass
class _Findings:
    """What reading one document found besides items: warnings, what is cancelled, and which
    events could not be read whole this time (never withdrawn for missing)."""

    warnings: list[str] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    unsure: set[str] = field(default_factory=set)  # UIDs
    unsure_unnamed: bool = False  # an event without UID failed: no snapshot at all

    def trouble(self, uid: str | None) -> None:
        if uid and not uid.startswith("#") and uid != "?":
            self.unsure.add(uid)
        else:
            self.unsure_unnamed = True


def _named(component: Any) -> str:
    """How a warning names an event: its summary and UID."""
    summary, uid = _text(component.get("SUMMARY")), _text(component.get("UID"))
    if summary and uid:
        return f"event {summary!r} (UID {uid})"
    return f"event {summary!r}" if summary else f"event {uid or '?'}"


def _groups(calendar: Any) -> dict[str, list[Any]]:
    """The calendar's VEVENTs by UID (a series and its modified occurrences share one)."""
    groups: dict[str, list[Any]] = {}
    for n, c in enumerate(calendar.subcomponents):
        if c.name == "VEVENT":
            groups.setdefault(_text(c.get("UID")) or f"#{n}", []).append(c)
    return groups


def _within_budget(
    calendar: Any, start: datetime, end: datetime, budget: WorkBudget, found: _Findings
) -> None:
    """Take out of ``calendar``, before anything is expanded, the series too costly to expand,
    and the rules that produce no date in or soon after the window (see rrules)."""
    refused: set[int] = set()
    for uid, events in _groups(calendar).items():
        why = budget.admit(events, end)
        if why is None:
            walk = Walk()
            for component, rule in silent_rules(events, start, end, walk):
                found.warnings.append(
                    f"{_named(component)}: its rule {rule} produces no date in the window or "
                    f"the {HORIZON_YEARS} years after it; only its other dates are listed"
                )
            budget.spent += walk.checked
            continue
        master = next((e for e in events if e.get("RECURRENCE-ID") is None), events[0])
        found.warnings.append(f"{_named(master)} refused, not expanded: {why}")
        found.trouble(uid)
        refused.update(id(e) for e in events)
    if refused:
        calendar.subcomponents[:] = [c for c in calendar.subcomponents if id(c) not in refused]


def _by_uid(calendar: Any) -> list[tuple[str, Any]]:
    """The calendar split into one calendar per UID (with every VTIMEZONE), to expand alone."""
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    out = []
    for uid, events in _groups(calendar).items():
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


def _expand(
    calendar: Any, start: datetime, end: datetime, per_series: int, found: _Findings
) -> Iterator[Any]:
    query = recurring_ical_events.of(
        calendar, keep_recurrence_attributes=True, skip_bad_series=True
    )
    # The library compares naive spans with every kind of event time (aware, floating, dates).
    span_start, span_end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    for series in query.series:
        uid = str(getattr(series, "uid", "") or "")
        try:
            occurrences = list(
                itertools.islice(series.between(span_start, span_end), per_series + 1)
            )
        except Exception as exc:  # one bad series (a broken RRULE) must not end the calendar
            found.warnings.append(f"event {uid or '?'} skipped: {_why(exc)}")
            found.trouble(uid)
            continue
        if len(occurrences) > per_series:
            found.warnings.append(
                f"event {uid or '?'}: only the first {per_series} occurrences "
                "kept (raise the option max_per_series)"
            )
            found.trouble(uid)
            occurrences = occurrences[:per_series]
        for occurrence in occurrences:
            try:
                yield occurrence.as_component(True)
            except Exception as exc:
                found.warnings.append(f"an occurrence of {uid or '?'} skipped: {_why(exc)}")
                found.trouble(uid)


def _occurrences(
    calendar: Any, start: datetime, end: datetime, per_series: int, found: _Findings
) -> Iterator[Any]:
    try:
        local = _Findings()
        occurrences = list(_expand(calendar, start, end, per_series, local))
    except Exception:
        # One event the library cannot take (no DTSTART, two DTSTARTs...) fails the whole
        # calendar: expand event by event instead, so only that event is lost.
        for uid, part in _by_uid(calendar):
            try:
                yield from list(_expand(part, start, end, per_series, found))
            except Exception as exc:
                found.warnings.append(f"event {uid} skipped: {_why(exc)}")
                found.trouble(uid)
        return
    found.warnings.extend(local.warnings)
    found.unsure |= local.unsure
    found.unsure_unnamed |= local.unsure_unnamed
    yield from occurrences


def _excluded(calendar: Any, series_uids: set[str]) -> Iterator[str]:
    """Keys of the occurrences a series' EXDATEs take out (whatever the window)."""
    for c in calendar.walk("VEVENT"):
        uid = _text(c.get("UID"))
        if not uid or uid not in series_uids:
            continue
        for exdate in _all(c.get("EXDATE")):
            for value in dates_of(exdate):
                if isinstance(getattr(value, "dt", None), date):
                    yield f"{uid}/{_stamp(value.dt)}"


def parse_ical(
    doc: Document, config: SourceConfig, now: datetime, default_tz: str, language: str
) -> SourceOutput:
    """Event items in the window around ``now``, and warnings, from one iCalendar document."""
    options = read_options(config, ICalOptions)
    ahead, back = options.window_days, options.window_past_days
    per_series, max_events = options.max_per_series, options.max_events
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    start, end = now - timedelta(days=back), now + timedelta(days=ahead)
    found = _Findings()
    budget = WorkBudget(series=MAX_SERIES_WORK, calendar=MAX_CALENDAR_WORK)
    items: dict[str, ContentItem] = {}
    for calendar in _calendars(doc, config, found.warnings):
        _note_unreadable(calendar, found)
        floating = _floating_zone(options, calendar, default_tz)
        zones = _Zones(
            [
                options.timezone,
                _text(calendar.get("X-WR-TIMEZONE")),
                default_tz,
            ]
        )
        series_uids = _series_uids(calendar)
        rules = _series_rules(calendar)
        found.cancelled.update(_excluded(calendar, series_uids))
        _within_budget(calendar, start, end, budget, found)
        for component in _occurrences(calendar, start, end, per_series, found):
            uid = _text(component.get("UID"))
            try:
                recurring = uid in series_uids
                if _cancelled(component):
                    _, text = _description_html(component, doc.base_url)
                    found.cancelled.add(_event_key(component, recurring, _title(component, text)))
                    continue
                item = event_to_item(
                    component, config, doc.base_url, floating, language, recurring, zones
                )
            except Exception as exc:
                found.warnings.append(f"{_named(component)} skipped: {type(exc).__name__}: {exc}")
                found.trouble(uid)
                continue
            if item is not None:
                if item.series and item.recurrence is None and uid in rules:
                    # a moved occurrence (its own VEVENT) belongs to its series' rule too
                    item = item.model_copy(update={"recurrence": rules[uid]})
                items[item.id] = item  # the same occurrence twice (two calendars): keep one
    ordered = sorted(items.values(), key=lambda i: (i.start or now, i.source_key))
    ordered, cut = _first_events(ordered, max_events, end, found)
    warnings = found.warnings
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[:MAX_WARNINGS], f"... and {len(warnings) - MAX_WARNINGS} more"]
    present = {i.source_key for i in ordered}
    return SourceOutput(
        items=tuple(ordered),
        warnings=tuple(warnings),
        cancelled=tuple(sorted(found.cancelled - present)),
        snapshot=_window_snapshot(found, start, end, cut),
    )


def _note_unreadable(calendar: Any, found: _Findings) -> None:
    """One warning for the properties the parser could not read (they are ignored)."""
    errors = [e for c in calendar.walk() for e in (getattr(c, "errors", None) or [])]
    if errors:
        found.warnings.append(
            f"{len(errors)} unreadable propert{'y' if len(errors) == 1 else 'ies'}"
            f" ignored (first: {errors[0]})"
        )


def _series_rules(calendar: Any) -> dict[str, str]:
    """Each series' rule as written, by UID, from its master VEVENT (the one without RECURRENCE-ID)."""
    out: dict[str, str] = {}
    for c in calendar.walk("VEVENT"):
        uid = _text(c.get("UID"))
        if uid and c.get("RECURRENCE-ID") is None and uid not in out:
            rule = _rule(c)
            if rule:
                out[uid] = rule
    return out


def _series_uids(calendar: Any) -> set[str]:
    """The UIDs of the calendar's recurring series (a rule, extra dates or a moved occurrence)."""
    return {
        _text(c.get("UID"))
        for c in calendar.walk("VEVENT")
        if any(c.get(p) is not None for p in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _first_events(
    ordered: list[ContentItem], max_events: int, end: datetime, found: _Findings
) -> tuple[list[ContentItem], datetime]:
    """The first ``max_events`` events (in time order) and where the kept window now ends."""
    if len(ordered) <= max_events:
        return ordered, end
    found.warnings.append(
        f"only the first {max_events} of {len(ordered)} events kept (raise the option max_events)"
    )
    return ordered[:max_events], ordered[max_events].start or end


def _window_snapshot(
    found: _Findings, start: datetime, end: datetime, cut: datetime
) -> Snapshot | None:
    """What the calendar vouches for: inside the window, an event missing was withdrawn."""
    if found.unsure_unnamed:
        return None
    return Snapshot(
        start=start + EDGE,
        end=min(cut, end - EDGE),
        unsure=frozenset(u for uid in found.unsure for u in (uid, uid + "/")),
    )


class ICalSource:
    """iCalendar feeds and files (``kind = "ical"``)."""

    kind: ClassVar[SourceKind] = SourceKind.ICAL
    options_model: ClassVar[type[SourceOptions]] = ICalOptions
    # Its output moves with the window: after a 304, gathering hands the last document over again.
    keeps_document: ClassVar[bool] = True

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        doc = await ctx.reader.read(config)
        if doc is None:
            return SourceOutput(not_modified=True)
        language = config.language or ctx.settings.i18n.source_language or "en"
        default_tz = ctx.settings.newsletter.time_zone
        return await asyncio.to_thread(parse_ical, doc, config, ctx.now, default_tz, language)
