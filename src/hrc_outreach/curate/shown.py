"""How an edition shows an item, without touching the item as stored: the staff's headline and
summary for this edition (``editions/<key>.yaml``), summaries cut to ``curate.summary_max_chars``,
and the newsletter's time zone for events from calendars that give only UTC. (Cities as the network
writes them are applied where places are shown: :func:`hrc_outreach.sources.places.city_as_written`.)
"""

from __future__ import annotations

import html
import re

import regex

from hrc_outreach.config import Settings
from hrc_outreach.htmltext import html_to_text
from hrc_outreach.models import ContentItem, ItemKind, ItemText

ELLIPSIS = "…"
# A sentence ends at . ! ? … maybe a closing quote or bracket, then a space (a point inside a
# number, "3.5", is not an end), or at a mark that ends a sentence wherever
# it stands: CJK 。！？ (full and half width), Devanagari danda, Arabic ؟ and Urdu ۔, Armenian,
# Ethiopic and Myanmar full stops; CJK text puts no space after them.
_CLOSING = "\"'”’»)\\]」』）】〕〉》"
_SENTENCE_END = regex.compile(rf"[.!?…][{_CLOSING}]*(?=\s)|[。！？．｡।॥؟۔։።။][{_CLOSING}]*")
# Scripts written without spaces between words: any grapheme boundary may end a line there,
# so a cut inside them stays where it is instead of going back to an earlier space.
_NO_SPACES = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}ー]"
)
# Punctuation that should not be left dangling before the ellipsis.
_TRAILING = " \t\n,;:–—-(/[«“‘\"'"


def clean_cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters (the ellipsis included): cut after the last sentence
    that fits when it keeps at least half, else at the last word boundary, else at a grapheme
    boundary; never inside a grapheme (an accent, an emoji with its modifiers, a flag).

    >>> clean_cut("One sentence. Another, much longer sentence follows here.", 30)
    'One sentence. Another, much…'
    >>> clean_cut("Short.", 30)
    'Short.'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 1)
    # The longest run of whole graphemes that fits.
    kept = ""
    for grapheme in regex.findall(r"\X", text):
        if len(kept) + len(grapheme) > room:
            break
        kept += grapheme
    rest = text[len(kept) :]
    # where sentences end inside what fits (the next character tells whether a space follows;
    # a sentence whose closing quote does not fit does not count: no quote left open)
    sentences = [m.end() for m in _SENTENCE_END.finditer(kept + rest[:1]) if m.end() <= len(kept)]
    if sentences and sentences[-1] >= room // 2:
        return kept[: sentences[-1]].rstrip()  # a whole sentence needs no ellipsis
    inside = rest[:1] not in ("", " ")
    if inside and not (_NO_SPACES.match(kept[-1:]) and _NO_SPACES.match(rest[:1])):
        space = kept.rfind(" ")  # cut inside a word: go back to the word's start
        if space >= room // 3:
            kept = kept[:space]
    return kept.rstrip(_TRAILING) + ELLIPSIS


def _cut(summary: str, limit: int) -> str | None:
    """``summary`` (HTML) cut to ``limit`` characters of text, as inert HTML; None when it fits."""
    plain = html_to_text(summary, loose=True)
    if len(" ".join(plain.split())) <= limit:
        return None
    return text_html(clean_cut(plain, limit))


def text_html(text: str) -> str:
    """Plain text (a staff summary, a cut summary) as inert HTML paragraphs."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(' '.join(p.split()), quote=False)}</p>" for p in paragraphs)


def shown_item(
    item: ContentItem,
    settings: Settings,
    *,
    headline: str = "",
    summary: str = "",
) -> ContentItem:
    """``item`` as this edition shows it (see the module doc); the stored item is not changed."""
    update: dict[str, object] = {}
    if headline:
        update.update(title=headline, title_generated=False)
    if summary:
        update["summary"] = text_html(summary)
    limit = settings.curate.summary_max_chars
    cut = _cut(str(update.get("summary", item.summary)), limit)
    if cut is not None:
        update["summary"] = cut
    if item.translations:
        # The source's own translations: of a text staff replaced they are stale (left to the
        # translation policy: memory, machine, or the text as written), and they are cut alike.
        update["translations"] = {
            lang: ItemText(
                title="" if headline else t.title,
                summary="" if summary else (_cut(t.summary, limit) or t.summary),
            )
            for lang, t in item.translations.items()
        }
    if item.kind is ItemKind.EVENT and not item.all_day and item.start and not item.timezone:
        # A calendar that gives only UTC: its times are shown in the newsletter's zone.
        update["timezone"] = settings.newsletter.time_zone
    return item.model_copy(update=update) if update else item
