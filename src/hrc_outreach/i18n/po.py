"""Human review round-trip: an edition's item strings out to a PO file and back.

Export writes one entry per item field (``msgctxt`` = ``item_id:field``, ``msgid`` = the source
text, ``msgstr`` = the current translation), and one for the edition's intro (``msgctxt`` =
``edition:<key>:intro``, Markdown; staff's own ``editions/<key>.<lang>.md`` wins over it). Machine translations (and unreviewed memory) are
marked ``#, fuzzy`` with a translator comment naming the engine; the item's URL is the reference.
Poedit, Weblate and Crowdin read it as is.

Import is all or nothing: every entry is checked first (context, placeholders, HTML tags, known
item); if any is broken the whole file is refused, each bad entry named with its line, and nothing
is recorded — fix the entries and import again. Non-fuzzy, non-empty entries are recorded as
human-reviewed translations; fuzzy or empty ones are skipped (counted).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from hrc_outreach.errors import CatalogError
from hrc_outreach.i18n import memory
from hrc_outreach.i18n.policy import (
    FIELDS,
    INTRO_FIELD,
    intro_id,
    intro_translation,
    record_intro,
    resolve_strings,
)
from hrc_outreach.languages import normalise_language
from hrc_outreach.models import ContentItem, Edition, ReviewState, Translation

# %(name)s, %s, %d, {name}, {0}, {} — and the per-recipient [[name]] placeholders.
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^{}\s]*\}|\[\[[a-z_]+\]\]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def tags(text: str) -> Counter[str]:
    """Opening and closing tag names of an HTML string (``p``, ``/p``...)."""
    return Counter(f"{slash}{name.lower()}" for slash, name in _TAG.findall(text))


def check_entry(source: str, translation: str) -> list[str]:
    """What is wrong with ``translation`` of ``source``: placeholders or tags that differ."""
    problems = []
    if placeholders(source) != placeholders(translation):
        want = sorted(placeholders(source).elements())
        got = sorted(placeholders(translation).elements())
        problems.append(f"placeholders differ from the source: expected {want}, found {got}")
    if tags(source) != tags(translation):
        want = sorted(tags(source).elements())
        got = sorted(tags(translation).elements())
        problems.append(f"HTML tags differ from the source: expected {want}, found {got}")
    return problems


def normalise_lang(code: str) -> str:
    """``pt-PT`` / ``pt_pt`` -> ``pt_PT``."""
    parts = code.strip().replace("-", "_").split("_")
    return parts[0].lower() + ("_" + parts[1].upper() if len(parts) > 1 and parts[1] else "")


# ------------------------------------------------------------------------------------- export


def to_translate(
    edition: Edition, found: dict[tuple[str, str], Translation]
) -> Iterator[tuple[ContentItem, str, str, Translation | None]]:
    """Each item field that needs a translation, as (item, field, source text, its current
    translation in ``found`` from :func:`resolve_strings`), the PO export's and review's entries."""
    for item in edition.items:
        for f in FIELDS:
            source = getattr(item, f)
            if not source:
                continue
            t = found.get((item.id, f))
            if t is not None and t.engine is None and t.text == source:
                continue  # the item is written in this language: nothing to translate
            yield item, f, source, t


def export_catalog(
    edition: Edition, lang: str, *, settings: Any = None, store: Any = None
) -> Catalog:
    """The edition's item strings in ``lang`` as a catalog (current translations filled in)."""
    found = resolve_strings(edition, lang, settings=settings, store=store)
    catalog = Catalog(
        locale=lang,
        domain=f"edition-{edition.key}",
        project=f"hrc-outreach edition {edition.key}",
        version=edition.key,
        msgid_bugs_address="info@humanrightscities.net",
        copyright_holder="Human Rights Cities Network",
        charset="utf-8",
        creation_date=datetime.now(UTC),
        revision_date=datetime.now(UTC),
        header_comment=(
            f"# {edition.title} ({edition.key}): item titles and summaries in {lang}.\n"
            "# Entries marked fuzzy are machine translations: review them, untick fuzzy, save,\n"
            "# and import with `hrc-outreach translations import FILE`.\n"
            "# Keep placeholders and HTML tags exactly as in the source text.\n#"
        ),
    )
    catalog.language_team = f"{lang} <info@humanrightscities.net>"
    for item, f, source, t in to_translate(edition, found):
        flags: set[str] = set()
        user_comments: list[str] = []
        text = t.text if t is not None else ""
        if t is not None and t.review is not ReviewState.REVIEWED:
            flags.add("fuzzy")
            user_comments.append(
                f"machine translation by {t.engine or 'an unknown engine'}, not yet reviewed"
            )
        elif t is not None and t.engine == "source":
            user_comments.append("translation supplied by the source itself")
        kind = "HTML" if f == "summary" else "plain text"
        catalog.add(
            source,
            text,
            locations=[(item.url, None)] if item.url else [],  # type: ignore[list-item]
            flags=flags,
            auto_comments=[f"{item.kind.value} {f} ({kind})"],
            user_comments=user_comments,
            context=f"{item.id}:{f}",
        )
    _add_intro(catalog, edition, lang, settings=settings, store=store)
    return catalog


def _add_intro(
    catalog: Catalog, edition: Edition, lang: str, *, settings: Any = None, store: Any = None
) -> None:
    """The intro's entry: empty until someone translates it (never machine-translated)."""
    source_language = settings.i18n.source_language if settings is not None else "en"
    if not edition.intro_markdown or lang.split("_")[0] == source_language.split("_")[0]:
        return
    t = intro_translation(edition, lang, settings=settings, store=store)
    comments = []
    if t is not None and t.engine == "file":
        comments.append(f"from editions/{edition.key}.{lang}.md, which wins over this entry")
    catalog.add(
        edition.intro_markdown,
        t.text if t is not None else "",
        auto_comments=["edition intro (Markdown)"],
        user_comments=comments,
        context=f"{intro_id(edition.key)}:{INTRO_FIELD}",
    )


def export_po(edition: Edition, lang: str, *, settings: Any = None, store: Any = None) -> bytes:
    """The PO file's bytes (UTF-8)."""
    buf = BytesIO()
    write_po(buf, export_catalog(edition, lang, settings=settings, store=store), width=0,
             include_previous=False)
    return buf.getvalue()


# ------------------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    """What an import did (or, when ``errors`` is not empty, why it did nothing)."""

    path: str
    lang: str = ""
    imported: int = 0
    fuzzy: int = 0
    empty: int = 0
    unchanged: int = 0  # the source's own translations, left as exported
    stale: list[str] = field(default_factory=list)  # entries whose source text changed since
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse(data: bytes, path: str) -> Catalog:
    try:
        return read_po(BytesIO(data), abort_invalid=True)
    except PoFileError as exc:
        raise CatalogError(f"{path}: not a readable PO file: {exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not a readable PO file: {exc}") from exc


def import_po(
    data: bytes, store: Any, *, path: str = "<po>", lang: str | None = None,
    languages: list[str] | None = None, source_language: str = "en",
) -> ImportReport:
    """Check every entry of a PO file, then record the reviewed ones — or refuse the whole file."""
    catalog = _parse(data, path)
    report = ImportReport(path=path)
    target = _target_language(catalog, path, lang, languages, report)
    if target is None:
        return report
    report.lang = target
    accepted: list[tuple[Message, str, str]] = []
    with store.session() as session:
        for msg in catalog:
            if not msg.id:
                continue  # the header
            entry = _checked_entry(session, msg, path, target, report)
            if entry is not None:
                accepted.append((msg, *entry))
        if report.errors:
            return report
        for msg, item_id, fld in accepted:
            if fld == INTRO_FIELD:
                record_intro(session, source=str(msg.id), text=str(msg.string), lang=target,
                             source_lang=source_language)
                report.imported += 1
                continue
            memory.record_item_translation(
                session, item_id=item_id, field=fld, lang=target, source_text=str(msg.id),
                text=str(msg.string), source_lang=source_language,
            )
            report.imported += 1
    return report


def _target_language(
    catalog: Catalog, path: str, lang: str | None, languages: list[str] | None, report: ImportReport
) -> str | None:
    """The file's language (``lang``, else its Language header), if configured; else an error."""
    raw = lang or catalog.locale_identifier or ""
    # "pt", "pt-PT", "Português" mean pt_PT when that is configured (the one normaliser)
    target = (normalise_language(raw, languages) if languages else None) or normalise_lang(raw)
    if not target:
        report.errors.append(f"{path}: no Language header; pass --lang")
        return None
    if languages is not None and target not in languages:
        report.errors.append(
            f"{path}: language {target!r} is not configured (i18n.languages: "
            f"{', '.join(languages)})"
        )
        return None
    return target


def _checked_entry(
    session: Any, msg: Message, path: str, target: str, report: ImportReport
) -> tuple[str, str] | None:
    """The item id and field of an entry to record; None when it is counted or refused instead."""
    from hrc_outreach.store.items import get_item

    where = f"{path}:{msg.lineno}"
    source = msg.id if isinstance(msg.id, str) else msg.id[0]
    text = msg.string if isinstance(msg.string, str) else (msg.string or [""])[0]
    ctx = msg.context or ""
    item_id, _, fld = ctx.rpartition(":")
    intro = fld == INTRO_FIELD and item_id.startswith("edition:")
    if not item_id or (fld not in FIELDS and not intro):
        report.errors.append(
            f"{where}: msgctxt {ctx!r} is not 'item_id:title', 'item_id:summary' or "
            "'edition:KEY:intro'"
        )
        return None
    if intro:  # the intro's source is checked when it is used (a stale one is not shown)
        return _intro_entry(msg, where, ctx, source, text, report, item_id)
    if not text:
        report.empty += 1
        return None
    item = get_item(session, item_id)
    own = item.translations.get(target) if item is not None else None
    if own is not None and getattr(own, fld) == text:
        report.unchanged += 1  # the source's own translation, exported as is
        return None
    if _refused(msg, where, ctx, source, text, report):
        return None
    if item is None:
        report.errors.append(f"{where}: no item {item_id!r} in the store")
        return None
    if getattr(item, fld) != source:
        report.stale.append(f"{where} ({ctx})")
    return item_id, fld


def _intro_entry(
    msg: Message, where: str, ctx: str, source: str, text: str, report: ImportReport,
    item_id: str,
) -> tuple[str, str] | None:
    """An intro entry to record, or None when it is empty, fuzzy or broken (counted, refused)."""
    if not text:
        report.empty += 1
        return None
    if _refused(msg, where, ctx, source, text, report):
        return None
    return item_id, INTRO_FIELD


def _refused(
    msg: Message, where: str, ctx: str, source: str, text: str, report: ImportReport
) -> bool:
    """True, counted in ``report``, when the translation breaks the source's placeholders or
    tags, or is still marked fuzzy."""
    problems = check_entry(source, text)
    if problems:
        report.errors.extend(f"{where} ({ctx}): {p}" for p in problems)
        return True
    if msg.fuzzy:
        report.fuzzy += 1
        return True
    return False


def load_edition(store: Any, settings: Any, key: str) -> Edition:
    """Edition ``key`` as last drafted (its recorded items), else curated now."""
    from datetime import date

    from hrc_outreach.models import SECTION_OF_KIND, Section
    from hrc_outreach.store.items import get_item
    from hrc_outreach.store.tables import EditionRow

    with store.session() as session:
        row = session.get(EditionRow, key)
        if row is None or not row.item_ids:
            from hrc_outreach.curate.edition import curate_edition

            return curate_edition(session, settings, key)
        items = [i for i in (get_item(session, str(x)) for x in row.item_ids) if i is not None]
        from hrc_outreach.curate.edition import as_shown

        items = as_shown(settings, key, items)  # staff headlines and summaries, as rendered
        sections = []
        for kind in dict.fromkeys(SECTION_OF_KIND[i.kind] for i in items):
            sections.append(Section(kind=kind, items=tuple(
                i for i in items if SECTION_OF_KIND[i.kind] is kind)))
        from hrc_outreach.curate.edition import read_intro, read_intro_translations

        return Edition(key=key, title=row.title, issue_number=row.issue_number,
                       date=date.fromisoformat(row.edition_date), sections=tuple(sections),
                       intro_markdown=read_intro(settings, key),
                       intro_translations=read_intro_translations(settings, key))
