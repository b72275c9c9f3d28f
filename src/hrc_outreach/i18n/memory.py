"""Translation memory and reviewed item translations in the store.

Each source string is translated once per target language and engine
(``translation_memory``, unique on source hash, target, engine) and reused across editions. A
translator's reviewed strings from a PO file are ``item_translations`` rows (review = reviewed)
and also enter the memory as engine ``human``, so the same sentence elsewhere benefits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hrc_outreach.models import Provenance, ReviewState
from hrc_outreach.store.tables import ItemTranslationRow, TranslationMemoryRow, utcnow

HUMAN_ENGINE = "human"


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Remembered:
    """A translation found in the memory."""

    text: str
    engine: str
    review: ReviewState


def lookup(
    session: Session, texts: Iterable[str], target: str, engine: str | None = None
) -> dict[str, Remembered]:
    """Source text -> the best remembered translation into ``target``: a reviewed one first, then
    one by ``engine``, then any engine's."""
    wanted = {source_hash(t): t for t in texts}
    if not wanted:
        return {}
    rows = session.scalars(
        select(TranslationMemoryRow).where(
            TranslationMemoryRow.source_hash.in_(list(wanted)),
            TranslationMemoryRow.target_lang == target,
        )
    ).all()

    def rank(r: TranslationMemoryRow) -> tuple[int, int, int]:
        return (r.review == ReviewState.REVIEWED.value, r.engine == engine, -r.id)

    best: dict[str, TranslationMemoryRow] = {}
    for r in rows:
        if r.source_text != wanted[r.source_hash]:
            continue  # a hash collision is not a translation
        if r.source_hash not in best or rank(r) > rank(best[r.source_hash]):
            best[r.source_hash] = r
    return {
        r.source_text: Remembered(r.text, r.engine, ReviewState(r.review)) for r in best.values()
    }


def record(
    session: Session,
    pairs: Mapping[str, str],
    *,
    source_lang: str,
    target: str,
    engine: str,
    review: ReviewState = ReviewState.UNREVIEWED,
) -> None:
    """Remember ``source text -> translation`` pairs for ``target`` by ``engine``."""
    hashes = {source_hash(s): s for s in pairs}
    existing = {
        r.source_hash: r
        for r in session.scalars(
            select(TranslationMemoryRow).where(
                TranslationMemoryRow.source_hash.in_(list(hashes)),
                TranslationMemoryRow.target_lang == target,
                TranslationMemoryRow.engine == engine,
            )
        )
    }
    for h, src in hashes.items():
        row = existing.get(h)
        if row is None:
            session.add(TranslationMemoryRow(
                source_hash=h, source_lang=source_lang, target_lang=target, engine=engine,
                source_text=src, text=pairs[src], review=review.value,
            ))
        else:
            row.text, row.review, row.source_text = pairs[src], review.value, src
    session.flush()


def reviewed_item_translations(
    session: Session, item_ids: Iterable[str], lang: str
) -> dict[tuple[str, str], ItemTranslationRow]:
    """(item id, field) -> the reviewed translation into ``lang``."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(ItemTranslationRow).where(
            ItemTranslationRow.item_id.in_(ids),
            ItemTranslationRow.lang == lang,
            ItemTranslationRow.review == ReviewState.REVIEWED.value,
        )
    )
    return {(r.item_id, r.field): r for r in rows}


def record_item_translation(
    session: Session,
    *,
    item_id: str,
    field: str,
    lang: str,
    source_text: str,
    text: str,
    source_lang: str = "en",
) -> None:
    """A person's reviewed translation of one field (a PO import): stored for the item, and
    remembered for the same sentence elsewhere."""
    row = session.scalars(
        select(ItemTranslationRow).where(
            ItemTranslationRow.item_id == item_id,
            ItemTranslationRow.field == field,
            ItemTranslationRow.lang == lang,
        )
    ).first()
    if row is None:
        session.add(ItemTranslationRow(
            item_id=item_id, field=field, lang=lang, source_text=source_text, text=text,
            provenance=Provenance.HUMAN.value, review=ReviewState.REVIEWED.value,
            engine=HUMAN_ENGINE,
        ))
    else:
        row.source_text, row.text = source_text, text
        row.provenance, row.review = Provenance.HUMAN.value, ReviewState.REVIEWED.value
        row.engine, row.updated_at = HUMAN_ENGINE, utcnow()
    record(session, {source_text: text}, source_lang=source_lang, target=lang,
           engine=HUMAN_ENGINE, review=ReviewState.REVIEWED)
