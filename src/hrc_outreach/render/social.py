"""Social posts for an edition and its featured items, each within its platform's limits.

Text patterns come from the gettext catalog (``translations_for(lang)``), item text from the
:class:`LocalizedItem`, stripped of the invisible characters that could reorder or hide it (bidi
overrides and isolates, zero-width spaces: :func:`visible_text`). Links to the network's own sites
(``newsletter.website``, ``web.base_url``) carry UTM parameters; other links are left as they are.
Hashtags come only from the curated list ``templates/social/hashtags.yaml`` (:class:`HashtagList`).
Right-to-left posts (Arabic) start every line with a right-to-left mark, and text in the other
direction is isolated (FSI…PDI), so each platform shows the post right to left whatever its first
character.

>>> add_utm("https://x.org/a?id=3#top", "bluesky", "2026-12")
'https://x.org/a?id=3&utm_source=bluesky&utm_medium=social&utm_campaign=2026-12#top'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex
import yaml
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hrc_outreach.config import Settings
from hrc_outreach.errors import RenderError
from hrc_outreach.i18n.catalog import text_direction, translations_for
from hrc_outreach.i18n.formatting import (
    country_name,
    format_event_time,
    format_list,
    format_month_year,
)
from hrc_outreach.i18n.recurrence import series_words
from hrc_outreach.models import (
    ItemKind,
    LocalizedEdition,
    LocalizedItem,
    SectionKind,
    SocialPlatform,
    SocialPost,
)
from hrc_outreach.paths import TEMPLATES_DIR
from hrc_outreach.render.cards import (
    LANDSCAPE,
    SQUARE,
    Card,
    card_file_name,
    card_logo,
    drawable,
    visible_text,
    write_card,
)
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.lengths import graphemes, mastodon_chars, utf16_units
from hrc_outreach.render.photos import photos_for
from hrc_outreach.render.safe import clean_html, safe_url
from hrc_outreach.render.view import archive_url
from hrc_outreach.sources.places import city_as_written

RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"
ELLIPSIS = "…"
BULLET = "• "
HASHTAGS_FILE = TEMPLATES_DIR / "social" / "hashtags.yaml"
_GRAPHEME = regex.compile(r"\X")
_BREAKS = re.compile(r" *[\n\r\t\v\f\x1c-\x1e\x85\u2028\u2029][\s]*")  # line/paragraph breaks
ZWSP = "\u200b"
# A # or @ (also fullwidth) where a platform would start a hashtag or a mention: not after a word
_LIVE = regex.compile(r"(?<![\p{L}\p{N}_&/])[#＃@＠](?=[\p{L}\p{M}\p{N}_])")
_NOT_TAG = regex.compile(r"[^\p{L}\p{N}_]+")
# Valid on every platform: Instagram/Facebook/LinkedIn (letters, digits, _), Mastodon (at least
# one letter), Bluesky (at most 64 graphemes, not only digits)
_VALID_TAG = regex.compile(r"[\p{L}\p{M}\p{N}_]{1,64}")


def mastodon_length(text: str) -> int:
    """Characters as Mastodon counts them (:func:`render.lengths.mastodon_chars`: graphemes,
    every URL its extractor finds as 23). A text too hostile to count in time is counted long
    (every code point, and 23 more per link), so fitting cuts it rather than failing the draft."""
    try:
        return mastodon_chars(text)
    except TimeoutError:
        return len(text) + 23 * text.count("://")


@dataclass(frozen=True)
class PlatformRules:
    limit: int
    measure: Callable[[str], int]
    max_hashtags: int
    summary_chars: int  # a readable excerpt, well under the limit where the limit is large
    card: tuple[int, int]
    link_in_text: bool = True


RULES: dict[SocialPlatform, PlatformRules] = {
    # Instagram: 2,200 characters, at most 30 hashtags, links are not clickable ("link in bio").
    SocialPlatform.INSTAGRAM: PlatformRules(2200, utf16_units, 15, 600, SQUARE, False),
    SocialPlatform.FACEBOOK: PlatformRules(63206, utf16_units, 3, 400, LANDSCAPE),
    SocialPlatform.LINKEDIN: PlatformRules(3000, utf16_units, 5, 700, LANDSCAPE),
    SocialPlatform.MASTODON: PlatformRules(500, mastodon_length, 5, 500, LANDSCAPE),
    SocialPlatform.BLUESKY: PlatformRules(300, graphemes, 3, 300, LANDSCAPE),
}
INSTAGRAM_MAX_HASHTAGS = 30


def own_hosts(settings: Settings) -> frozenset[str]:
    """The network's own hosts (its website and the archive's), without ``www.``."""
    hosts = set()
    for url in (settings.newsletter.website, settings.web.base_url):
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        if host:
            hosts.add(host)
    return frozenset(hosts)


def is_own_link(url: str, settings: Settings) -> bool:
    """True for an http(s) link to one of :func:`own_hosts` or a subdomain of one.

    >>> is_own_link("https://www.humanrightscities.net/x", Settings())
    True
    >>> is_own_link("https://humanrightscities.net.evil.org/x", Settings())
    False
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(host == own or host.endswith("." + own) for own in own_hosts(settings))


def add_utm(url: str, platform: str, campaign: str) -> str:
    """``url`` with utm_source/medium/campaign set; its other query parameters and fragment kept."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("utm_source", "utm_medium", "utm_campaign")
    ]
    query += [("utm_source", platform), ("utm_medium", "social"), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _valid_tag(tag: str) -> str:
    if not _VALID_TAG.fullmatch(tag) or not regex.search(r"\p{L}", tag):
        raise ValueError(
            f"hashtag {tag!r} is not valid on every platform: write letters, digits and _ only "
            "(at least one letter, at most 64 characters, no #)"
        )
    return tag


class HashtagList(BaseModel):
    """The curated hashtags (``templates/social/hashtags.yaml``): the only ones posts use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    always: tuple[str, ...] = ()
    sections: dict[SectionKind, tuple[str, ...]] = Field(default_factory=dict)
    projects: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    themes: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("always")
    @classmethod
    def _check_always(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_valid_tag(t) for t in v)

    @field_validator("sections", "projects", "themes")
    @classmethod
    def _check_tags(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {
            (k.casefold() if isinstance(k, str) else k): tuple(_valid_tag(t) for t in tags or ())
            for k, tags in v.items()
        }

    def every_tag(self) -> set[str]:
        groups = (self.sections, self.projects, self.themes)
        return {*self.always, *(t for g in groups for tags in g.values() for t in tags)}

    def for_item(self, li: LocalizedItem, section: SectionKind | None) -> list[str]:
        """The curated tags of an item: its section's, its project's, its themes' (in that order)."""
        item = li.item
        out = list(self.sections.get(section, ())) if section else []
        out += self.projects.get((item.project or "").casefold(), ())
        for tag in item.tags:
            out += self.themes.get(" ".join(tag.split()).casefold(), ())
        return out


@lru_cache(maxsize=8)
def _read_hashtags(path: Path, mtime: float) -> HashtagList:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return HashtagList.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise RenderError(f"curated hashtags in {path} cannot be used: {exc}") from exc


def load_hashtags(path: Path = HASHTAGS_FILE) -> HashtagList:
    """The curated hashtags (``templates/social/hashtags.yaml``); RenderError naming the file and
    the bad entry when one is not valid on every platform."""
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise RenderError(f"curated hashtags: cannot read {path}: {exc}") from exc
    return _read_hashtags(path, mtime)


def hashtag(tag: str) -> str | None:
    """``"right to housing"`` -> ``#RightToHousing``; None when nothing usable is left."""
    words = [w for w in _NOT_TAG.split(tag) if w]
    joined = "".join(w[:1].upper() + w[1:] for w in words)
    if not joined or joined.isdigit():
        return None
    return "#" + joined


def truncate(text: str, budget: int, measure: Callable[[str], int]) -> str:
    """``text`` cut on a word boundary with an ellipsis so that ``measure`` of it is ≤ ``budget``."""
    if measure(text) <= budget:
        return text
    if budget < measure(ELLIPSIS) + 1:
        return ""
    clusters = _GRAPHEME.findall(text)
    lo, hi = 0, len(clusters)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if measure(_close_isolates("".join(clusters[:mid]) + ELLIPSIS)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    cut = "".join(clusters[:lo])
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > len(cut) // 2:  # else one very long word: cut inside it
        cut = cut[:space]
    return _close_isolates(cut.rstrip(" \n,;:.-–—" + PDI) + ELLIPSIS)


def _whole_lines(text: str, budget: int, measure: Callable[[str], int]) -> str:
    """The first lines of ``text`` that fit in ``budget`` whole (a list is never cut mid-entry)."""
    kept: list[str] = []
    for line in text.split("\n"):
        if measure("\n".join([*kept, line])) > budget:
            break
        kept.append(line)
    return "\n".join(kept)


def _close_isolates(text: str) -> str:
    """Close every bidi isolate (FSI/LRI/RLI) a cut left open, so no direction leaks out."""
    opened = sum(text.count(c) for c in (FSI, "\u2066", "\u2067")) - text.count(PDI)
    return text + PDI * max(opened, 0)


def plain_text(html: str) -> str:
    """The text of an item's (sanitised) summary HTML, on one line."""
    return parse_html(str(clean_html(html))).text()


@dataclass(frozen=True)
class _Draft:
    head: tuple[str, ...]  # lines kept whole when possible (titles, place)
    body: str  # what is truncated first (summary, list of titles)
    link_line: str
    tags: tuple[str, ...]
    bullets: bool = False  # body is a list, one entry a line: cut by whole entries
    spare: str = ""  # a line after the head, dropped before the title is cut (the counts)


class _Writer:
    """Builds every post of one language of one edition."""

    def __init__(
        self,
        loc: LocalizedEdition,
        settings: Settings,
        photos: Mapping[str, Image.Image] | None = None,
    ) -> None:
        self.loc, self.settings, self.lang = loc, settings, loc.lang
        self.t = translations_for(loc.lang)
        self.rtl = text_direction(loc.lang) == "rtl"
        self.drawn: set[Path] = set()
        self.month = format_month_year(loc.edition.date, loc.lang)
        self.edition_label = self.t.gettext("%(newsletter)s · %(month)s") % {
            "newsletter": settings.newsletter.name,
            "month": self.month,
        }
        self.hashtags = load_hashtags()
        self.section_of = {i.item.id: s.kind for s in loc.sections for i in s.items}
        self.photos = dict(photos or {})

    def shown(self, text: str, text_lang: str) -> str:
        """Item text, visible characters only, no live hashtag or mention, isolated when its
        direction differs from the post's."""
        text = defuse(visible_text(text))
        if text and (text_direction(text_lang) == "rtl") != self.rtl:
            return FSI + text + PDI
        return text

    def finish(self, lines: str) -> str:
        if not self.rtl:
            return lines
        return "\n".join(RLM + line if line else line for line in lines.split("\n"))

    def assemble(self, d: _Draft, body: str, tags: tuple[str, ...], head: tuple[str, ...]) -> str:
        blocks = ["\n".join(h for h in (*head, d.spare) if h), body, d.link_line, " ".join(tags)]
        return self.finish("\n\n".join(b for b in blocks if b))

    def fit(self, d: _Draft, rules: PlatformRules) -> str:
        """The post within the platform's limit: summary first, then hashtags, then the title cut."""
        cap = min(rules.max_hashtags, INSTAGRAM_MAX_HASHTAGS)
        tags = d.tags[:cap]
        cut = _whole_lines if d.bullets else truncate
        body = cut(d.body, rules.summary_chars, rules.measure)
        text = self.assemble(d, body, tags, d.head)
        if rules.measure(text) <= rules.limit:
            return text
        room = rules.limit - rules.measure(self.assemble(d, "", tags, d.head)) - 2
        body = cut(body, room, rules.measure) if room > 20 else ""
        text = self.assemble(d, body, tags, d.head)
        while rules.measure(text) > rules.limit and len(tags) > 1:
            tags = tags[:-1]
            text = self.assemble(d, body, tags, d.head)
        if rules.measure(text) > rules.limit and d.spare:
            d = replace(d, spare="")  # without the counts, the list may have room again
            room = rules.limit - rules.measure(self.assemble(d, "", tags, d.head)) - 2
            body = cut(d.body, min(room, rules.summary_chars), rules.measure) if room > 20 else ""
            text = self.assemble(d, body, tags, d.head)
        if rules.measure(text) > rules.limit and d.head:
            # A title too long even alone: cut it, keep the place line and the link.
            rest = ("", *d.head[1:])
            room = rules.limit - rules.measure(self.assemble(d, body, tags, rest)) - 2
            head = (truncate(d.head[0], max(room, 0), rules.measure), *d.head[1:])
            text = self.assemble(d, body, tags, head)
        if rules.measure(text) > rules.limit:  # the link and one tag are all that is left
            text = self.assemble(d, "", tags[:1], ("",))
        return text

    def counts(self) -> str:
        """What the edition holds, each kind counted under its own name, as a localised list
        (the preheader's words: "2 good practices …, 1 upcoming event")."""
        n = {s.kind: len(s.items) for s in self.loc.sections}
        ng = self.t.ngettext
        practices, projects, events, news = (n.get(k, 0) for k in SectionKind)
        parts = [
            ng(
                "%(num)s good practice from a human rights city",
                "%(num)s good practices from human rights cities",
                practices,
            )
            % {"num": practices}
            if practices
            else "",
            ng("%(num)s project update", "%(num)s project updates", projects) % {"num": projects}
            if projects
            else "",
            ng("%(num)s upcoming event", "%(num)s upcoming events", events) % {"num": events}
            if events
            else "",
            ng("%(num)s news item from the network", "%(num)s news items from the network", news)
            % {"num": news}
            if news
            else "",
        ]
        return format_list([p for p in parts if p], self.lang)

    def edition_draft(self, link_line: str) -> _Draft:
        """The edition's post: it is out, the counts, the first five titles as a list."""
        head = (
            self.t.gettext("%(newsletter)s for %(month)s is out.")
            % {"newsletter": self.settings.newsletter.name, "month": self.month},
        )
        body = "\n".join(
            BULLET + self.shown(truncate(_one_line(i.title), 120, len), i.text_lang)
            for i in self.loc.items[:5]
            if visible_text(i.title).strip()
        )
        return _Draft(head, body, link_line, self.edition_tags(), True, self.counts())

    def item_draft(self, li: LocalizedItem, link_line: str) -> _Draft:
        """A featured item's post: its title and place, its summary."""
        head = (self.shown(_one_line(li.title), li.text_lang), defuse(_one_line(self.place(li))))
        body = self.shown(_one_line(plain_text(li.summary)), li.text_lang)
        return _Draft(head, body, link_line, self.item_tags(li))

    def link_line(self, url: str, rules: PlatformRules) -> str:
        if not rules.link_in_text:
            return self.t.gettext("Link in bio.")
        return self.t.gettext("Read it here: %(url)s") % {"url": url}

    def place(self, li: LocalizedItem) -> str:
        item = li.item
        if item.kind is ItemKind.EVENT and item.start is not None:
            when = format_event_time(item.start, item.end, item.timezone, self.lang, item.all_day)
            if item.recurrence:  # a series, shown once: its rule and next date
                when = series_words(
                    item.recurrence, item.start, item.timezone, self.lang, all_day=item.all_day
                )
            return f"{when} · {item.location}" if item.location else when
        if item.project:
            return self.t.gettext("Project: %(project)s") % {"project": item.project}
        where = [
            p
            for p in (
                city_as_written(item.city, self.settings.curate.place_aliases) or item.region,
                country_name(item.country, self.lang) if item.country else None,
            )
            if p
        ]
        return ", ".join(where)

    def item_tags(self, li: LocalizedItem) -> tuple[str, ...]:
        """The curated hashtags of an item: always, its section's, its project's, its themes'."""
        section = self.section_of.get(li.item.id)
        return _unique([*self.hashtags.always, *self.hashtags.for_item(li, section)])

    def edition_tags(self) -> tuple[str, ...]:
        """The curated hashtags of the edition: always, then those of its sections and items."""
        raw = list(self.hashtags.always)
        raw += [
            t for s in self.loc.sections if s.items for t in self.hashtags.sections.get(s.kind, ())
        ]
        raw += [
            t for s in self.loc.sections for i in s.items for t in self.hashtags.for_item(i, None)
        ]
        return _unique(raw)


def _unique(curated: list[str]) -> tuple[str, ...]:
    """``#Tag`` for each curated tag, the first of any that differ only in case."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in curated:
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append("#" + tag)
    return tuple(out)


def _photo_url(url: str | None) -> str | None:
    """An item's image URL if it is a safe http(s) link (never a local path from outside text)."""
    safe = safe_url(url) if url else None
    return safe if safe and urlsplit(safe).scheme in ("http", "https") else None


def defuse(text: str) -> str:
    """Outside text with its hashtags and mentions made plain text: a zero-width space after a
    ``#`` or ``@`` that would start one, so no platform links a tag or notifies an account the
    network did not choose (its hashtags come only from the curated list).

    >>> defuse("#MeToo, thanks @ana@example.social (ana@example.org)")
    '#\u200bMeToo, thanks @\u200bana@example.social (ana@example.org)'
    """
    return str(_LIVE.sub("\\g<0>" + ZWSP, text))


def _one_line(text: str) -> str:
    """Outside text on one line: visible characters, line and paragraph breaks (with the spaces
    around them) one space; other spaces kept (no-break and thin spaces of French and CLDR)."""
    return _BREAKS.sub(" ", visible_text(text)).strip(" ")


def featured_items(loc: LocalizedEdition, per_section: int = 1) -> tuple[LocalizedItem, ...]:
    """The items that get a post of their own: the first ``per_section`` of every section."""
    return tuple(i for s in loc.sections for i in s.items[:per_section])


def social_posts(
    loc: LocalizedEdition,
    settings: Settings,
    *,
    cards_dir: Path | None = None,
    featured_per_section: int = 1,
    photos: Mapping[str, Path] | None = None,
) -> tuple[SocialPost, ...]:
    """One post per platform for the edition, and one per platform for each featured item.

    With ``cards_dir``, an image card is drawn for every post there (PNG) and named in the post;
    a featured item's card carries its photo: the local file ``photos[item id]`` if given, else
    its ``image_url`` fetched within the ``[fetch]`` bounds (a photo that cannot be used is
    logged and its card drawn without one).
    """
    featured = featured_items(loc, featured_per_section)
    pictures = {} if cards_dir is None else _card_photos(featured, settings, photos or {})
    w = _Writer(loc, settings, pictures)
    edition_url = archive_url(settings, loc.edition.key, loc.lang)
    subjects: list[tuple[LocalizedItem | None, str]] = [(None, edition_url)]
    subjects += [(li, safe_url(li.item.url) or edition_url) for li in featured]
    return tuple(
        _post(w, li, platform, rules, _link(w, url, edition_url, platform, rules), cards_dir)
        for li, url in subjects
        for platform, rules in RULES.items()
    )


def _card_photos(
    featured: tuple[LocalizedItem, ...], settings: Settings, photos: Mapping[str, Path]
) -> dict[str, Image.Image]:
    """The photos of the featured items' cards: a given local file, else the item's own safe
    ``image_url`` fetched within the ``[fetch]`` bounds."""
    urls = {li.item.id: u for li in featured if (u := _photo_url(li.item.image_url))}
    local = {k: p for k, p in photos.items() if k in {li.item.id for li in featured}}
    return photos_for(urls, local, settings)


def _link(
    w: _Writer, url: str, edition_url: str, platform: SocialPlatform, rules: PlatformRules
) -> str:
    """The post's link: ``url``, or the edition's page when ``url`` would crowd out the post (the
    item is in the edition's page too); the network's own links carry UTM parameters."""
    target = edition_url if rules.measure(url) > rules.limit // 3 else url
    if is_own_link(target, w.settings):
        return add_utm(target, platform.value, w.loc.edition.key)
    return target


def _post(
    w: _Writer,
    li: LocalizedItem | None,
    platform: SocialPlatform,
    rules: PlatformRules,
    link: str,
    cards_dir: Path | None,
) -> SocialPost:
    """The post on ``platform`` about featured item ``li`` (the edition when None), fitted to the
    platform's limits, with its card drawn in ``cards_dir`` when given."""
    link_line = w.link_line(link, rules)
    draft = w.edition_draft(link_line) if li is None else w.item_draft(li, link_line)
    image = alt = None
    if cards_dir is not None:
        image, alt = _card(w, li, rules.card, cards_dir)
    return SocialPost(
        platform=platform,
        lang=w.lang,
        text=w.fit(draft, rules),
        link=link,
        item_id=li.item.id if li else None,
        image=image,
        image_alt=alt,
    )


def _card(
    w: _Writer, li: LocalizedItem | None, size: tuple[int, int], cards_dir: Path
) -> tuple[str, str]:
    """Draw (once) the card for an item or the edition; its file name and alt text."""
    loc, nl = w.loc, w.settings.newsletter
    photo = w.photos.get(li.item.id) if li else None
    if li is None:
        title, subtitle, card_lang = nl.name, w.month, w.lang
        footer = nl.organisation
    else:
        title, subtitle, card_lang = _one_line(li.title), _one_line(w.place(li)), li.text_lang
        footer = w.edition_label
    name = card_file_name(loc.edition.key, w.lang, li.item.id if li else None, size)
    path = cards_dir / name
    if path not in w.drawn:  # one card per size serves several platforms; redrawn every draft
        w.drawn.add(path)
        write_card(
            Card(title, subtitle, footer, card_lang, photo, card_logo()),
            size,
            nl.brand_color,
            nl.accent_color,
            path,
        )
    return name, _alt(w, li, title, subtitle, footer, photo is not None)


def _alt(
    w: _Writer, li: LocalizedItem | None, title: str, place: str, edition: str, photo: bool
) -> str:
    described = li.item.image_alt if li and photo else None
    return card_alt(w.lang, w.settings, title, place, edition, photo=photo, photo_alt=described)


def card_alt(
    lang: str,
    settings: Settings,
    title: str,
    place: str,
    edition: str,
    *,
    photo: bool = False,
    photo_alt: str | None = None,
) -> str:
    """What a card shows, read aloud (its alt text, also the archive page's ``og:image:alt``): the
    logo and the photo when it has them, the title, the place, the edition; and what the photo
    shows when its source says so.

    >>> card_alt("en", Settings(), "Leuven joins", "Leuven, Belgium", "The Readers")[:40]
    'Image card with the Human Rights Cities '
    """
    t = translations_for(lang)
    title = truncate(drawable(title) or title, 300, len)  # read aloud whole: keep it short
    shown = f"{title}. {visible_text(place)}" if place else title
    values = {"title": shown, "edition": edition, "organisation": settings.newsletter.organisation}
    if card_logo() is not None and photo:
        alt = t.gettext(
            "Image card with the %(organisation)s logo and a photo: %(title)s. %(edition)s"
        )
    elif card_logo() is not None:
        alt = t.gettext("Image card with the %(organisation)s logo: %(title)s. %(edition)s")
    elif photo:
        alt = t.gettext("Image card with a photo: %(title)s. %(edition)s")
    else:
        alt = t.gettext("Image card: %(title)s. %(edition)s")
    alt %= values
    described = " ".join(visible_text(photo_alt or "").split()) if photo else ""
    if described:
        alt += " " + t.gettext("Photo: %(description)s") % {
            "description": truncate(described, 200, len)
        }
    return alt
