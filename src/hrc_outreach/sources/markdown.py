"""``markdown`` sources: a folder of Markdown files with YAML front matter, written by staff.

A file looks like::

    ---
    title: DeCiDE pilot cities test their first indicators
    kind: project_update            # optional, else the source's item_kind
    date: 2026-10-14
    project: DeCiDE
    city: Ghent
    country: Belgium                # a name or an ISO code; stored as ISO 3166-1 alpha-2
    tags: [monitoring, participation]
    url: https://humanrightscities.net/projects/decide
    image: https://humanrightscities.net/static/decide.png
    image_alt: People around a table with sticky notes
    summary: One or two sentences (Markdown).   # else the body's first paragraph
    translations:
      fr: {title: ..., summary: ...}
    ---
    The body, in Markdown.

Events add ``start``, ``end``, ``timezone``, ``location``, ``online_url``, ``registration_url``.
Identity is the file's path relative to the folder. A file that cannot be read is a warning naming
it; the other files go on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markdown_it import MarkdownIt

from hrc_outreach.config import Settings, SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.languages import normalise_language
from hrc_outreach.models import ContentItem, ItemKind, ItemText, item_id
from hrc_outreach.sources.base import (
    GatherContext,
    Snapshot,
    SourceOptions,
    SourceOutput,
    read_options,
)
from hrc_outreach.sources.frontmatter import (
    FileProblem,
    FrontMatter,
    read_front_matter,
    read_translations,
    split_front_matter,
)
from hrc_outreach.sources.places import country_code, region_of
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html

_FIRST_PARAGRAPH = re.compile(r"<p>.*?</p>", re.S)
_KNOWN = frozenset(FrontMatter.model_fields)


def _markdown() -> MarkdownIt:
    # CommonMark plus tables and strikethrough; raw HTML allowed because the sanitiser follows.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def _datetime(value: date | datetime | str | None, field: str, zone: str | None) -> datetime | None:
    """A date or date-time from YAML (already parsed, or a string) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise FileProblem(
                f"{field}: {value!r} is not a date (2026-10-14 or 2026-12-03T14:00:00+01:00)"
            ) from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            tz: Any = UTC
            if zone:
                try:
                    tz = ZoneInfo(zone)
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise FileProblem(
                        f"timezone: {zone!r} is not an IANA zone (Europe/Brussels)"
                    ) from exc
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _is_date_only(value: date | datetime | str | None) -> bool:
    """``start: 2027-02-10`` (a day, no time): the event lasts all day."""
    if isinstance(value, str):
        return bool(re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value))
    return isinstance(value, date) and not isinstance(value, datetime)


def _translations(
    value: dict[str, Any], languages: Sequence[str], md: MarkdownIt, notes: list[str]
) -> dict[str, ItemText]:
    checked, problems = read_translations(value, languages)
    notes.extend(problems)
    return {
        lang: ItemText(
            title=text.title or "",
            summary=sanitize_html(md.render(text.summary)) if text.summary else "",
        )
        for lang, text in checked.items()
    }


def _body_and_summary(
    fm: FrontMatter, body_md: str, md: MarkdownIt, link_base: str
) -> tuple[str, str]:
    """The sanitised body, and the summary: the front matter's, else the body's first paragraph."""
    body = sanitize_html(md.render(body_md), link_base)
    if fm.summary:
        return body, sanitize_html(md.render(fm.summary), link_base)
    first = _FIRST_PARAGRAPH.search(body)
    return body, first.group(0) if first else ""


def _when(fm: FrontMatter, kind: ItemKind) -> tuple[datetime | None, datetime | None, bool]:
    """(start, end, all day) in the front matter's time zone; FileProblem for an event without
    a start or an end before its start."""
    start = _datetime(fm.start, "start", fm.timezone)
    end = _datetime(fm.end, "end", fm.timezone)
    if kind is ItemKind.EVENT and start is None:
        raise FileProblem("an event needs a start (2026-12-03T14:00:00)")
    if start is not None and end is not None and end < start:
        raise FileProblem("end is before start")
    all_day = fm.all_day if fm.all_day is not None else _is_date_only(fm.start)
    return start, end, all_day


def _place(fm: FrontMatter) -> tuple[str | None, str | None]:
    """(ISO country code, region): the region given, else the country's; FileProblem for a
    country we do not know."""
    country = country_code(fm.country) if fm.country else None
    if fm.country and not country:
        raise FileProblem(
            f"country: {fm.country!r} is not a country we know "
            "(use its English name or ISO code, e.g. BE)"
        )
    named_region = region_of(fm.country) if fm.country else None
    return country, fm.region or (named_region[0] if named_region else None)


def markdown_to_item(
    rel: str,
    text: str,
    config: SourceConfig,
    language: str,
    base_url: str,
    notes: list[str] | None = None,
    languages: Sequence[str] = (),
) -> ContentItem | None:
    """One Markdown file as an item; None for a draft; FileProblem for a broken file.

    Unknown front-matter keys (a typo such as ``titel``) and fields whose value has the wrong shape
    (tags given as a mapping) are ignored and noted in ``notes``, each naming the file and field.
    """
    data, body_md = split_front_matter(text)
    fm, found = _front_matter(data, languages)
    if fm.draft:
        return None
    if "language" in data and fm.language is None:
        item_language = "unknown"  # ignored above: detected from the text at gather, if it can be
    else:
        item_language = fm.language or language
    item = _item(rel, fm, body_md, config, base_url, item_language, languages, found)
    if notes is not None:  # only for a file that became an item (a broken one is one warning)
        notes.extend(f"{rel}: {note}" for note in found)
    return item


def _front_matter(data: dict[str, Any], languages: Sequence[str]) -> tuple[FrontMatter, list[str]]:
    """The front matter as read, and what of it was ignored: unknown keys, values of a wrong
    shape."""
    found: list[str] = []
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        found.append(f"unknown front matter keys ignored: {', '.join(unknown)}")
    fm, ignored = read_front_matter(data, languages)
    found.extend(ignored)
    return fm, found


def _item(
    rel: str,
    fm: FrontMatter,
    body_md: str,
    config: SourceConfig,
    base_url: str,
    language: str,
    languages: Sequence[str],
    found: list[str],
) -> ContentItem:
    """The item of a file that is not a draft: its text sanitised, links made safe, its time and
    place checked (FileProblem), its translations read (their problems added to ``found``)."""
    title = fm.title or ""
    item_kind = fm.kind or ItemKind(config.item_kind)
    md = _markdown()
    url = safe_url(fm.url, base_url)
    link_base = url or base_url
    body, summary = _body_and_summary(fm, body_md, md, link_base)
    zone = fm.timezone
    start, end, all_day = _when(fm, item_kind)
    country, region = _place(fm)
    image = safe_url(fm.image, link_base)
    translations = _translations(fm.translations, languages, md, found)
    return ContentItem(
        id=item_id(config.name, rel),
        source=config.name,
        source_key=rel,
        kind=item_kind,
        title=title,
        summary=summary,
        body=body if html_to_text(body) != html_to_text(summary) else "",
        url=url if url and url.startswith(("https://", "http://")) else None,
        image_url=image,
        image_alt=(fm.image_alt or title) if image else None,
        language=language,
        published_at=_datetime(fm.date, "date", zone),
        updated_at=_datetime(fm.updated, "updated", zone),
        tags=tuple(dict.fromkeys([*fm.tags, *config.tags])),
        city=fm.city,
        country=country,
        region=region,
        session=fm.session,
        project=fm.project,
        start=start,
        end=end,
        all_day=all_day,
        timezone=zone,
        location=fm.location,
        online_url=safe_url(fm.online_url),
        registration_url=safe_url(fm.registration_url),
        translations=translations,
    )


def read_folder(
    folder: Path, config: SourceConfig, settings: Settings, language: str
) -> SourceOutput:
    """Items from every ``*.md`` under ``folder`` (sorted), with a warning per broken file."""
    if not folder.is_dir():
        raise SourceError(
            f"folder {folder} does not exist; check its path (relative to the configuration file)",
            source=config.name,
        )
    limit = settings.fetch.max_response_bytes
    base_url = read_options(config, SourceOptions).base_url
    items: list[ContentItem] = []
    warnings: list[str] = []
    unreadable: set[str] = set()
    for path in sorted(folder.rglob("*.md")):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # editor and VCS folders
        try:
            if path.stat().st_size > limit:
                raise FileProblem(f"larger than {limit} bytes")
            text = path.read_text(encoding="utf-8")
            item = markdown_to_item(
                rel, text, config, language, base_url, warnings, settings.i18n.languages
            )
        except (FileProblem, UnicodeDecodeError, OSError) as exc:
            warnings.append(f"{rel} skipped: {exc}")
            unreadable.add(rel)
            continue
        except Exception as exc:  # a strange value in one file must not end the source
            warnings.append(f"{rel} skipped: {type(exc).__name__}: {exc}")
            unreadable.add(rel)
            continue
        if item is not None:
            items.append(item)
    # The folder is the whole source: a file removed (or turned back into a draft) is withdrawn;
    # a file that could not be read this time is not.
    snapshot = Snapshot(unsure=frozenset(unreadable))
    return SourceOutput(items=tuple(items), warnings=tuple(warnings), snapshot=snapshot)


class MarkdownSource:
    """A folder of Markdown files with YAML front matter (``kind = "markdown"``)."""

    kind: ClassVar[SourceKind] = SourceKind.MARKDOWN
    options_model: ClassVar[type[SourceOptions]] = SourceOptions  # base_url only

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        if config.path is None:
            raise SourceError(
                "a markdown source needs a path (a folder of .md files)", source=config.name
            )
        folder = ctx.settings.resolve(config.path)
        languages = ctx.settings.i18n.languages
        configured = config.language or ctx.settings.i18n.source_language or "en"
        language = normalise_language(configured, languages) or configured
        return await asyncio.to_thread(read_folder, folder, config, ctx.settings, language)
