"""Social posts for an edition and its featured items, each within its platform's limits.

Text patterns come from the gettext catalog (``translations_for(lang)``), item text from the
:class:`LocalizedItem`. Links carry UTM parameters. Right-to-left posts (Arabic) start every line
with a right-to-left mark, and text in the other direction is isolated (FSI…PDI), so each platform
shows the post right to left whatever its first character.

>>> add_utm("https://x.org/a?id=3#top", "bluesky", "2026-12")
'https://x.org/a?id=3&utm_source=bluesky&utm_medium=social&utm_campaign=2026-12#top'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

from hrc_outreach.config import Settings
from hrc_outreach.i18n.catalog import text_direction, translations_for
from hrc_outreach.i18n.formatting import country_name, format_event_time, format_month_year
from hrc_outreach.models import (
    ItemKind,
    LocalizedEdition,
    LocalizedItem,
    SocialPlatform,
    SocialPost,
)
from hrc_outreach.render.cards import LANDSCAPE, SQUARE, Card, card_file_name, write_card
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.safe import clean_html, safe_url
from hrc_outreach.render.view import archive_url

RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"
ELLIPSIS = "…"
BASE_HASHTAGS = ("HumanRights", "HumanRightsCities")
_GRAPHEME = regex.compile(r"\X")
_URL = re.compile(r"https?://\S+")
_NOT_TAG = regex.compile(r"[^\p{L}\p{N}_]+")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky counts them.

    >>> graphemes("👩🏽‍⚖️ é")  # one emoji with modifiers, a space, e + combining accent
    3
    """
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str) -> int:
    """Characters as Mastodon counts them: every URL counts as 23."""
    return len(_URL.sub("x" * 23, text))


def utf16_length(text: str) -> int:
    """UTF-16 code units: what JavaScript counters (Instagram, LinkedIn, Facebook) see."""
    return len(text.encode("utf-16-le")) // 2


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
    SocialPlatform.INSTAGRAM: PlatformRules(2200, utf16_length, 15, 600, SQUARE, False),
    SocialPlatform.FACEBOOK: PlatformRules(63206, utf16_length, 3, 400, LANDSCAPE),
    SocialPlatform.LINKEDIN: PlatformRules(3000, utf16_length, 5, 700, LANDSCAPE),
    SocialPlatform.MASTODON: PlatformRules(500, mastodon_length, 5, 500, LANDSCAPE),
    SocialPlatform.BLUESKY: PlatformRules(300, graphemes, 3, 300, LANDSCAPE),
}
INSTAGRAM_MAX_HASHTAGS = 30


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


class _Writer:
    """Builds every post of one language of one edition."""

    def __init__(self, loc: LocalizedEdition, settings: Settings) -> None:
        self.loc, self.settings, self.lang = loc, settings, loc.lang
        self.t = translations_for(loc.lang)
        self.rtl = text_direction(loc.lang) == "rtl"
        self.drawn: set[Path] = set()
        self.month = format_month_year(loc.edition.date, loc.lang)
        self.edition_label = self.t.gettext("%(newsletter)s · %(month)s") % {
            "newsletter": settings.newsletter.name,
            "month": self.month,
        }

    def shown(self, text: str, text_lang: str) -> str:
        """Item text, isolated when its direction differs from the post's."""
        if text and (text_direction(text_lang) == "rtl") != self.rtl:
            return FSI + text + PDI
        return text

    def finish(self, lines: str) -> str:
        if not self.rtl:
            return lines
        return "\n".join(RLM + line if line else line for line in lines.split("\n"))

    def assemble(self, d: _Draft, body: str, tags: tuple[str, ...], head: tuple[str, ...]) -> str:
        blocks = ["\n".join(h for h in head if h), body, d.link_line, " ".join(tags)]
        return self.finish("\n\n".join(b for b in blocks if b))

    def fit(self, d: _Draft, rules: PlatformRules) -> str:
        """The post within the platform's limit: summary first, then hashtags, then the title cut."""
        cap = min(rules.max_hashtags, INSTAGRAM_MAX_HASHTAGS)
        tags = d.tags[:cap]
        body = truncate(d.body, rules.summary_chars, rules.measure)
        text = self.assemble(d, body, tags, d.head)
        if rules.measure(text) <= rules.limit:
            return text
        room = rules.limit - rules.measure(self.assemble(d, "", tags, d.head)) - 2
        body = truncate(body, room, rules.measure) if room > 20 else ""
        text = self.assemble(d, body, tags, d.head)
        while rules.measure(text) > rules.limit and len(tags) > 1:
            tags = tags[:-1]
            text = self.assemble(d, body, tags, d.head)
        if rules.measure(text) > rules.limit and d.head:
            # A title too long even alone: cut it, keep the place line and the link.
            rest = ("", *d.head[1:])
            room = rules.limit - rules.measure(self.assemble(d, body, tags, rest)) - 2
            head = (truncate(d.head[0], max(room, 0), rules.measure), *d.head[1:])
            text = self.assemble(d, body, tags, head)
        return text

    def link_line(self, url: str, rules: PlatformRules) -> str:
        if not rules.link_in_text:
            return self.t.gettext("Link in bio.")
        return self.t.gettext("Read it here: %(url)s") % {"url": url}

    def place(self, li: LocalizedItem) -> str:
        item = li.item
        if item.kind is ItemKind.EVENT and item.start is not None:
            when = format_event_time(item.start, item.end, item.timezone, self.lang, item.all_day)
            return f"{when} · {item.location}" if item.location else when
        if item.project:
            return self.t.gettext("Project: %(project)s") % {"project": item.project}
        where = [
            p
            for p in (
                item.city or item.region,
                country_name(item.country, self.lang) if item.country else None,
            )
            if p
        ]
        return ", ".join(where)

    def item_tags(self, li: LocalizedItem) -> tuple[str, ...]:
        raw = [*BASE_HASHTAGS, li.item.project or "", li.item.city or "", *li.item.tags]
        return _unique(raw)

    def edition_tags(self) -> tuple[str, ...]:
        raw = [*BASE_HASHTAGS, *(i.item.project or "" for i in self.loc.items)]
        raw += [t for i in self.loc.items for t in i.item.tags]
        return _unique(raw)


def _unique(raw: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for tag in raw:
        h = hashtag(tag) if tag else None
        if h and h.casefold() not in {o.casefold() for o in out}:
            out.append(h)
    return tuple(out)


def featured_items(loc: LocalizedEdition, per_section: int = 1) -> tuple[LocalizedItem, ...]:
    """The items that get a post of their own: the first ``per_section`` of every section."""
    return tuple(i for s in loc.sections for i in s.items[:per_section])


def social_posts(
    loc: LocalizedEdition,
    settings: Settings,
    *,
    cards_dir: Path | None = None,
    featured_per_section: int = 1,
) -> tuple[SocialPost, ...]:
    """One post per platform for the edition, and one per platform for each featured item.

    With ``cards_dir``, an image card is drawn for every post there (PNG) and named in the post.
    """
    w = _Writer(loc, settings)
    key, n = loc.edition.key, len(loc.items)
    edition_url = archive_url(settings, key, loc.lang)
    posts: list[SocialPost] = []
    subjects: list[tuple[LocalizedItem | None, str]] = [(None, edition_url)]
    subjects += [
        (li, safe_url(li.item.url) or edition_url)
        for li in featured_items(loc, featured_per_section)
    ]
    for li, url in subjects:
        for platform, rules in RULES.items():
            link = add_utm(url, platform.value, key)
            if li is None:
                head = (
                    w.t.gettext("%(newsletter)s for %(month)s is out.")
                    % {"newsletter": settings.newsletter.name, "month": w.month},
                    w.t.ngettext(
                        "%(count)s story from human rights cities:",
                        "%(count)s stories from human rights cities:",
                        n,
                    )
                    % {"count": n},
                )
                body = "\n".join(
                    "• " + w.shown(truncate(i.title.strip(), 120, len), i.text_lang)
                    for i in loc.items[:5]
                )
                draft = _Draft(head, body, w.link_line(link, rules), w.edition_tags())
            else:
                head = (w.shown(li.title.strip(), li.text_lang), w.place(li))
                body = w.shown(plain_text(li.summary), li.text_lang)
                draft = _Draft(head, body, w.link_line(link, rules), w.item_tags(li))
            image = alt = None
            if cards_dir is not None:
                image, alt = _card(w, li, rules.card, cards_dir)
            posts.append(
                SocialPost(
                    platform=platform,
                    lang=loc.lang,
                    text=w.fit(draft, rules),
                    link=link,
                    item_id=li.item.id if li else None,
                    image=image,
                    image_alt=alt,
                )
            )
    return tuple(posts)


def _card(
    w: _Writer, li: LocalizedItem | None, size: tuple[int, int], cards_dir: Path
) -> tuple[str, str]:
    """Draw (once) the card for an item or the edition; its file name and alt text."""
    loc, nl = w.loc, w.settings.newsletter
    if li is None:
        n = len(loc.items)
        stories = w.t.ngettext(
            "%(count)s story from human rights cities",
            "%(count)s stories from human rights cities",
            n,
        ) % {"count": n}
        title, subtitle, card_lang = nl.name, f"{w.month} · {stories}", w.lang
        footer = nl.organisation
    else:
        title, subtitle, card_lang = li.title.strip(), w.place(li), li.text_lang
        footer = w.edition_label
    name = card_file_name(loc.edition.key, w.lang, li.item.id if li else None, size)
    path = cards_dir / name
    if path not in w.drawn:  # one card per size serves several platforms; redrawn every draft
        w.drawn.add(path)
        write_card(
            Card(title, subtitle, footer, card_lang),
            size,
            nl.brand_color,
            nl.accent_color,
            path,
        )
    title = truncate(title, 300, len)  # alt text is read aloud whole: keep it short
    if subtitle:
        alt = w.t.gettext("Image card: %(title)s. %(place)s. %(edition)s") % {
            "title": title,
            "place": subtitle,
            "edition": footer,
        }
    else:
        alt = w.t.gettext("Image card: %(title)s. %(edition)s") % {
            "title": title,
            "edition": footer,
        }
    return name, alt
