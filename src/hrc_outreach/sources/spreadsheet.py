"""``spreadsheet`` sources: a CSV export (Google Sheets, Excel) whose header row maps to fields.

Configuration, in the ``[[sources]]`` table::

    [[sources]]
    name = "extra-practices"
    kind = "spreadsheet"
    path = "samples/practices.csv"
    item_kind = "practice"
    key = "ID"                       # the column that identifies a row (else a hash of the row)
    delimiter = ";"                  # optional: sniffed from the header line (, ; or tab)
    columns = { title = "Practice", summary = "Description", city = "City", country = "Country" }

Without ``columns``, headers named like fields (``title``, ``City``...) are used. UTF-8 with or
without a BOM; other bytes are read as Windows-1252 with a warning. A bad row is a warning naming
its line; the other rows go on.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import html
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.languages import normalise_language
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import (
    Document,
    GatherContext,
    Snapshot,
    SourceOptions,
    SourceOutput,
    read_options,
)
from hrc_outreach.sources.places import country_code, region_of
from hrc_outreach.sources.sanitize import safe_url, sanitize_html, short_title

FIELDS = frozenset({
    "title", "summary", "body", "url", "image", "image_alt", "city", "country", "region",
    "session", "project", "tags", "date", "updated", "start", "end", "timezone", "location",
    "online_url", "registration_url", "language", "kind",
})
_HTML_FIELDS = ("summary", "body")


class SpreadsheetOptions(SourceOptions):
    """A ``spreadsheet`` source's keys."""

    key: str | None = None  # the column that identifies a row (else a hash of the row)
    delimiter: str | None = None  # default: sniffed from the header row; "tab" for a tab
    columns: dict[str, str] | None = None  # field -> header (else headers named like fields)


class RowProblem(ValueError):
    """What is wrong with one row (becomes a warning naming its line)."""


def _decode(content: bytes, config: SourceConfig, warnings: list[str]) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{config.location} is not UTF-8; read as Windows-1252 "
                        "(export as 'CSV UTF-8' to be sure of accents)")
        return content.decode("cp1252", errors="replace")


def _delimiter(text: str, config: SourceConfig) -> str:
    chosen = read_options(config, SpreadsheetOptions).delimiter
    if chosen:
        return "\t" if str(chosen) in ("tab", "\\t") else str(chosen)
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _mapping(headers: list[str], config: SourceConfig) -> dict[str, str]:
    """field → header, from the ``columns`` option or from headers named like fields."""
    columns = read_options(config, SpreadsheetOptions).columns
    if columns is None:
        by_lower = {h.strip().lower(): h for h in headers}
        mapping = {f: by_lower[f] for f in FIELDS if f in by_lower}
        if "title" not in mapping and "summary" not in mapping:
            raise SourceError(
                f"{config.location}: no 'title' column; map one with columns = "
                f"{{ title = \"...\" }} (headers: {', '.join(headers)})", source=config.name)
        return mapping
    unknown = sorted(set(columns) - FIELDS)
    if unknown:
        raise SourceError(f"columns maps unknown fields {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(FIELDS))})", source=config.name)
    missing = [str(h) for h in columns.values() if h not in headers]
    if missing:
        raise SourceError(f"{config.location}: columns {', '.join(missing)} not in the header "
                          f"row (headers: {', '.join(headers)})", source=config.name)
    return {str(f): str(h) for f, h in columns.items()}


def _when(value: str, field: str, zone: str | None) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    parsed: date | datetime | None = None
    for parse in (datetime.fromisoformat, _day_first):
        try:
            parsed = parse(value.replace("Z", "+00:00"))
            break
        except ValueError:
            continue
    if parsed is None:
        raise RowProblem(f"{field} {value!r} is not a date (2026-10-14, 14/10/2026 or "
                         "2026-12-03 14:00)")
    if isinstance(parsed, datetime):
        if parsed.tzinfo is None:
            try:
                parsed = parsed.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise RowProblem(f"timezone {zone!r} is not an IANA zone") from exc
        return parsed.astimezone(UTC)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def _day_first(value: str) -> datetime:
    """14/10/2026 or 14.10.2026 (with an optional time), as European spreadsheets write dates."""
    for fmt in ("%d/%m/%Y", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(value)


def _text_html(value: str, base: str) -> str:
    if "<" in value and ">" in value:
        return sanitize_html(value, base)
    paragraphs = [p.strip() for p in value.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return sanitize_html("".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
                         base)


def row_to_item(row: dict[str, str], mapping: dict[str, str], config: SourceConfig, key: str,
                language: str, base: str, languages: Sequence[str] = ()) -> ContentItem:
    """One mapped row as an item; RowProblem when it cannot be one."""
    get = {f: " ".join((row.get(h) or "").split()) for f, h in mapping.items()}
    raw = {f: (row.get(h) or "").strip() for f, h in mapping.items()}
    summary = _text_html(raw.get("summary", ""), base)
    title = get.get("title") or short_title(get.get("summary", ""))
    if not title:
        raise RowProblem("no title (and no summary to make one from)")
    kind_text = get.get("kind") or config.item_kind
    try:
        kind = ItemKind(kind_text)
    except ValueError as exc:
        raise RowProblem(f"kind {kind_text!r} is not one of "
                         f"{', '.join(k.value for k in ItemKind)}") from exc
    zone = get.get("timezone") or None
    start = _when(get.get("start", ""), "start", zone)
    if kind is ItemKind.EVENT and start is None:
        raise RowProblem("an event needs a start")
    country_text = get.get("country", "")
    country = country_code(country_text) if country_text else None
    if country_text and not country:
        raise RowProblem(f"country {country_text!r} is not a country we know")
    named_region = region_of(country_text) if country_text else None
    region = get.get("region") or (named_region[0] if named_region else None)
    url = safe_url(get.get("url"), base)
    image = safe_url(get.get("image"), base)
    tags = [t.strip() for t in get.get("tags", "").replace("|", ",").split(",") if t.strip()]
    return ContentItem(
        id=item_id(config.name, key),
        source=config.name,
        source_key=key,
        kind=kind,
        title=title,
        title_generated=not get.get("title"),  # made from the summary's first clause
        summary=summary,
        body=_text_html(raw.get("body", ""), base),
        url=url if url and url.startswith(("https://", "http://")) else None,
        image_url=image,
        image_alt=(get.get("image_alt") or title) if image else None,
        # "FR", "fr-BE", "Français": as configured (the one normaliser); else the cell as written
        language=(normalise_language(get.get("language") or "", languages)
                  or get.get("language") or language),
        published_at=_when(get.get("date", ""), "date", zone),
        updated_at=_when(get.get("updated", ""), "updated", zone),
        tags=tuple(dict.fromkeys([*tags, *config.tags])),
        city=get.get("city") or None,
        country=country,
        region=region or None,
        session=get.get("session") or None,
        project=get.get("project") or None,
        start=start,
        end=_when(get.get("end", ""), "end", zone),
        timezone=zone,
        location=get.get("location") or None,
        online_url=safe_url(get.get("online_url")),
        registration_url=safe_url(get.get("registration_url")),
    )


def parse_sheet(doc: Document, config: SourceConfig, language: str,
                languages: Sequence[str] = ()) -> SourceOutput:
    """Items from a CSV document; a warning per bad row; SourceError when the header is unusable."""
    warnings: list[str] = []
    text = _decode(doc.content, config, warnings)
    if not text.strip():
        raise SourceError(f"{config.location} is empty; expected a header row and rows",
                          source=config.name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, config))
    headers, mapping, key_column = _header(reader, config)
    items: dict[str, ContentItem] = {}
    unsure: set[str] = set()  # keys of rows that could not be read this time
    whole = True  # every skipped row's key is known: what is missing was removed
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            warnings.append(f"line {reader.line_num} skipped: {exc}")
            whole = False
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank rows are common at the end of exports
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            warnings.append(f"line {line} skipped: {len(cells)} cells for {len(headers)} "
                            "columns (a stray delimiter?)")
            whole = False
            continue
        row = dict(zip(headers, cells, strict=False))
        key = _row_key(row, key_column, mapping)
        if not key:
            warnings.append(f"line {line} skipped: empty key column {key_column!r}")
            whole = False
            continue
        try:
            item = row_to_item(row, mapping, config, key, language, doc.base_url, languages)
        except RowProblem as exc:
            warnings.append(f"line {line} skipped: {exc}")
            unsure.add(key)
            continue
        except Exception as exc:  # a strange cell must not end the sheet
            warnings.append(f"line {line} skipped: {type(exc).__name__}: {exc}")
            unsure.add(key)
            continue
        if item.id in items:
            warnings.append(f"line {line} skipped: key {key!r} already used by an earlier row")
            continue
        items[item.id] = item
    # The sheet is the whole source: a row removed is withdrawn, unless a row this time could not
    # even be told apart (no key), when nothing is.
    snapshot = Snapshot(unsure=frozenset(unsure)) if whole else None
    return SourceOutput(
        items=tuple(items.values()), warnings=tuple(warnings), snapshot=snapshot
    )


def _header(reader: Iterator[list[str]], config: SourceConfig) -> tuple[list[str], dict[str, str], str | None]:
    """The header row, its mapping to item fields and the key column; SourceError if unusable."""
    try:
        headers = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise SourceError(
            f"{config.location}: cannot read the header row: {exc}", source=config.name
        ) from exc
    mapping = _mapping(headers, config)
    key_column = read_options(config, SpreadsheetOptions).key
    if key_column is not None and key_column not in headers:
        raise SourceError(
            f"key column {key_column!r} is not in the header row (headers: {', '.join(headers)})",
            source=config.name,
        )
    return headers, mapping, key_column


def _row_key(row: dict[str, str], key_column: str | None, mapping: dict[str, str]) -> str:
    """A row's own id: its key column ("" when empty), else a hash of its mapped cells."""
    if key_column is not None:
        return (row.get(key_column) or "").strip()
    values = "\x1f".join(" ".join((row.get(h) or "").split()) for h in mapping.values())
    return "row:" + hashlib.sha256(values.encode()).hexdigest()[:24]


class SpreadsheetSource:
    """A CSV export whose header row maps to item fields (``kind = "spreadsheet"``)."""

    kind: ClassVar[SourceKind] = SourceKind.SPREADSHEET
    options_model: ClassVar[type[SourceOptions]] = SpreadsheetOptions

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        doc = await ctx.reader.read(config)
        if doc is None:
            return SourceOutput(not_modified=True)
        language = config.language or ctx.settings.i18n.source_language or "en"
        languages = ctx.settings.i18n.languages
        return await asyncio.to_thread(parse_sheet, doc, config, language, languages)

