"""Items in the store: upsert keyed by stable id, with every earlier version kept.

An item its source no longer has (cancelled, removed, an occurrence that moved) is *withdrawn*:
the row and its history stay, :func:`list_items` leaves it out unless asked, and the source
bringing it back clears the mark.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hrc_outreach.models import ContentItem, ItemKind
from hrc_outreach.store.tables import ItemRow, ItemVersionRow, utcnow

CANCELLED = "cancelled at the source"
MISSING = "no longer in the source"


class Upsert(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _row_fields(item: ContentItem) -> dict[str, object]:
    return {
        "source": item.source,
        "source_key": item.source_key,
        "kind": item.kind.value,
        "title": item.title,
        "language": item.language,
        "published_at": item.published_at,
        "start_at": item.start,
        "content_hash": item.content_hash(),
        "data": item.model_dump(mode="json"),
    }


def _apply(session: Session, row: ItemRow | None, item: ContentItem) -> Upsert:
    fields = _row_fields(item)
    if row is None:
        session.add(ItemRow(id=item.id, version=1, **fields))
        return Upsert.NEW
    back = row.withdrawn_at is not None  # the source has it again
    row.withdrawn_at = row.withdrawn_reason = None
    if row.content_hash == fields["content_hash"]:
        if back:
            row.updated_at = utcnow()
            return Upsert.UPDATED
        return Upsert.UNCHANGED
    session.add(
        ItemVersionRow(
            item_id=row.id, version=row.version, content_hash=row.content_hash, data=row.data
        )
    )
    for k, v in fields.items():
        setattr(row, k, v)
    row.version += 1
    row.updated_at = utcnow()
    return Upsert.UPDATED


def upsert_item(session: Session, item: ContentItem) -> Upsert:
    """Store ``item``: new, updated (the old version kept in ``item_versions``) or unchanged."""
    return _apply(session, session.get(ItemRow, item.id), item)


def upsert_items(session: Session, items: Iterable[ContentItem]) -> dict[Upsert, int]:
    """Store many items with one look-up per thousand; the same id twice counts once (the later wins)."""
    counts = {u: 0 for u in Upsert}
    latest: dict[str, ContentItem] = {}
    for item in items:
        latest[item.id] = item
    ids = list(latest)
    existing: dict[str, ItemRow] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        existing.update(
            (r.id, r) for r in session.scalars(select(ItemRow).where(ItemRow.id.in_(chunk)))
        )
    for item_id, item in latest.items():
        counts[_apply(session, existing.get(item_id), item)] += 1
    session.flush()
    return counts


def row_to_item(row: ItemRow) -> ContentItem:
    return ContentItem.model_validate(row.data)


def get_item(session: Session, item_id: str) -> ContentItem | None:
    row = session.get(ItemRow, item_id)
    return row_to_item(row) if row else None


def list_items(
    session: Session,
    *,
    kind: ItemKind | None = None,
    source: str | None = None,
    since: datetime | None = None,
    include_withdrawn: bool = False,
) -> Sequence[ContentItem]:
    """Stored items, newest first (by published time, then first seen); withdrawn ones only when
    ``include_withdrawn``."""
    q = select(ItemRow)
    if not include_withdrawn:
        q = q.where(ItemRow.withdrawn_at.is_(None))
    if kind is not None:
        q = q.where(ItemRow.kind == kind.value)
    if source is not None:
        q = q.where(ItemRow.source == source)
    if since is not None:
        q = q.where(ItemRow.first_seen_at >= since)
    q = q.order_by(ItemRow.published_at.desc(), ItemRow.first_seen_at.desc(), ItemRow.id)
    return [row_to_item(r) for r in session.scalars(q)]


def item_history(session: Session, item_id: str) -> list[ContentItem]:
    """Earlier versions of an item, oldest first."""
    q = (
        select(ItemVersionRow)
        .where(ItemVersionRow.item_id == item_id)
        .order_by(ItemVersionRow.version)
    )
    return [ContentItem.model_validate(r.data) for r in session.scalars(q)]


@dataclass(frozen=True)
class Withdrawal:
    """Why and when an item was withdrawn."""

    at: datetime
    reason: str


def withdrawal(session: Session, item_id: str) -> Withdrawal | None:
    """The item's withdrawal, or None while its source still has it (or it is unknown)."""
    row = session.get(ItemRow, item_id)
    if row is None or row.withdrawn_at is None:
        return None
    return Withdrawal(at=row.withdrawn_at, reason=row.withdrawn_reason or MISSING)


def withdrawn_ids(session: Session) -> set[str]:
    """Ids of every withdrawn item."""
    return set(session.scalars(select(ItemRow.id).where(ItemRow.withdrawn_at.is_not(None))))


def withdraw_items(
    session: Session,
    source: str,
    *,
    present: Collection[str],
    cancelled: Collection[str] = (),
    covers: Callable[[str, datetime | None], bool] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark withdrawn the stored items of ``source`` it no longer has; returns how many.

    ``present`` are the source keys the source produced this time (never withdrawn);
    ``cancelled`` keys the source says are cancelled; ``covers(key, start)`` says whether the
    source saw the part where an item lies whole (see ``sources.base.Snapshot``): a covered item
    not present is withdrawn. Without ``covers`` only cancelled items are. Rows stay, with history.
    """
    when = now or utcnow()
    keep = set(present)
    gone = set(cancelled) - keep
    if not gone and covers is None:
        return 0
    q = select(ItemRow).where(ItemRow.source == source, ItemRow.withdrawn_at.is_(None))
    if covers is None and len(gone) <= 500:  # else scan the source's rows: no huge IN list
        q = q.where(ItemRow.source_key.in_(gone))
    count = 0
    for row in session.scalars(q):
        if row.source_key in keep:
            continue
        if row.source_key in gone:
            reason = CANCELLED
        elif covers is not None and covers(row.source_key, row.start_at):
            reason = MISSING
        else:
            continue
        row.withdrawn_at, row.withdrawn_reason = when, reason
        count += 1
    session.flush()
    return count
