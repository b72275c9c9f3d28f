"""What every renderer shows: one :class:`EditionView` per language, built from a LocalizedEdition.

The email, the plain-text part and the web page all render this same view, so they say the same
thing; only the chrome around it (headings, labels) comes from the templates' gettext catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
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
from hrc_outreach.models import ItemKind, LocalizedEdition, LocalizedItem, SectionKind, placeholder
from hrc_outreach.render.inert import new_nonce
from hrc_outreach.render.safe import clean_html, html_to_text, markdown_html, safe_url

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

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"


SOCIAL_NAMES = {
    "instagram": "Instagram", "facebook": "Facebook", "linkedin": "LinkedIn",
    "mastodon": "Mastodon", "bluesky": "Bluesky", "youtube": "YouTube", "x": "X",
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


def _item_view(li: LocalizedItem, lang: str, notes: Footnotes) -> ItemView:
    item = li.item
    place = ""
    if item.city and item.country:
        place = f"{item.city}, {country_name(item.country, lang)}"
    elif item.city or item.region:
        place = item.city or item.region or ""
        if item.country:
            place = f"{place}, {country_name(item.country, lang)}"
    elif item.country:
        place = country_name(item.country, lang)
    when = ""
    if item.kind is ItemKind.EVENT and item.start is not None:
        when = format_event_time(item.start, item.end, item.timezone, lang, all_day=item.all_day)
    image = safe_url(item.image_url)
    url = safe_url(item.url)
    summary_text = html_to_text(li.summary, notes.ref)
    return ItemView(
        id=item.id,
        kind=item.kind.value,
        title=li.title.strip(),
        url=url,
        summary_html=clean_html(li.summary),
        summary_text=summary_text,
        text_lang=html_lang(li.text_lang),
        text_dir=text_direction(li.text_lang),
        untranslated=li.untranslated,
        language_name=language_name(li.text_lang, lang),
        machine_translated=li.machine_translated,
        place=place,
        project=item.project or "",
        when=when,
        location=(item.location or "").strip(),
        online_url=safe_url(item.online_url),
        register_url=safe_url(item.registration_url),
        image_url=image if image and image.startswith("https://") else None,
        image_alt=(item.image_alt or li.title).strip(),
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
    intro_html, intro_text, intro_lang = _intro(loc, settings, notes)
    sections = tuple(
        SectionView(kind=s.kind.value, items=tuple(_item_view(i, lang, notes) for i in s.items))
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
        logo_url=safe_url(nl.logo_url),
        social=_social_links(nl.social),
        archive_url=archive_url(settings, loc.edition.key, lang),
        unsubscribe_url=placeholder("unsubscribe_url", nonce),
        preferences_url=placeholder("preferences_url", nonce),
        nonce=nonce,
        brand_color=nl.brand_color,
        accent_color=nl.accent_color,
        footnotes=notes,
    )


def _intro(loc: LocalizedEdition, settings: Settings, notes: Footnotes) -> tuple[Markup, str, str]:
    """The intro as HTML and as text (its links in ``notes``), and the language it is in."""
    intro_md = loc.intro_markdown or ""
    intro_html = markdown_html(intro_md)
    intro_text = html_to_text(str(intro_html), notes.ref)
    # Staff write the intro in the source language; shown untranslated it keeps its own lang/dir.
    intro_source = settings.i18n.source_language
    same = intro_md and intro_md == loc.edition.intro_markdown
    return intro_html, intro_text, intro_source if same else loc.lang


def _social_links(social: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The newsletter's social accounts as (display name, safe URL), by platform key."""
    return tuple(
        (SOCIAL_NAMES.get(k, k.title()), u) for k, v in sorted(social.items()) if (u := safe_url(v))
    )
