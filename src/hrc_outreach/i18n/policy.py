"""Content translation policy, per item and field (title, summary):

human translation (the source's own, or a reviewed PO import) > translation memory > machine
translation (recorded in the memory, unreviewed) > the source text (shown with its own ``lang`` and
a localised "(in English)" label) — or the item left out (``i18n.untranslated = "omit"``).

The edition's intro follows the same order without the machine (Markdown with links is staff
prose): staff's own ``editions/<key>.<lang>.md``, else a reviewed PO import or review of the intro
(``edition:<key>:intro``), else the source intro, labelled like any source-language text.

Every string records its provenance and review state (:class:`~hrc_outreach.models.Translation`),
and each language counts its strings by provenance (``LocalizedEdition.string_counts``: its
coverage, :mod:`hrc_outreach.i18n.coverage`).
A translator that fails, even fatally (DeepL 456), loses nothing: what was translated is already in
the memory, the rest falls back, and ``LocalizedEdition.untranslated`` names the strings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from hrc_outreach.config import I18nSettings
from hrc_outreach.errors import ConfigError, TranslationError
from hrc_outreach.i18n import memory
from hrc_outreach.i18n.translators.base import Translator, batches, html_to_plain, plain_to_html
from hrc_outreach.models import (
    ContentItem,
    Edition,
    LocalizedEdition,
    LocalizedItem,
    LocalizedSection,
    Provenance,
    ReviewState,
    Translation,
)

log = logging.getLogger(__name__)
FIELDS = ("title", "summary")
INTRO_FIELD = "intro"


def intro_id(key: str) -> str:
    """The id an edition's intro has in PO files and the reviewed translations (``edition:KEY``)."""
    return f"edition:{key}"


_RANK = {Provenance.SOURCE: 0, Provenance.MACHINE: 1, Provenance.MEMORY: 2, Provenance.HUMAN: 3}


def _same_language(a: str, b: str) -> bool:
    return a.split("_")[0].lower() == b.split("_")[0].lower()


def _item_lang(item: ContentItem, source_language: str) -> str:
    return item.language if item.language not in ("", "unknown") else source_language


def _source_fields(item: ContentItem) -> dict[str, str]:
    return {f: getattr(item, f) for f in FIELDS if getattr(item, f)}


class _Engine:
    """The translator for one run; once it fails fatally it is not asked again."""

    def __init__(self, translator: Translator | None, errors: list[str]) -> None:
        self.translator = translator
        self.errors = errors
        self.dead = False

    @property
    def name(self) -> str | None:
        return self.translator.name if self.translator else None

    def usable(self, target: str) -> bool:
        return self.translator is not None and not self.dead and self.translator.supports(target)

    def translate(
        self, texts: list[str], html: bool, *, source: str, target: str, store: Any
    ) -> dict[str, str]:
        """What could be translated, batch by batch, each batch remembered as it arrives."""
        assert self.translator is not None
        tr = self.translator
        done: dict[str, str] = {}
        sent = texts if html else [plain_to_html(t) for t in texts]
        for idx in batches(sent, tr.max_texts, tr.max_bytes):
            if self.dead:
                break
            try:
                out = tr.translate_batch(
                    [sent[i] for i in idx], source=source, target=target, html=html
                )
            except TranslationError as exc:
                self.errors.append(f"{target}: {exc}")
                log.warning("machine translation into %s failed: %s", target, exc)
                if exc.fatal:
                    self.dead = True
                continue
            pairs = {
                texts[i]: (t if html else html_to_plain(t)) for i, t in zip(idx, out, strict=True)
            }
            done.update(pairs)
            if store is not None:
                with store.session() as s:
                    memory.record(s, pairs, source_lang=source, target=target, engine=tr.name)
        return done


def _resolve(
    edition: Edition, lang: str, i18n: I18nSettings, store: Any, engine: _Engine
) -> dict[tuple[str, str], Translation]:
    """(item id, field) -> its text in ``lang`` by the policy; absent = no translation."""
    found, pending = _human(edition, lang, i18n, store)
    # Translation memory, then the machine, per source language of the strings.
    for src_lang in sorted({v[1] for v in pending.values()}):
        keys = [k for k, v in pending.items() if v[1] == src_lang]
        found.update(_remembered(keys, pending, lang, store, engine))
        missing = [k for k in keys if k not in found]
        if not missing or not engine.usable(lang):
            continue
        found.update(_machine(missing, pending, src_lang, lang, store, engine))
    return found


_Pending = dict[tuple[str, str], tuple[str, str]]  # (item id, field) -> (source text, source lang)


def _human(
    edition: Edition, lang: str, i18n: I18nSettings, store: Any
) -> tuple[dict[tuple[str, str], Translation], _Pending]:
    """The fields a person wrote in ``lang`` (or already in it), and what is left to translate."""
    found: dict[tuple[str, str], Translation] = {}
    pending: _Pending = {}

    reviewed: dict[tuple[str, str], Any] = {}
    if store is not None:
        with store.session() as s:
            reviewed = memory.reviewed_item_translations(s, [i.id for i in edition.items], lang)

    for item in edition.items:
        src_lang = _item_lang(item, i18n.source_language)
        own = item.translations.get(lang) or item.translations.get(lang.split("_")[0])
        for field, text in _source_fields(item).items():
            key = (item.id, field)

            def human(
                t: str,
                engine: str | None = None,
                key: tuple[str, str] = key,
                field: str = field,
                text: str = text,
            ) -> Translation:
                return Translation(
                    item_id=key[0],
                    field=field,
                    lang=lang,
                    text=t,
                    source_text=text,
                    provenance=Provenance.HUMAN,
                    review=ReviewState.REVIEWED,
                    engine=engine,
                )

            if _same_language(src_lang, lang):
                found[key] = human(text)
            elif own is not None and getattr(own, field):
                found[key] = human(getattr(own, field), "source")
            elif key in reviewed and reviewed[key].source_text == text:
                found[key] = human(reviewed[key].text, reviewed[key].engine)
            else:
                pending[key] = (text, src_lang)
    return found, pending


def _remembered(
    keys: list[tuple[str, str]], pending: _Pending, lang: str, store: Any, engine: _Engine
) -> dict[tuple[str, str], Translation]:
    """The pending fields the translation memory already knows in ``lang``."""
    if store is None:
        return {}
    texts = sorted({pending[k][0] for k in keys})
    with store.session() as s:
        remembered = memory.lookup(s, texts, lang, engine.name)
    found: dict[tuple[str, str], Translation] = {}
    for k in keys:
        hit = remembered.get(pending[k][0])
        if hit is not None:
            found[k] = Translation(
                item_id=k[0],
                field=k[1],
                lang=lang,
                text=hit.text,
                source_text=pending[k][0],
                provenance=Provenance.MEMORY,
                review=hit.review,
                engine=hit.engine,
            )
    return found


def _machine(
    missing: list[tuple[str, str]],
    pending: _Pending,
    src_lang: str,
    lang: str,
    store: Any,
    engine: _Engine,
) -> dict[tuple[str, str], Translation]:
    """The missing fields machine-translated from ``src_lang``, unreviewed; absent if it failed."""
    found: dict[tuple[str, str], Translation] = {}
    for html in (False, True):  # titles are plain text, summaries HTML
        wanted = sorted({pending[k][0] for k in missing if (k[1] == "summary") == html})
        if not wanted:
            continue
        machine = engine.translate(wanted, html, source=src_lang, target=lang, store=store)
        for k in missing:
            text = pending[k][0]
            if (k[1] == "summary") == html and text in machine:
                found[k] = Translation(
                    item_id=k[0],
                    field=k[1],
                    lang=lang,
                    text=machine[text],
                    source_text=text,
                    provenance=Provenance.MACHINE,
                    review=ReviewState.UNREVIEWED,
                    engine=engine.name,
                )
    return found


def resolve_strings(
    edition: Edition,
    lang: str,
    *,
    settings: Any = None,
    store: Any = None,
    translator: Translator | None = None,
) -> dict[tuple[str, str], Translation]:
    """Every item field of ``edition`` in ``lang`` that has a translation, with its provenance
    (what the PO export writes). Without a translator: human, memory, nothing else."""
    i18n = settings.i18n if settings is not None else I18nSettings()
    return _resolve(edition, lang, i18n, store, _Engine(translator, []))


def _localize_item(
    item: ContentItem, lang: str, found: dict[tuple[str, str], Translation], source_language: str
) -> tuple[LocalizedItem, list[str]]:
    fields = _source_fields(item)
    got = {f: found.get((item.id, f)) for f in fields}
    missing = [f"{item.id}:{f}" for f, t in got.items() if t is None]
    if missing or not got:
        # One language per item: a half-translated item is shown whole in its source language.
        src_lang = _item_lang(item, source_language)
        return LocalizedItem(
            item=item,
            lang=lang,
            title=item.title,
            summary=item.summary,
            text_lang=src_lang,
            provenance=Provenance.SOURCE,
        ), missing
    present = [t for t in got.values() if t is not None]
    weakest = min((t.provenance for t in present), key=_RANK.__getitem__)
    review = (
        ReviewState.REVIEWED
        if all(t.review is ReviewState.REVIEWED for t in present)
        else ReviewState.UNREVIEWED
    )
    title_t, summary_t = got.get("title"), got.get("summary")
    title = title_t.text if title_t is not None else item.title
    summary = summary_t.text if summary_t is not None else item.summary
    return LocalizedItem(
        item=item,
        lang=lang,
        title=title,
        summary=summary,
        text_lang=lang,
        provenance=weakest,
        review=review,
    ), []


def _localize(
    edition: Edition, lang: str, i18n: I18nSettings, store: Any, engine: _Engine
) -> LocalizedEdition:
    errors_before = len(engine.errors)
    found = _resolve(edition, lang, i18n, store, engine)
    sections = []
    untranslated: list[str] = []
    strings = {p.value: 0 for p in Provenance}
    for section in edition.sections:
        items = []
        for item in section.items:
            loc, missing = _localize_item(item, lang, found, i18n.source_language)
            untranslated.extend(missing)
            for f in _source_fields(item):  # as shown: a half-translated item is all source
                t = found.get((item.id, f))
                strings[(t.provenance if t is not None and not missing else Provenance.SOURCE)] += 1
            if loc.untranslated and i18n.untranslated == "omit":
                continue
            items.append(loc)
        if items or i18n.untranslated != "omit":
            sections.append(LocalizedSection(kind=section.kind, items=tuple(items)))
    intro, intro_provenance = _intro(edition, lang, i18n, store)
    if intro_provenance is not None:
        strings[intro_provenance] += 1
    return LocalizedEdition(
        edition=edition,
        lang=lang,
        sections=tuple(sections),
        intro_markdown=intro,
        intro_provenance=intro_provenance,
        string_counts=strings,
        untranslated=tuple(untranslated),
        translation_errors=tuple(engine.errors[errors_before:]),
    )


def intro_translation(
    edition: Edition, lang: str, *, settings: Any = None, store: Any = None
) -> Translation | None:
    """The edition's intro in ``lang`` when it has a translation (staff's own file, engine
    ``file``, or a reviewed one), as a Translation of ``edition:<key>``'s field ``intro``; None
    when it has no intro, or none in ``lang`` (it is then shown in the source language)."""
    i18n = settings.i18n if settings is not None else I18nSettings()
    if _same_language(i18n.source_language, lang):
        return None
    text, provenance = _intro(edition, lang, i18n, store)
    if provenance is not Provenance.HUMAN:
        return None
    own = edition.intro_translations.get(lang) or edition.intro_translations.get(lang.split("_")[0])
    return Translation(
        item_id=intro_id(edition.key),
        field=INTRO_FIELD,
        lang=lang,
        text=text,
        source_text=edition.intro_markdown,
        provenance=Provenance.HUMAN,
        review=ReviewState.REVIEWED,
        engine="file" if own else None,
    )


def _intro(
    edition: Edition, lang: str, i18n: I18nSettings, store: Any
) -> tuple[str, Provenance | None]:
    """The intro in ``lang`` and where it came from (None: the edition has no intro): staff's
    own file for the language, a reviewed translation of this very intro, else the source's."""
    source = edition.intro_markdown
    if not source:
        return "", None
    if _same_language(i18n.source_language, lang):
        return source, Provenance.HUMAN
    own = edition.intro_translations.get(lang) or edition.intro_translations.get(lang.split("_")[0])
    if own:
        return own, Provenance.HUMAN
    if store is not None:  # a person's translation of this very intro (PO import, review)
        with store.session() as s:
            hit = memory.lookup(s, [source], lang).get(source)
        if hit is not None and hit.review is ReviewState.REVIEWED and hit.text:
            return hit.text, Provenance.HUMAN
    return source, Provenance.SOURCE


def record_intro(session: Any, *, source: str, text: str, lang: str, source_lang: str) -> None:
    """A person's translation of an intro (PO import, review), remembered as reviewed: intros
    are not items, so it lives in the translation memory only."""
    memory.record(
        session,
        {source: text},
        source_lang=source_lang,
        target=lang,
        engine=memory.HUMAN_ENGINE,
        review=ReviewState.REVIEWED,
    )


def localize_item(item: ContentItem, lang: str, source_language: str = "en") -> LocalizedItem:
    """The item in ``lang`` from what the item itself carries (its text, its human translations)."""
    from datetime import date

    from hrc_outreach.models import Section, SectionKind

    edition = Edition(
        key="-",
        title="-",
        issue_number=0,
        date=date.today(),
        sections=(Section(kind=SectionKind.NEWS, items=(item,)),),
    )
    found = _resolve(
        edition, lang, I18nSettings(source_language=source_language), None, _Engine(None, [])
    )
    return _localize_item(item, lang, found, source_language)[0]


def localize_edition(edition: Edition, lang: str, source_language: str = "en") -> LocalizedEdition:
    """An edition in ``lang`` with no translator and no store: the source's own translations, else
    the source text."""
    return _localize(
        edition, lang, I18nSettings(source_language=source_language), None, _Engine(None, [])
    )


def localize_all(
    edition: Edition,
    languages: Sequence[str],
    *,
    settings: Any = None,
    store: Any = None,
    translator: Any = None,
) -> dict[str, LocalizedEdition]:
    """The edition in every language, by the policy.

    ``translator`` None means "the one the settings name" (``i18n.translator``; ``none`` = no
    machine translation); a missing key is reported in ``translation_errors``, not raised.
    ``store`` gives the translation memory and the reviewed PO imports.
    """
    i18n = settings.i18n if settings is not None else I18nSettings()
    errors: list[str] = []
    owned = None  # a client made here is closed here
    if translator is None and settings is not None and i18n.translator != "none":
        from hrc_outreach.i18n.translators import translator_from_settings

        try:
            translator = owned = translator_from_settings(settings)
        except ConfigError as exc:
            errors.append(str(exc))
    engine = _Engine(translator, [])
    try:
        result = {lang: _localize(edition, lang, i18n, store, engine) for lang in languages}
    finally:
        client = getattr(owned, "client", None)
        if client is not None:
            client.close()
    if errors:  # a configuration problem concerns every language
        result = {
            lang: loc.model_copy(
                update={"translation_errors": tuple(errors) + loc.translation_errors}
            )
            for lang, loc in result.items()
        }
    return result
