"""Which items earlier sent editions featured, and recording drafts and sends in the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hrc_outreach.errors import CurateError
from hrc_outreach.models import Edition, EditionStatus
from hrc_outreach.store.tables import EditionRow, FeaturedRow, utcnow

SENT = EditionStatus.SENT
DRAFT = EditionStatus.DRAFT


def featured_elsewhere(session: Session, edition_key: str) -> set[str]:
    """Ids of items featured by a sent edition other than ``edition_key`` (so a re-draft of the
    same edition, even after it was sent, gives the same result)."""
    q = (
        select(FeaturedRow.item_id)
        .join(EditionRow, EditionRow.key == FeaturedRow.edition_key)
        .where(EditionRow.status == SENT, FeaturedRow.edition_key != edition_key)
    )
    return set(session.scalars(q))


def featured_before(session: Session, edition_key: str) -> set[str]:
    """Ids of items featured by editions sent before ``edition_key`` was (all sent editions when
    it was not sent): the events a sent edition showed as reminders."""
    row = session.get(EditionRow, edition_key)
    q = (
        select(FeaturedRow.item_id)
        .join(EditionRow, EditionRow.key == FeaturedRow.edition_key)
        .where(EditionRow.status == SENT, FeaturedRow.edition_key != edition_key)
    )
    if row is not None and row.sent_at is not None:
        q = q.where(EditionRow.sent_at < row.sent_at)
    return set(session.scalars(q))


def sent_item_ids(session: Session, edition_key: str) -> list[str] | None:
    """The items of ``edition_key`` if it was already sent (its content is then fixed), else None."""
    row = session.get(EditionRow, edition_key)
    if row is None or row.status != SENT:
        return None
    return [str(i) for i in row.item_ids]


def record_draft(
    session: Session, edition: Edition, content_hashes: Mapping[str, str] | None = None
) -> EditionRow:
    """Create or update the edition's row with its items (and, after rendering, hashes per lang).

    A sent edition keeps its items; only hashes of languages drafted again are replaced.
    """
    row = session.get(EditionRow, edition.key)
    ids = [i.id for i in edition.items]
    if row is None:
        row = EditionRow(
            key=edition.key,
            title=edition.title,
            issue_number=edition.issue_number,
            edition_date=edition.date.isoformat(),
            status=DRAFT,
            item_ids=ids,
            content_hashes={},
        )
        session.add(row)
    elif row.status != SENT:
        row.title = edition.title
        row.issue_number = edition.issue_number
        row.edition_date = edition.date.isoformat()
        row.item_ids = ids
    if content_hashes:
        # A new dict: SQLAlchemy's JSON type does not see in-place mutation.
        row.content_hashes = {**(row.content_hashes or {}), **dict(content_hashes)}
    session.flush()
    return row


def record_sent(session: Session, edition_key: str, langs: Iterable[str]) -> int:
    """Mark ``edition_key`` sent and record its items as featured in each of ``langs``.

    Called by delivery when a send job completes; idempotent (a second call adds nothing).
    Returns the number of featured rows added.
    """
    row = session.get(EditionRow, edition_key)
    if row is None:
        raise CurateError(
            f"edition {edition_key!r} was never drafted; run `hrc-outreach edition draft "
            f"--edition {edition_key}` before recording it as sent"
        )
    if row.status != SENT:
        row.status = SENT
        row.sent_at = utcnow()
    existing = set(
        session.execute(
            select(FeaturedRow.item_id, FeaturedRow.lang).where(
                FeaturedRow.edition_key == edition_key
            )
        ).tuples()
    )
    added = 0
    for lang in dict.fromkeys(langs):
        for item_id in row.item_ids:
            if (item_id, lang) in existing:
                continue
            session.add(FeaturedRow(item_id=item_id, edition_key=edition_key, lang=lang))
            added += 1
    session.flush()
    return added
