"""``feed`` sources: RSS 0.9x/1.0/2.0 and Atom (feedparser), over HTTP or from a file.

Identity: the guid / Atom id, else the link, else a hash of title and date. An ill-formed feed
(feedparser's "bozo") yields what can be saved plus a warning; nothing parseable is a SourceError.

Text encodings are checked, not trusted: when the declared charset (Content-Type header, XML
declaration, or UTF-8 by default) does not read the bytes, or reads them as mojibake, the real one
is detected (charset-normalizer) and the report says what was declared and what was found. Bytes
nothing reads are an error, never text stored as "ok".
"""

from __future__ import annotations

import asyncio
import calendar
import codecs
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar

import charset_normalizer
import feedparser

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.languages import normalise_language
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import Document, GatherContext, SourceOptions, SourceOutput
from hrc_outreach.sources.sanitize import html_to_text, safe_url, sanitize_html, short_title

UNKNOWN = "unknown"
MAX_KEY_LENGTH = 500
# A web page given instead of a feed: a clear error beats an "ok" source with no items.
_HTML_PAGE = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html)", re.I | re.S
)


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)
# A BOM, or "<?" in UTF-16/32 without one (XML 1.0 appendix F): the bytes say what they are.
_SELF_DESCRIBING = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF32_BE,
    b"<\x00?\x00",
    b"\x00<\x00?",
    b"<\x00\x00\x00",
    b"\x00\x00\x00<",
)
# The declared charset is mojibake when it reads the bytes this much messier than the detected one.
_MESS_MARGIN = 0.1


def _declared_charset(doc: Document) -> tuple[str, str]:
    """(charset, where it was declared): the header wins over the XML declaration (RFC 7303)."""
    header = _CHARSET_PARAM.search(doc.content_type or "")
    if header:
        return header.group(1), "in the Content-Type header"
    declaration = _XML_ENCODING.match(doc.content[:1024])
    if declaration:
        return declaration.group(1).decode("ascii"), "in the XML declaration"
    return "utf-8", "by default (no charset declared)"


def _charset_label(codec: str) -> str:
    """A Python codec name as people write it: ``cp1251`` → ``windows-1251``."""
    name = codecs.lookup(codec).name
    if re.fullmatch(r"cp125\d", name):
        return "windows-" + name[2:]
    return {"cp932": "Shift_JIS (cp932)", "shift_jis": "Shift_JIS", "euc_jp": "EUC-JP"}.get(
        name, name
    )


@lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """True for codecs that decode almost any byte on its own, so decoding proves nothing."""
    readable = 0
    for b in range(0x80, 0x100):
        try:
            bytes([b]).decode(codec)
            readable += 1
        except UnicodeDecodeError:
            pass
    return readable >= 96


def _as_utf8(doc: Document, text: str) -> Document:
    """The document re-encoded as UTF-8, with its declarations saying so."""
    data = _XML_DECLARATION.sub(
        b'<?xml version="1.0" encoding="utf-8"?>', text.lstrip("\ufeff").encode("utf-8"), count=1
    )
    media = (doc.content_type or "application/xml").split(";", 1)[0].strip() or "application/xml"
    return replace(doc, content=data, content_type=f"{media}; charset=utf-8")


def check_encoding(doc: Document, config: SourceConfig) -> tuple[Document, str | None]:
    """The document as its real encoding reads it, and a warning when that is not the declared one.

    SourceError when no encoding reads the bytes. A document with a BOM, or that the declared
    multi-byte charset (UTF-8, Shift_JIS, ...) decodes, is left as it is.
    """
    content = doc.content
    if content.isascii() or content.startswith(_SELF_DESCRIBING):
        return doc, None
    declared, where = _declared_charset(doc)
    where = f"{declared} {where}"
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        codec = ""
    text: str | None = None
    if codec:
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            text = None
    if text is not None and not _single_byte(codec):
        return doc, None

    def warn(found: str) -> str:
        return (
            f"source {config.name!r}: {config.location} declares its text as {where}, but {found}"
        )

    if text is None and codec == "utf-8":
        # Mostly UTF-8 with a few stray bytes (a Latin-1 "é" pasted in): keep the real text.
        lenient = content.decode("utf-8", errors="replace")
        bad = lenient.count("\ufffd") - content.count("\ufffd".encode())
        good = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
        if 0 < bad <= good:
            found = f"{bad} byte{'s are' if bad > 1 else ' is'} not UTF-8: replaced by U+FFFD"
            return _as_utf8(doc, lenient), warn(found)
    best = charset_normalizer.from_bytes(content).best()
    if best is None:
        if text is None:
            raise SourceError(
                f"{config.location} is not {where}, and no encoding reads its bytes; "
                "ask the publisher to fix the feed's charset",
                source=config.name,
            )
        return doc, None
    if text is not None:
        if codecs.lookup(best.encoding).name == codec or str(best) == text:
            return doc, None
        mine = charset_normalizer.from_bytes(content, cp_isolation=[codec]).best()
        if mine is not None and mine.chaos <= best.chaos + _MESS_MARGIN:
            return doc, None  # the declared charset reads it as well: trust the publisher
    detected = _charset_label(best.encoding)
    how = f"its bytes are not {declared}" if text is None else f"as {declared} it reads as mojibake"
    return _as_utf8(doc, str(best)), warn(f"{how}; detected {detected} and read it as such")


def _is_web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def normalize_language(tag: str | None, languages: Sequence[str] = ()) -> str | None:
    """A feed's language tag as the configuration spells it (the one normaliser,
    :func:`hrc_outreach.languages.normalise_language`), else its primary subtag (``de-AT`` → ``de``
    when German is not configured); None for an empty or unusable tag.

    >>> normalize_language("en-US", ["en", "pt_PT"]), normalize_language("pt", ["en", "pt_PT"])
    ('en', 'pt_PT')
    """
    if not tag or not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").lower().split("-", 1)[0]
    if not primary.isalpha() or not 2 <= len(primary) <= 3:
        return None
    return normalise_language(tag, languages) or primary


def struct_to_utc(value: Any) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC struct_time) as an aware datetime; None when unusable."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        v = " ".join(str(v).split())
        if v and v.lower() not in {s.lower() for s in seen}:
            seen[v] = None
    return tuple(seen)


def _image(entry: Any, base: str) -> tuple[str | None, str | None]:
    """The entry's image from enclosures, media:content or media:thumbnail, with its alt text."""
    candidates: list[tuple[str | None, str | None]] = []
    for enc in entry.get("enclosures") or []:
        if str(enc.get("type", "")).startswith("image/"):
            candidates.append((enc.get("href") or enc.get("url"), None))
    for media in entry.get("media_content") or []:
        medium = str(media.get("medium", "")) or str(media.get("type", "")).split("/")[0]
        if medium == "image":
            candidates.append((media.get("url"), None))
    for thumb in entry.get("media_thumbnail") or []:
        candidates.append((thumb.get("url"), None))
    alt = html_to_text(entry.get("media_description") or "") or None
    for url, _ in candidates:
        safe = safe_url(url, base)
        if safe and safe.startswith(("http://", "https://")):
            return safe, alt
    return None, None


def _entry_language(entry: Any, feed: Any, config: SourceConfig, languages: Sequence[str]) -> str:
    tags: list[Any] = [entry.get("language")]
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if detail:
            tags.append(detail.get("language"))
    for content in entry.get("content") or []:
        tags.append(content.get("language"))
    tags.append(feed.get("language"))
    for tag in tags:
        lang = normalize_language(tag, languages)
        if lang:
            return lang
    return normalize_language(config.language, languages) or config.language or UNKNOWN


def entry_to_item(
    entry: Any, feed: Any, config: SourceConfig, base: str, languages: Sequence[str]
) -> ContentItem | None:
    """One feed entry as a content item; None when it has nothing to show (no title, link, text)."""
    link = safe_url(entry.get("link"), base)
    if link and not link.startswith(("http://", "https://")):
        link = None
    item_base = link or base
    body_html = ""
    for content in entry.get("content") or []:
        if content.get("value"):
            body_html = content["value"]
            if "html" in str(content.get("type", "")):
                break
    summary = sanitize_html(entry.get("summary") or "", item_base)
    body = sanitize_html(body_html, item_base)
    if not summary and body:
        summary = body
    title = html_to_text(entry.get("title") or "").replace("\n\n", " ")
    if not title:
        title = short_title(html_to_text(summary or body))
    if not (title or link or summary):
        return None
    published = struct_to_utc(entry.get("published_parsed")) or struct_to_utc(
        entry.get("created_parsed")
    )
    updated = struct_to_utc(entry.get("updated_parsed"))
    key = str(entry.get("id") or "").strip() or link
    if not key:
        stamp = published.isoformat() if published else str(entry.get("published") or "")
        key = "sha256:" + hashlib.sha256(f"{title}\x1f{stamp}".encode()).hexdigest()[:32]
    elif len(key) > MAX_KEY_LENGTH:  # the store keeps keys up to 1000 characters
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    image_url, image_alt = _image(entry, item_base)
    terms = [t.get("term") or t.get("label") or "" for t in entry.get("tags") or []]
    return ContentItem(
        id=item_id(config.name, key),
        source=config.name,
        source_key=key,
        kind=ItemKind(config.item_kind),
        title=title or "(untitled)",
        summary=summary,
        body=body if body != summary else "",
        url=link,
        image_url=image_url,
        image_alt=(image_alt or title or None) if image_url else None,
        language=_entry_language(entry, feed, config, languages),
        published_at=published or updated,
        updated_at=updated,
        tags=_dedupe([*terms, *config.tags]),
    )


def _parse(doc: Document, base: str, config: SourceConfig) -> Any:
    headers = {"content-location": base} if base else {}
    # A file has no Content-Type; without one feedparser reports every file as ill-formed.
    headers["content-type"] = doc.content_type or "application/xml"
    try:
        # A stream, never bytes: feedparser would try bytes as a file name first.
        return feedparser.parse(io.BytesIO(doc.content), response_headers=headers)
    except Exception as exc:  # feedparser promises not to raise; a source must not crash anyway
        raise SourceError(
            f"cannot parse {config.location} as a feed: {exc}", source=config.name
        ) from exc


def parse_feed(doc: Document, config: SourceConfig, languages: Sequence[str]) -> SourceOutput:
    """Items and warnings from a feed document; SourceError when nothing in it is a feed."""
    doc, charset_warning = check_encoding(doc, config)
    parsed = _parse(doc, doc.base_url, config)
    base = doc.base_url
    if not _is_web(base):
        # Relative links resolve (RFC 3986) against xml:base, else where the document is; a file
        # is nowhere a reader can go, so the feed's own link stands in for its address.
        own = safe_url((parsed.get("feed") or {}).get("link"), base)
        if own and _is_web(own):
            parsed, base = _parse(doc, own, config), own
    warnings: list[str] = [charset_warning] if charset_warning else []
    bozo = parsed.get("bozo")
    entries = parsed.get("entries") or []
    feed = parsed.get("feed") or {}
    why = parsed.get("bozo_exception")
    if not entries and not parsed.get("version"):
        if _HTML_PAGE.match(doc.content[:2048]):
            raise SourceError(
                f"{config.location} is an HTML page, not a feed; point the source "
                "at the site's RSS or Atom feed",
                source=config.name,
            )
        if (bozo and not feed.get("title")) or not feed:
            detail = f": {why}" if why else " (no channel, feed or entries found)"
            raise SourceError(
                f"{config.location} is not a readable RSS or Atom feed{detail}", source=config.name
            )
    if bozo:
        warnings.append(f"{config.location} is not well-formed ({why}); kept what could be read")
    items: list[ContentItem] = []
    for n, entry in enumerate(entries, 1):
        try:
            item = entry_to_item(entry, feed, config, base, languages)
        except Exception as exc:  # one strange entry is a warning, never the end of the source
            warnings.append(f"entry {n} skipped: {type(exc).__name__}: {exc}")
            continue
        if item is None:
            warnings.append(f"entry {n} skipped: no title, link or text")
        else:
            items.append(item)
    return SourceOutput(items=tuple(items), warnings=tuple(warnings))


class FeedSource:
    """RSS and Atom feeds (``kind = "feed"``)."""

    kind: ClassVar[SourceKind] = SourceKind.FEED
    options_model: ClassVar[type[SourceOptions]] = SourceOptions  # base_url only

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        doc = await ctx.reader.read(config)
        if doc is None:
            return SourceOutput(not_modified=True)
        languages = ctx.settings.i18n.languages
        # feedparser is synchronous and can take a while on a big feed: keep the loop free.
        return await asyncio.to_thread(parse_feed, doc, config, languages)
