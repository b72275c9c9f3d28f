"""What every renderer shows: one :class:`EditionView` per language, built from a LocalizedEdition.

The email, the plain-text part and the web page all render this same view, so they say the same
thing; only the chrome around it (headings, labels) comes from the templates' gettext catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as bdates
from markupsafe import Markup

from hrc_outreach.config import Settings
from hrc_outreach.i18n.catalog import babel_locale, html_lang, text_direction
from hrc_outreach.i18n.formatting import (
    country_name,
    format_date,
    format_event_time,
    format_month_year,
    format_number,
)
from hrc_outreach.i18n.recurrence import series_words
from hrc_outreach.models import (
    ContentItem,
    ItemKind,
    LocalizedEdition,
    LocalizedItem,
    Provenance,
    SectionKind,
    placeholder,
)
from hrc_outreach.render.brand import LOGO_WIDTH, logo_url, looks_like_image_url
from hrc_outreach.render.inert import new_nonce
from hrc_outreach.render.safe import clean_html, html_to_text, markdown_html, safe_url
from hrc_outreach.sources.places import city_as_written

SYSTEM_FONTS = "-apple-system, BlinkMacSystemFont, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
# Arabic-capable system fonts first; no webfonts anywhere.
ARABIC_FONTS = "Tahoma, Segoe UI, Geeza Pro, Noto Naskh Arabic, Noto Sans Arabic, Arial, sans-serif"


@dataclass
class Footnotes:
    """Links of the plain-text part, numbered in document order; one URL keeps one number."""

    urls: list[str] = field(default_factory=list)

    def ref(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1

    @property
    def numbered(self) -> list[tuple[int, str]]:
        return list(enumerate(self.urls, start=1))


@dataclass(frozen=True)
class ItemView:
    id: str
    kind: str
    title: str
    url: str | None
    summary_html: Markup
    summary_text: str
    text_lang: str  # BCP 47 tag of the language the title/summary are shown in
    text_dir: str
    untranslated: bool
    language_name: str  # the shown text's language, named in the reader's language
    machine_translated: bool
    place: str = ""
    project: str = ""
    when: str = ""
    location: str = ""
    online_url: str | None = None
    register_url: str | None = None
    image_url: str | None = None
    image_alt: str = ""
    series: bool = False  # a recurring series shown once: ``when`` gives its rule and next date
    reminder: bool = False  # an event an earlier edition featured: shown as a one-line reminder
    title_generated: bool = False  # the title was made from the text (staff may set a headline)
    badge_day: str = ""  # an event's first day and month in the reader's language: "3", "déc."
    badge_month: str = ""
    online: bool = False  # the event happens online (its link, when known, is online_url)
    # the title's own direction where it differs from text_dir (a staff headline in another
    # script than the edition's): the heading says so
    title_dir: str = ""

    @property
    def title_url(self) -> str | None:
        """Where the title links: the item's page, unless that is the registration link, which
        the button carries (one registration link per event)."""
        return None if self.url and self.url == self.register_url else self.url

    @property
    def foreign(self) -> bool:
        """True when the item's text is in another language than the edition (lang attribute)."""
        return self.untranslated

    @property
    def title_html(self) -> Markup:
        """The title for inline use in chrome ("Register for …"), isolated when foreign."""
        if not self.foreign:
            return Markup.escape(self.title)
        return Markup('<span lang="{}" dir="{}">{}</span>').format(
            self.text_lang, self.text_dir, self.title
        )


@dataclass(frozen=True)
class SectionView:
    kind: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True)
class EditionView:
    key: str
    lang: str
    html_lang: str
    dir: str
    align: str  # "left" or "right": the start side
    end_align: str
    fonts: str
    name: str
    organisation: str
    month: str
    issue_number: str
    date: str
    intro_html: Markup
    intro_text: str
    intro_lang: str  # the intro's language (the source language when it was not translated)
    intro_dir: str
    sections: tuple[SectionView, ...]
    counts: dict[str, int]
    address: str
    website: str
    logo_url: str | None
    social: tuple[tuple[str, str], ...]
    archive_url: str
    unsubscribe_url: str
    preferences_url: str
    nonce: str  # this render's placeholder marker (see :mod:`hrc_outreach.render.inert`)
    brand_color: str
    accent_color: str
    footnotes: Footnotes
    lead: ItemView | None = None  # the lead story, shown first and not again in its section
    logo_width: int = LOGO_WIDTH
    # the intro shown untranslated: its language named in the reader's ("English"), else ""
    intro_language_name: str = ""

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"

    @property
    def body_sections(self) -> tuple[SectionView, ...]:
        """The sections after the lead story: without it, and without a section it emptied."""
        if self.lead is None:
            return self.sections
        lead = self.lead.id
        out = (
            SectionView(s.kind, tuple(i for i in s.items if i.id != lead)) for s in self.sections
        )
        return tuple(s for s in out if s.items)


SOCIAL_NAMES = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "youtube": "YouTube",
    "x": "X",
}


def language_name(code: str, reader: str) -> str:
    """``code``'s language named in ``reader``'s language (``en`` in French: ``anglais``)."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(babel_locale(reader)) or code
    except (UnknownLocaleError, ValueError):
        return code


def archive_url(settings: Settings, key: str, lang: str) -> str:
    """The public web version of edition ``key`` in ``lang`` (see :mod:`render.archive`)."""
    base = settings.web.base_url.rstrip("/")
    return f"{base}/archive/{quote(lang)}/{quote(key)}.html"


# Locations that say "online" rather than name a place (the chrome's "Online" is shown instead).
_ONLINE_WORDS = frozenset({"online", "virtual", "en ligne", "online event", "webinar", "zoom"})
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def _event_badge(item: ContentItem, lang: str) -> tuple[str, str]:
    """An event's first day as (day, abbreviated month) in ``lang``, in the event's time zone."""
    start = item.start
    if start is None:
        return "", ""
    day: date = start
    if isinstance(start, datetime):
        day = start.date()
        if not item.all_day and start.tzinfo is not None and item.timezone:
            try:
                day = start.astimezone(ZoneInfo(item.timezone)).date()
            except (ZoneInfoNotFoundError, ValueError):
                pass  # a zone no IANA name matches: the day as stored
    locale = babel_locale(lang)
    return bdates.format_date(day, "d", locale=locale), bdates.format_date(
        day, "LLL", locale=locale
    )


def _where_online(item: ContentItem) -> tuple[str, str | None, bool]:
    """(the place to show, the online link, whether it is online): a meeting URL or the word
    "online" given as the location is shown as "Online" with the link behind it."""
    location = (item.location or "").strip()
    online_url = safe_url(item.online_url)
    online = bool(online_url)
    if _URL.match(location):
        online_url = online_url or safe_url(
            location if "://" in location else f"https://{location}"
        )
        location, online = "", True
    elif location.casefold() in _ONLINE_WORDS:
        location, online = "", True
    return location, online_url, online


def _without_register_line(summary: Markup, register_url: str | None) -> Markup:
    """The summary without a short paragraph that only points to the registration link (the
    button carries it: one registration link per event)."""
    if not register_url:
        return summary
    href = re.escape(str(Markup.escape(register_url)))
    line = re.compile(
        rf"<p>[^<]{{0,60}}<a href=\"{href}\"[^>]*>[^<]*</a>[\s.!]*</p>\s*", re.IGNORECASE
    )
    return Markup(line.sub("", str(summary)))


# Bidi embeddings, overrides and isolates reorder what follows them until closed or the block
# ends: from a partner's feed, "\u202emoc.elpmaxe-live//:sptth" reads as a link it is not. The
# template sets each text's direction itself (text_dir), so the source's own are dropped.
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ITEM_TEXTS = ("title", "city", "region", "location", "project", "image_alt")


def _without_reordering(li: LocalizedItem) -> LocalizedItem:
    """``li`` without the characters that reorder its text (see _REORDERING)."""
    item = li.item.model_copy(
        update={
            name: _REORDERING.sub("", value)
            for name in _ITEM_TEXTS
            if isinstance(value := getattr(li.item, name), str)
        }
    )
    return li.model_copy(
        update={
            "item": item,
            "title": _REORDERING.sub("", li.title),
            "summary": _REORDERING.sub("", li.summary),
        }
    )


def _place(item: ContentItem, lang: str) -> str:
    """Where the item is, in the reader's language: "Gwangju, South Korea", a region, a country."""
    if item.city and item.country:
        return f"{item.city}, {country_name(item.country, lang)}"
    if item.city or item.region:
        place = item.city or item.region or ""
        return f"{place}, {country_name(item.country, lang)}" if item.country else place
    return country_name(item.country, lang) if item.country else ""


def dominant_direction(text: str, default: str) -> str:
    """The direction most of ``text``'s strong characters run in ("ltr" or "rtl"); ``default``
    when it has none or as many of each. Unlike the first strong character (``dir=auto``), an
    Arabic title that starts with a Latin name stays right to left.

    >>> dominant_direction("UNESCO تكرّم مدن حقوق الإنسان", "ltr"), dominant_direction("2026", "rtl")
    ('rtl', 'rtl')
    """
    ltr = rtl = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            ltr += 1
        elif kind in ("R", "AL"):
            rtl += 1
    if ltr == rtl:
        return default
    return "ltr" if ltr > rtl else "rtl"


def _item_view(
    li: LocalizedItem, lang: str, notes: Footnotes, aliases: Mapping[str, str] | None = None
) -> ItemView:
    li = _without_reordering(li)
    item = li.item
    if aliases and item.city:  # the city as the network writes it (curate.place_aliases)
        item = item.model_copy(update={"city": city_as_written(item.city, aliases)})
    place = _place(item, lang)
    when = ""
    if item.kind is ItemKind.EVENT and item.start is not None:
        when = format_event_time(item.start, item.end, item.timezone, lang, all_day=item.all_day)
        if item.recurrence:  # a series, shown once: its rule, time and next date
            when = series_words(
                item.recurrence, item.start, item.timezone, lang, all_day=item.all_day
            )
    image = safe_url(item.image_url)
    url = safe_url(item.url)
    register_url = safe_url(item.registration_url)
    summary_html = clean_html(li.summary)
    badge = ("", "")
    location, online_url, online = (item.location or "").strip(), safe_url(item.online_url), False
    if item.kind is ItemKind.EVENT:
        summary_html = _without_register_line(summary_html, register_url)
        badge = _event_badge(item, lang)
        location, online_url, online = _where_online(item)
    summary_text = html_to_text(str(summary_html), notes.ref)
    return ItemView(
        id=item.id,
        kind=item.kind.value,
        series=bool(item.recurrence),
        reminder=item.reminder,
        title_generated=item.title_generated,
        title=li.title.strip(),
        url=url,
        summary_html=summary_html,
        summary_text=summary_text,
        text_lang=html_lang(li.text_lang),
        text_dir=text_direction(li.text_lang),
        title_dir=dominant_direction(li.title, text_direction(li.text_lang)),
        untranslated=li.untranslated,
        language_name=language_name(li.text_lang, lang),
        machine_translated=li.machine_translated,
        place=place,
        project=item.project or "",
        when=when,
        location=location,
        online_url=online_url,
        register_url=register_url,
        image_url=image if image and looks_like_image_url(image) else None,
        image_alt=(item.image_alt or li.title).strip(),
        badge_day=badge[0],
        badge_month=badge[1],
        online=online,
    )


def build_view(
    loc: LocalizedEdition, settings: Settings, *, nonce: str | None = None
) -> EditionView:
    """The view of ``loc`` that the email, text and web templates render.

    ``nonce`` marks this render's per-recipient placeholders (a fresh random one by default; the
    golden tests pass a fixed one).
    """
    nonce = new_nonce() if nonce is None else nonce
    lang = loc.lang
    nl = settings.newsletter
    direction = text_direction(lang)
    notes = Footnotes()
    aliases = settings.curate.place_aliases
    intro_html, intro_text, intro_lang = _intro(loc, settings, notes)
    sections = tuple(
        SectionView(
            kind=s.kind.value, items=tuple(_item_view(i, lang, notes, aliases) for i in s.items)
        )
        for s in loc.sections
        if s.items
    )
    counts = {k.value: 0 for k in SectionKind}
    for s in sections:
        counts[s.kind] = len(s.items)
    return EditionView(
        key=loc.edition.key,
        lang=lang,
        html_lang=html_lang(lang),
        dir=direction,
        align="right" if direction == "rtl" else "left",
        end_align="left" if direction == "rtl" else "right",
        fonts=ARABIC_FONTS if lang.split("_")[0] == "ar" else SYSTEM_FONTS,
        name=nl.name,
        organisation=nl.organisation,
        month=format_month_year(loc.edition.date, lang),
        issue_number=format_number(loc.edition.issue_number, lang),
        date=format_date(loc.edition.date, lang, "long"),
        intro_html=intro_html,
        intro_text=intro_text,
        intro_lang=html_lang(intro_lang),
        intro_dir=text_direction(intro_lang),
        sections=sections,
        counts=counts,
        address=nl.address,
        website=safe_url(nl.website) or "",
        logo_url=safe_url(logo_url(settings)),
        social=_social_links(nl.social),
        archive_url=archive_url(settings, loc.edition.key, lang),
        unsubscribe_url=placeholder("unsubscribe_url", nonce),
        preferences_url=placeholder("preferences_url", nonce),
        nonce=nonce,
        brand_color=nl.brand_color,
        accent_color=nl.accent_color,
        footnotes=notes,
        lead=_lead(sections, loc),
        intro_language_name=(
            language_name(intro_lang, lang) if intro_text and intro_lang != lang else ""
        ),
    )


def _lead(sections: tuple[SectionView, ...], loc: LocalizedEdition) -> ItemView | None:
    """The lead story: the first pinned item of the edition, else its newest project update."""
    views = {i.id: i for s in sections for i in s.items}
    for item_id in loc.edition.pinned:
        if item_id in views:
            return views[item_id]
    updates = [li.item for li in loc.items if li.item.kind is ItemKind.PROJECT_UPDATE]
    if not updates:
        return None
    newest = max(updates, key=lambda i: i.published_at.timestamp() if i.published_at else 0.0)
    return views.get(newest.id)


def _intro(loc: LocalizedEdition, settings: Settings, notes: Footnotes) -> tuple[Markup, str, str]:
    """The intro as HTML and as text (its links in ``notes``), and the language it is in."""
    intro_md = loc.intro_markdown or ""
    intro_html = markdown_html(intro_md)
    intro_text = html_to_text(str(intro_html), notes.ref)
    # Staff write the intro in the source language; shown untranslated it keeps its own lang/dir.
    intro_source = settings.i18n.source_language
    if loc.intro_provenance is not None:  # the policy says whether it was translated
        same = loc.intro_provenance is Provenance.SOURCE
    else:
        same = bool(intro_md) and intro_md == loc.edition.intro_markdown
    return intro_html, intro_text, intro_source if same else loc.lang


def _social_links(social: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The newsletter's social accounts as (display name, safe URL), by platform key."""
    return tuple(
        (SOCIAL_NAMES.get(k, k.title()), u) for k, v in sorted(social.items()) if (u := safe_url(v))
    )
