"""``digest`` sources: a plain-text digest of practices as staff paste it (e.g. a forum's summary).

The format, line by line::

    The 13th WHRCF                        <- title block: the digest's context, not a practice
    Human Rights Cities Responding to...
    Gwangju, Republic of Korea            <- heading: "City, Country", a country, or a region
    Gwangju integrated Care programme: the programme ... @Roundtable   <- one practice per line
    Scotland
    Scotland introduced the ... @Eradication of Poverty through Human Rights Economy

Each paragraph under a heading is one practice; "@Session name" at its end is its session. The
identity of a practice is the source plus a normalised key of its heading and its text (never its
position), so a digest pasted twice, or re-ordered, adds nothing.

A paragraph whose own title starts with the heading's *country* and does not name the heading's
city (the seed's "Indonesia 2025-2045 National Development Plan:" under "Singkawang, Indonesia")
is national in scope: it keeps the country and drops the city, since tagging a national plan with
one city would mislead readers who filter by city.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar

from hrc_outreach.config import SourceConfig, SourceKind
from hrc_outreach.errors import SourceError
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import (
    Document,
    GatherContext,
    SourceOptions,
    SourceOutput,
    read_options,
)
from hrc_outreach.sources.places import Place, country_name, parse_place

MAX_HEADING_CHARS = 60
MAX_HEADING_WORDS = 8
MAX_TITLE_WORDS = 12
MAX_PLACE_WORDS = 4
# Letters (any script), spaces, hyphens, apostrophes and the period of "St.": a place name's parts.
_PLACE_PART = re.compile(r"[^\W\d_]+(?:[ '’.\-]+[^\W\d_]+)*\.?")
_PLACE_CONNECTORS = frozenset(
    {
        "de",
        "del",
        "della",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "la",
        "le",
        "les",
        "los",
        "las",
        "el",
        "of",
        "the",
        "upon",
        "on",
        "am",
        "an",
        "im",
        "der",
        "den",
        "sur",
        "en",
        "y",
        "i",
        "e",
        "aan",
        "op",
    }
)
# A practice this short, with no sentence end, is probably a heading we could not read.
SHORT_PRACTICE_WORDS = 4
_SESSION = re.compile(r"\s@\s*([^@\n]+?)\s*$")
# A stray bullet or list-marker left by copy-paste ("l Kisumu County: ..." from a Wingdings bullet).
_STRAY_BULLET = re.compile(r"^(?:[l•·▪●◦‣\-–—*]|\d+[.)])\s+(?=[A-Z])")
_SENTENCE_END = re.compile(r"[.!?…:;]$")
# A title before a colon: at most this many words, and no sentence end inside it.
_LEAD_TITLE = re.compile(r"^([^.!?:]{3,90}?):\s+\S")


@dataclass(frozen=True)
class Practice:
    """One practice read from a digest, before it becomes a ContentItem."""

    heading: str
    place: Place
    text: str
    title: str
    session: str | None
    national: bool = False


def _norm_key(text: str) -> str:
    """Text folded for identity: accents, case, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _slug(text: str) -> str:
    return _norm_key(text).replace(" ", "-")[:60] or "digest"


def _heading_shape(line: str) -> bool:
    """A short line with no sentence end: what a heading looks like before we know its place."""
    if not line or len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    return not (_SENTENCE_END.search(line) or "@" in line or line.count(",") > 2)


def _place_shaped(line: str) -> bool:
    """The shape "Name, Name" (or three names): capitalised names, no digits, no clause.

    >>> _place_shaped("Mykolaiv, Ukrajina"), _place_shaped("Leuven, a city of rights")
    (True, False)
    """
    parts = [p.strip() for p in line.split(",")]
    if not 2 <= len(parts) <= 3 or not all(parts):
        return False
    for part in parts:
        words = part.split()
        if len(words) > MAX_PLACE_WORDS or not _PLACE_PART.fullmatch(part):
            return False
        if not words[0][:1].isupper() or any(
            not w[:1].isupper() and w.casefold() not in _PLACE_CONNECTORS for w in words
        ):
            return False
    return True


def read_heading(line: str) -> Place | None:
    """The place a heading line names, or None when the line is no heading.

    A heading is a short line with no sentence end that names a known place, or that has the
    shape of one ("City, Country" in capitalised words); then the place keeps the city and has no
    country: ``Place(city=..., country=None)``.

    >>> read_heading("Leuven, Belgum"), read_heading("Leuven, Atlantis")
    (Place(city='Leuven', country='BE', region=None), Place(city='Leuven', country=None, region=None))
    """
    line = line.strip()
    if not _heading_shape(line):
        return None
    place = parse_place(line)
    if place is not None:
        return place
    if _place_shaped(line):
        parts = [p.strip() for p in line.split(",")]
        return Place(city=", ".join(parts[:-1]))
    return None


def looks_like_heading(line: str) -> Place | None:
    """The place a line names when it is a heading of a known place: short, no sentence end.

    >>> looks_like_heading("Kisumu, Kenya")
    Place(city='Kisumu', country='KE', region=None)
    >>> looks_like_heading("Scotland introduced the Fairer Scotland duty.") is None
    True
    """
    place = read_heading(line)
    return place if place is not None and place.country else None


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def title_is_written(text: str, max_words: int = MAX_TITLE_WORDS) -> bool:
    """True when the practice's text opens with its own title before a colon (the author wrote
    it); False when :func:`practice_title` has to make one from the first clause.

    >>> title_is_written("Gwangju integrated Care programme: the programme aims at ...")
    True
    >>> title_is_written("The city of Warsaw has established a system, including a market.")
    False
    """
    lead = _LEAD_TITLE.match(" ".join(text.split()))
    return bool(lead and len(lead.group(1).split()) <= max_words)


def practice_title(text: str, max_words: int = MAX_TITLE_WORDS) -> str:
    """The words before a leading colon, else a short title from the first sentence.

    >>> practice_title("Gwangju integrated Care programme: the programme aims at ...")
    'Gwangju integrated Care programme'
    >>> practice_title("The city of Warsaw has established a system, including a market, to help.")
    'The city of Warsaw has established a system'
    """
    text = " ".join(text.split())
    lead = _LEAD_TITLE.match(text)
    if lead and len(lead.group(1).split()) <= max_words:
        return _capitalise(lead.group(1).strip())
    sentence = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0].rstrip(".!? ")
    words = sentence.split()
    if len(words) <= max_words:
        return _capitalise(sentence)
    # Prefer a natural break (a comma, dash or bracket) that leaves a title of 4+ words.
    clause = re.split(r",\s|;\s|\s[–—-]\s|\s\(", sentence, maxsplit=1)[0]
    if 4 <= len(clause.split()) <= max_words:
        return _capitalise(clause.strip())
    return _capitalise(" ".join(words[:max_words]).rstrip(",;:")) + "…"


def _is_national(title: str, place: Place, heading: str) -> bool:
    """A paragraph titled after the heading's country, not its city (a national plan)."""
    if not place.city or not place.country:
        return False
    country_words = {_norm_key(heading.rsplit(",", 1)[-1])}
    name = country_name(place.country)
    if name:
        country_words.add(_norm_key(name.split(",")[0]))
    t = _norm_key(title)
    starts_with_country = any(w and (t == w or t.startswith(w + " ")) for w in country_words)
    return starts_with_country and _norm_key(place.city) not in t


def parse_digest(text: str) -> tuple[list[str], list[Practice], list[str]]:
    """The title block (context lines), the practices of a digest in order (duplicates kept),
    and warnings naming the line: headings of places we do not know, lines that look like one."""
    context: list[str] = []
    known_context: set[str] = set()
    practices: list[Practice] = []
    warnings: list[str] = []
    heading: str | None = None
    place: Place | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        found = read_heading(line) if _norm_key(line) not in known_context else None
        if found is not None:
            if found.country is None:
                warnings.append(
                    f"line {number}: heading {line!r}: {line.rsplit(',', 1)[-1].strip()!r} is no "
                    f"country we know; its practices keep the city {found.city!r} and no country "
                    "(check the spelling)"
                )
            heading, place = line, found
            continue
        if heading is None or _norm_key(line) in known_context:
            # Before the first heading, or the title block pasted again: context, not a practice.
            # A repeated title block also closes the current place, so nothing attaches to it.
            key = _norm_key(line)
            if key and key not in known_context:
                known_context.add(key)
                context.append(line)
            heading, place = None, None
            continue
        assert place is not None
        body = _STRAY_BULLET.sub("", line)
        session_match = _SESSION.search(body)
        session = session_match.group(1).strip() if session_match else None
        if session_match:
            body = body[: session_match.start()].rstrip()
        if not body:
            continue
        if _heading_shape(body) and len(body.split()) <= SHORT_PRACTICE_WORDS:
            warnings.append(
                f"line {number}: {body!r} is very short for a practice and may be a heading whose "
                f"place we cannot read; it was kept as a practice under {heading!r} "
                "(write headings as 'City, Country')"
            )
        title = practice_title(body)
        national = _is_national(title, place, heading)
        practices.append(
            Practice(
                heading=heading,
                place=place,
                text=body,
                title=title,
                session=session,
                national=national,
            )
        )
    return context, practices, warnings


class DigestOptions(SourceOptions):
    """A ``digest`` source's keys."""

    event: str = ""  # the context tag (default: the digest's first line)
    published: datetime | date | str | None = None  # a date for every practice of the digest


def _published(config: SourceConfig) -> datetime | None:
    value = read_options(config, DigestOptions).published
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise SourceError(
                f"option published={value!r} is not an ISO date (2026-10-15)", source=config.name
            ) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _items(
    practices: list[Practice], context: list[str], config: SourceConfig, language: str
) -> Iterator[ContentItem]:
    first = context[0] if context else ""
    event = (read_options(config, DigestOptions).event or first).strip() or None
    published = _published(config)
    seen: set[str] = set()
    for p in practices:
        key_text = f"{_norm_key(p.heading)}\x1f{_norm_key(p.text)}"
        if key_text in seen:  # the same practice pasted twice
            continue
        seen.add(key_text)
        source_key = f"{_slug(p.heading)}/{hashlib.sha256(key_text.encode()).hexdigest()[:16]}"
        tags = [t for t in (p.session, event, *config.tags) if t]
        yield ContentItem(
            id=item_id(config.name, source_key),
            source=config.name,
            source_key=source_key,
            kind=ItemKind(config.item_kind),
            title=p.title,
            title_generated=not title_is_written(p.text),
            summary=f"<p>{html.escape(p.text, quote=False)}</p>",
            language=language,
            published_at=published,
            tags=tuple(dict.fromkeys(tags)),
            city=None if (p.national or not p.place.city) else p.place.city,
            country=p.place.country,
            region=p.place.region,
            session=p.session,
        )


def parse_digest_document(doc: Document, config: SourceConfig, language: str) -> SourceOutput:
    """Items from a digest file; SourceError when it is not text or holds no practice at all."""
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{config.location} is not UTF-8 text ({exc}); save it as UTF-8", source=config.name
        ) from exc
    context, practices, warnings = parse_digest(text)
    if not practices:
        raise SourceError(
            f"{config.location} holds no practice: expected a heading line such as "
            "'Gwangju, Republic of Korea' followed by one paragraph per practice",
            source=config.name,
        )
    items = tuple(_items(practices, context, config, language))
    return SourceOutput(items=items, warnings=tuple(warnings))


class DigestSource:
    """A pasted plain-text digest of practices (``kind = "digest"``)."""

    kind: ClassVar[SourceKind] = SourceKind.DIGEST
    options_model: ClassVar[type[SourceOptions]] = DigestOptions

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput:
        doc = await ctx.reader.read(config)
        if doc is None:
            return SourceOutput(not_modified=True)
        language = config.language or ctx.settings.i18n.source_language or "en"
        return await asyncio.to_thread(parse_digest_document, doc, config, language)
