"""Content translation policy: human > translation memory > machine > source text.

This first version only knows the source text and the source's own human translations; the
multilingual issue adds memory and machine translation (see ``localize_edition``'s ``translator``).
"""

from __future__ import annotations

from hrc_outreach.models import (
    ContentItem,
    Edition,
    LocalizedEdition,
    LocalizedItem,
    LocalizedSection,
    Provenance,
    ReviewState,
)


def _same_language(a: str, b: str) -> bool:
    return a.split("_")[0].lower() == b.split("_")[0].lower()


def localize_item(item: ContentItem, lang: str, source_language: str = "en") -> LocalizedItem:
    """The item in ``lang`` from what the item itself carries (its text, its human translations)."""
    item_lang = item.language if item.language != "unknown" else source_language
    if _same_language(item_lang, lang):
        return LocalizedItem(
            item=item, lang=lang, title=item.title, summary=item.summary, text_lang=lang,
            provenance=Provenance.HUMAN, review=ReviewState.REVIEWED,
        )
    human = item.translations.get(lang) or item.translations.get(lang.split("_")[0])
    if human is not None:
        return LocalizedItem(
            item=item, lang=lang, title=human.title, summary=human.summary or item.summary,
            text_lang=lang, provenance=Provenance.HUMAN, review=ReviewState.REVIEWED,
        )
    return LocalizedItem(
        item=item, lang=lang, title=item.title, summary=item.summary, text_lang=item_lang,
        provenance=Provenance.SOURCE,
    )


def localize_edition(edition: Edition, lang: str, source_language: str = "en") -> LocalizedEdition:
    """An edition in ``lang`` with no translator: source text where no human translation exists."""
    sections = tuple(
        LocalizedSection(
            kind=s.kind, items=tuple(localize_item(i, lang, source_language) for i in s.items)
        )
        for s in edition.sections
    )
    loc = LocalizedEdition(edition=edition, lang=lang, sections=sections,
                           intro_markdown=edition.intro_markdown)
    untranslated = tuple(
        f"{i.item.id}:{f}" for i in loc.items if i.untranslated for f in ("title", "summary")
    )
    return loc.model_copy(update={"untranslated": untranslated})


def localize_all(
    edition: Edition,
    languages: list[str] | tuple[str, ...],
    *,
    settings: object | None = None,
    store: object | None = None,
    translator: object | None = None,
) -> dict[str, LocalizedEdition]:
    """The edition in every language. The draft pipeline calls this one entry point; the
    multilingual issue extends it with translation memory (``store``) and a ``translator``."""
    source_language = getattr(getattr(settings, "i18n", None), "source_language", "en")
    return {lang: localize_edition(edition, lang, source_language) for lang in languages}
