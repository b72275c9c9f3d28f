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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from markdown_it import MarkdownIt

from hrc_outreach.config import Settings, SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind, ItemText, item_id
from hrc_outreach.sources.base import GatherContext, SourceOutput
from hrc_outreach.sources.places import country_code, region_of
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_FIRST_PARAGRAPH = re.compile(r"<p>.*?</p>", re.S)
_KNOWN = frozenset({
    "title", "kind", "date", "updated", "project", "city", "country", "region", "session", "tags",
    "url", "image", "image_alt", "summary", "start", "end", "timezone", "all_day", "location",
    "online_url", "registration_url", "language", "translations", "draft",
})


class FileProblem(ValueError):
    """What is wrong with one file (becomes a warning naming it)."""


def _markdown() -> MarkdownIt:
    # CommonMark plus tables and strikethrough; raw HTML allowed because the sanitiser follows.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
        ["table", "strikethrough"])


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Markdown file; FileProblem when the front matter is broken.

    >>> split_front_matter("---\\ntitle: Hi\\n---\\nBody")
    ({'title': 'Hi'}, 'Body')
    """
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return {}, text
    match = _FRONT.match(text)
    if not match:
        raise FileProblem("front matter starts with '---' but has no closing '---' line")
    try:
        data = yaml.safe_load(match.group(1).replace("\t", "  ")) or {}
    except yaml.YAMLError as exc:
        raise FileProblem(f"front matter is not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise FileProblem("front matter must be a mapping of keys (title: ...)")
    return {str(k): v for k, v in data.items()}, text[match.end():]


def _datetime(value: Any, field: str, zone: str | None) -> datetime | None:
    """A date or date-time from YAML (already parsed, or a string) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise FileProblem(f"{field}: {value!r} is not a date (2026-10-14 or "
                              "2026-12-03T14:00:00+01:00)") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            tz: Any = UTC
            if zone:
                try:
                    tz = ZoneInfo(zone)
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise FileProblem(f"timezone: {zone!r} is not an IANA zone "
                                      "(Europe/Brussels)") from exc
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise FileProblem(f"{field}: {value!r} is not a date")


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _translations(value: Any, md: MarkdownIt) -> dict[str, ItemText]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FileProblem("translations must map a language to {title: ..., summary: ...}")
    out: dict[str, ItemText] = {}
    for lang, text in value.items():
        if not isinstance(text, dict) or not str(text.get("title") or "").strip():
            raise FileProblem(f"translations.{lang} needs at least a title")
        summary = str(text.get("summary") or "").strip()
        out[str(lang)] = ItemText(
            title=" ".join(str(text["title"]).split()),
            summary=sanitize_html(md.render(summary)) if summary else "",
        )
    return out


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def markdown_to_item(rel: str, text: str, config: SourceConfig, language: str,
                     base_url: str, notes: list[str] | None = None) -> ContentItem | None:
    """One Markdown file as an item; None for a draft; FileProblem for a broken file.

    Unknown front-matter keys (a typo such as ``titel``) are ignored and noted in ``notes``.
    """
    data, body_md = split_front_matter(text)
    unknown = sorted(set(data) - _KNOWN)
    if unknown and notes is not None:
        notes.append(f"{rel}: unknown front matter keys ignored: {', '.join(unknown)}")
    if data.get("draft") is True:
        return None
    title = _optional(data, "title")
    if not title:
        raise FileProblem("front matter has no title")
    kind = str(data.get("kind") or config.item_kind)
    try:
        item_kind = ItemKind(kind)
    except ValueError as exc:
        choices = ", ".join(k.value for k in ItemKind)
        raise FileProblem(f"kind: {kind!r} is not one of {choices}") from exc
    md = _markdown()
    url = safe_url(_optional(data, "url"), base_url)
    link_base = url or base_url
    body = sanitize_html(md.render(body_md), link_base)
    summary_md = str(data.get("summary") or "").strip()
    if summary_md:
        summary = sanitize_html(md.render(summary_md), link_base)
    else:
        first = _FIRST_PARAGRAPH.search(body)
        summary = first.group(0) if first else ""
    zone = _optional(data, "timezone")
    start = _datetime(data.get("start"), "start", zone)
    end = _datetime(data.get("end"), "end", zone)
    if item_kind is ItemKind.EVENT and start is None:
        raise FileProblem("an event needs a start (2026-12-03T14:00:00)")
    all_day = bool(data.get("all_day")) or (
        isinstance(data.get("start"), date) and not isinstance(data.get("start"), datetime))
    country_text = _optional(data, "country")
    country = country_code(country_text) if country_text else None
    if country_text and not country:
        raise FileProblem(f"country: {country_text!r} is not a country we know "
                          "(use its English name or ISO code, e.g. BE)")
    named_region = region_of(country_text) if country_text else None
    region = _optional(data, "region") or (named_region[0] if named_region else None)
    image = safe_url(_optional(data, "image"), link_base)
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
        image_alt=(_optional(data, "image_alt") or title) if image else None,
        language=str(data.get("language") or language),
        published_at=_datetime(data.get("date"), "date", zone),
        updated_at=_datetime(data.get("updated"), "updated", zone),
        tags=tuple(dict.fromkeys([*_strings(data.get("tags")), *config.tags])),
        city=_optional(data, "city"),
        country=country,
        region=region,
        session=_optional(data, "session"),
        project=_optional(data, "project"),
        start=start,
        end=end,
        all_day=all_day,
        timezone=zone,
        location=_optional(data, "location"),
        online_url=safe_url(_optional(data, "online_url")),
        registration_url=safe_url(_optional(data, "registration_url")),
        translations=_translations(data.get("translations"), md),
    )


def read_folder(folder: Path, config: SourceConfig, settings: Settings,
                language: str) -> SourceOutput:
    """Items from every ``*.md`` under ``folder`` (sorted), with a warning per broken file."""
    if not folder.is_dir():
        raise SourceError(f"folder {folder} does not exist; check its path (relative to the "
                          "configuration file)", source=config.name)
    limit = settings.fetch.max_response_bytes
    base_url = str(config.options.get("base_url") or "")
    items: list[ContentItem] = []
    warnings: list[str] = []
    for path in sorted(folder.rglob("*.md")):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # editor and VCS folders
        try:
            if path.stat().st_size > limit:
                raise FileProblem(f"larger than {limit} bytes")
            text = path.read_text(encoding="utf-8")
            item = markdown_to_item(rel, text, config, language, base_url, warnings)
        except (FileProblem, UnicodeDecodeError, OSError) as exc:
            warnings.append(f"{rel} skipped: {exc}")
            continue
        except Exception as exc:  # a strange value in one file must not end the source
            warnings.append(f"{rel} skipped: {type(exc).__name__}: {exc}")
            continue
        if item is not None:
            items.append(item)
    return SourceOutput(items=tuple(items), warnings=tuple(warnings))


class MarkdownSource:
    """A folder of Markdown files with YAML front matter (``kind = "markdown"``)."""

    kind: ClassVar[SourceKind] = SourceKind.MARKDOWN

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        if config.path is None:
            raise SourceError("a markdown source needs a path (a folder of .md files)",
                              source=config.name)
        folder = ctx.settings.resolve(config.path)
        language = config.language or ctx.settings.i18n.source_language or "en"
        return await asyncio.to_thread(read_folder, folder, config, ctx.settings, language)
