"""GDPR: everything stored about a person (export), and erasing it (Art. 15 and 17).

Erasure deletes the subscriber row, replaces the address in send records by its hash (the ledger
keeps counting who got what without knowing who), scrubs free-text details from that person's
consent log entries, and keeps a hashed suppression entry so the address is never mailed again.
The erasure itself is logged by hash only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hrc_outreach.audience.addresses import email_hash, quick_normal_form
from hrc_outreach.audience.consent import log_consent, suppress
from hrc_outreach.audience.kept import erase_kept
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.models import Frozen
from hrc_outreach.store.tables import (
    ConsentEventRow,
    SendJobRow,
    SendRecipientRow,
    SubscriberRow,
    SuppressionRow,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_person(session: Session, email: str) -> dict[str, Any]:
    """All stored data about ``email`` as JSON-ready data (empty parts when nothing is stored)."""
    address = quick_normal_form(email)
    hashed = email_hash(email)
    row = session.scalars(select(SubscriberRow).where(SubscriberRow.email_hash == hashed)).first()
    return {
        "email": address,
        "email_hash": hashed,
        "subscriber": _subscriber(row) if row is not None else None,
        "consent_log": _consent_log(session, hashed, row),
        "sends": _sends(session, address, row),
        "suppression": _suppression(session, hashed),
    }


def _suppression(session: Session, hashed: str) -> dict[str, Any] | None:
    """Why and since when the address is never mailed, if it is suppressed."""
    supp = session.get(SuppressionRow, hashed)
    if supp is None:
        return None
    return {"reason": supp.reason, "source": supp.source, "at": _iso(supp.at)}


def _subscriber(row: SubscriberRow) -> dict[str, Any]:
    """The person's subscriber record: address, name, language, interests and consent."""
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "language": row.language,
        "segments": list(row.segments or ()),
        "topics": list(row.topics or ()),
        "state": row.state,
        "consent_at": _iso(row.consent_at),
        "consent_source": row.consent_source,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def _consent_log(session: Session, hashed: str, row: SubscriberRow | None) -> list[dict[str, Any]]:
    """The person's consent log entries, by address hash or subscriber id, oldest first."""
    who = [ConsentEventRow.email_hash == hashed]
    if row is not None:
        who.append(ConsentEventRow.subscriber_id == row.id)
    return [
        {
            "at": _iso(c.at),
            "action": c.action,
            "method": c.method,
            "source": c.source,
            "detail": c.detail,
        }
        for c in session.scalars(
            select(ConsentEventRow)
            .where(or_(*who))
            .order_by(ConsentEventRow.at, ConsentEventRow.id)
        )
    ]


def _sends(session: Session, address: str, row: SubscriberRow | None) -> list[dict[str, Any]]:
    """What was sent to the person: edition, provider, language and state of each send."""
    sent_who = [SendRecipientRow.email == address]
    if row is not None:
        sent_who.append(SendRecipientRow.subscriber_id == row.id)
    return [
        {
            "edition": edition,
            "provider": provider,
            "language": r.lang,
            "state": r.state,
            "message_id": r.message_id,
        }
        for r, edition, provider in session.execute(
            select(SendRecipientRow, SendJobRow.edition_key, SendJobRow.provider)
            .join(SendJobRow, SendJobRow.id == SendRecipientRow.job_id)
            .where(or_(*sent_who))
            .order_by(SendRecipientRow.id)
        )
    ]


class ErasureReport(Frozen):
    email_hash: str
    subscriber_deleted: bool
    send_records_pseudonymised: int
    consent_entries_scrubbed: int
    kept_copies_deleted: int = 0
    # damaged or unreadable kept copies, each named with what was done (staff check them)
    kept_copies_to_check: tuple[str, ...] = ()
    suppressed: bool


def erase_person(
    session: Session, email: str, *, by: str = "cli", settings: Settings | None = None
) -> ErasureReport:
    """Delete ``email``'s personal data and suppress its keyed hash forever (idempotent); with
    ``settings``, its kept copies too (outbox ``.eml`` files, test sends).

    AudienceError when nothing at all is stored about the address: then nothing changes, and no
    suppression is added (an erasure request for a mistyped address must not look done).
    """
    address = quick_normal_form(email)
    hashed = email_hash(email)
    now = datetime.now(UTC)
    row = session.scalars(select(SubscriberRow).where(SubscriberRow.email_hash == hashed)).first()
    sid = row.id if row is not None else None
    sent, scrubbed = _pseudonymise(session, address, hashed, sid)
    copies = erase_kept(settings, address, sid) if settings is not None else None
    kept, to_check = (copies.deleted, copies.to_check) if copies is not None else (0, ())
    already = session.get(SuppressionRow, hashed) is not None
    if row is None and not (sent or scrubbed or kept or already):
        raise AudienceError(
            f"nothing is stored about {address!r} (no subscriber, send record, consent entry, "
            "suppression or kept copy): nothing erased and no suppression added; check the "
            "spelling of the address"
            + "".join(f"; kept copy to check: {note}" for note in to_check)
        )
    if row is not None:
        session.delete(row)
    added = suppress(session, hashed, "erased", by, now)
    if row is not None or added or sent:
        log_consent(session, subscriber_id=None, hashed=hashed, action="erased", method=by, at=now)
    session.flush()
    return ErasureReport(
        email_hash=hashed,
        subscriber_deleted=row is not None,
        send_records_pseudonymised=sent,
        consent_entries_scrubbed=scrubbed,
        kept_copies_deleted=kept,
        kept_copies_to_check=to_check,
        suppressed=True,
    )


def _pseudonymise(session: Session, address: str, hashed: str, sid: int | None) -> tuple[int, int]:
    """Send records name the person by hash, consent entries lose their details and their
    subscriber id: (send records changed, consent entries scrubbed)."""
    who_sent = [SendRecipientRow.email == address]
    if sid is not None:
        who_sent.append(SendRecipientRow.subscriber_id == sid)
    sent = session.execute(  # type: ignore[attr-defined]
        update(SendRecipientRow)
        .where(or_(*who_sent), SendRecipientRow.email != hashed)
        .values(email=hashed, name="")
        .execution_options(synchronize_session=False)
    ).rowcount
    who_log = [ConsentEventRow.email_hash == hashed]
    if sid is not None:
        who_log.append(ConsentEventRow.subscriber_id == sid)
    scrubbed = session.execute(  # type: ignore[attr-defined]
        update(ConsentEventRow)
        .where(or_(*who_log))
        .values(detail={}, subscriber_id=None, email_hash=hashed)
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(sent or 0), int(scrubbed or 0)
