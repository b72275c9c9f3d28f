"""Staff managing people without erasing them: look one up, unsubscribe, resubscribe with new
consent, add, change language, list with filters, and send the double opt-in to pending ones.

Every change is one consent-log entry (method ``staff``, source: who did it or where the consent
came from). Each function takes a session and leaves committing to the caller, except
:func:`confirm_pending`, which commits per address so a crash never sends an email twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from hrc_outreach.audience.addresses import email_hash, normalise_email
from hrc_outreach.audience.consent import (
    ACTIVE,
    log_consent,
    new_subscriber,
    subscriber_language,
    suppress,
    to_subscriber,
)
from hrc_outreach.audience.languages import normalise_language
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.models import ConsentState, Subscriber
from hrc_outreach.store import Store
from hrc_outreach.store.notices import claim_notice, settle_notice
from hrc_outreach.store.tables import SubscriberRow, SuppressionRow


def find_person(session: Session, email: str) -> SubscriberRow:
    """The subscriber row of ``email``; AudienceError naming the address when there is none."""
    row = session.scalars(
        select(SubscriberRow).where(SubscriberRow.email_hash == email_hash(email))
    ).first()
    if row is None:
        raise AudienceError(
            f"{email.strip()!r} is not a subscriber (see `subscribers list --people`)"
        )
    return row


def _consent_evidence(note: str | None, source: str | None) -> tuple[str, str]:
    note, source = (note or "").strip(), (source or "").strip()
    if not note or not source:
        raise AudienceError(
            "new consent is needed: say how it was given (--consent-note, e.g. 'signed form at "
            "the Ghent forum, 2026-11-12') and where (--source, e.g. 'ghent-forum'); it is logged"
        )
    return note[:300], source[:200]


def staff_unsubscribe(session: Session, email: str, *, by: str, note: str = "") -> Subscriber:
    """Unsubscribe a person on their request to staff: suppressed, logged; their record stays.
    Already unsubscribed (or bounced, complained): nothing changes."""
    row = find_person(session, email)
    now = datetime.now(UTC)
    added = suppress(session, row.email_hash, ConsentState.UNSUBSCRIBED.value, f"staff:{by}", now)
    if row.state in ACTIVE or added:
        previous = row.state
        if row.state in ACTIVE:
            row.state, row.updated_at = ConsentState.UNSUBSCRIBED.value, now
        log_consent(
            session, subscriber_id=row.id, hashed=row.email_hash, action="unsubscribed",
            method="staff", source=by, detail={"previous": previous, "note": note[:300]}, at=now,
        )  # fmt: skip
    session.flush()
    return to_subscriber(row)


def resubscribe(
    session: Session, email: str, *, consent_note: str | None, source: str | None, by: str
) -> Subscriber:
    """Confirm again a person who unsubscribed, bounced or complained, on new consent only
    (how and where, logged); the suppression is lifted."""
    note, where = _consent_evidence(consent_note, source)
    row = find_person(session, email)
    if row.state == ConsentState.CONFIRMED.value:
        raise AudienceError(f"{row.email} is subscribed already (confirmed)")
    now = datetime.now(UTC)
    previous = row.state
    supp = session.get(SuppressionRow, row.email_hash)
    if supp is not None:
        session.delete(supp)
    row.state, row.consent_at, row.consent_source, row.updated_at = (
        ConsentState.CONFIRMED.value, now, where, now,
    )  # fmt: skip
    log_consent(
        session, subscriber_id=row.id, hashed=row.email_hash, action="resubscribed",
        method="staff", source=where,
        detail={"previous": previous, "suppression": supp.reason if supp else None,
                "note": note, "by": by},
        at=now,
    )  # fmt: skip
    session.flush()
    return to_subscriber(row)


@dataclass
class Added:
    subscriber: Subscriber
    warnings: list[str] = field(default_factory=list)


def add_person(
    session: Session,
    settings: Settings,
    email: str,
    *,
    name: str = "",
    language: str = "",
    segments: Sequence[str] = (),
    consent_note: str | None = None,
    source: str | None = None,
    by: str,
) -> Added:
    """Add a person: confirmed with consent evidence (how and where), else pending (then
    ``confirm-pending`` sends the double opt-in). A suppressed address (unsubscribed, bounced,
    erased) needs consent evidence; an unknown language becomes the source language, warned."""
    address = normalise_email(email)
    hashed = email_hash(address)
    if session.scalars(select(SubscriberRow.id).where(SubscriberRow.email_hash == hashed)).first():
        raise AudienceError(
            f"{address} is a subscriber already (`subscribers show {address}`; "
            "`resubscribe` or `set-language` change it)"
        )
    consent = bool((consent_note or "").strip() or (source or "").strip())
    supp = session.get(SuppressionRow, hashed)
    if consent or supp is not None:
        note, where = _consent_evidence(consent_note, source)
    lang, asked = subscriber_language(settings, language)
    warnings = (
        [f"language {asked['language_asked']!r} is not configured: {address} gets {lang}"]
        if asked else []
    )  # fmt: skip
    now = datetime.now(UTC)
    row = new_subscriber(session, address, name, lang, where if consent else f"staff:{by}", now)
    row.segments = sorted({s.strip() for s in segments if s.strip()})
    detail = {"state": "pending", "language": lang, "by": by, **asked}
    if consent:
        row.state, row.consent_at = ConsentState.CONFIRMED.value, now
        detail.update(state="confirmed", note=note)
    if supp is not None:
        detail["suppression"] = supp.reason
        session.delete(supp)
    log_consent(
        session, subscriber_id=row.id, hashed=hashed, action="subscribed", method="staff",
        source=where if consent else by, detail=detail, at=now,
    )  # fmt: skip
    session.flush()
    return Added(to_subscriber(row), warnings)


def set_language(
    session: Session, settings: Settings, email: str, language: str, *, by: str
) -> Subscriber:
    """Change a person's language (one of the configured ones), logged."""
    row = find_person(session, email)
    lang = normalise_language(language, settings.i18n.languages)
    if lang is None:
        known = ", ".join(settings.i18n.languages)
        raise AudienceError(f"language {language!r} is not one of the configured ones ({known})")
    if lang != row.language:
        now = datetime.now(UTC)
        log_consent(
            session, subscriber_id=row.id, hashed=row.email_hash, action="preferences",
            method="staff", source=by, detail={"language": [row.language, lang]}, at=now,
        )  # fmt: skip
        row.language, row.updated_at = lang, now
        session.flush()
    return to_subscriber(row)


def list_people(
    session: Session,
    *,
    state: str | None = None,
    language: str | None = None,
    segment: str | None = None,
    contains: str | None = None,
    suppressed: bool | None = None,
    limit: int = 100,
) -> list[Subscriber]:
    """Subscribers matching every filter given, newest first, at most ``limit``."""
    query = select(SubscriberRow).order_by(SubscriberRow.id.desc())
    if state:
        states = [s.value for s in ConsentState]
        if state.strip().lower() not in states:
            raise AudienceError(f"state {state!r} is not one of {', '.join(states)}")
        query = query.where(SubscriberRow.state == state.strip().lower())
    if language:
        query = query.where(SubscriberRow.language == language)
    if contains:
        # the text as typed: LIKE's own wildcards (% and _) and its escape taken literally
        text = contains.strip().lower()
        text = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        query = query.where(
            SubscriberRow.email.like(like, escape="\\")
            | SubscriberRow.name.ilike(like, escape="\\")
        )
    if suppressed is not None:
        held = exists().where(SuppressionRow.email_hash == SubscriberRow.email_hash)
        query = query.where(held if suppressed else ~held)
    rows = session.scalars(query)
    found = [to_subscriber(r) for r in rows if not segment or segment in (r.segments or ())]
    return found[:limit]


@dataclass
class OptInReport:
    sent: list[str] = field(default_factory=list)
    skipped: int = 0  # sent before (once per address)
    failed: dict[str, str] = field(default_factory=dict)


WEB_FORM = "web:"  # the consent source of people who subscribed with the public form


def confirm_pending(
    store: Store, settings: Settings, *, by: str, limit: int | None = None
) -> OptInReport:
    """Send the double opt-in email to every pending, unsuppressed subscriber who was never sent
    one (the public form sends its own), once per address (claimed in the store before sending; two runs at once cannot both
    send it), each logged; a failed send is reported and may be tried again later."""
    from hrc_outreach.audience.links import links_for
    from hrc_outreach.audience.optin import send_confirmation

    with store.session() as s:
        held = exists().where(SuppressionRow.email_hash == SubscriberRow.email_hash)
        pending = list(
            s.scalars(
                select(SubscriberRow)
                .where(SubscriberRow.state == ConsentState.PENDING.value, ~held)
                # the subscribe form sends its own confirmation email at once
                .where(~func.coalesce(SubscriberRow.consent_source, "").startswith(WEB_FORM))
                .order_by(SubscriberRow.id)
            )
        )
    report = OptInReport()
    links = links_for(settings)
    for row in pending[:limit] if limit else pending:
        key = f"opt-in:{row.email_hash}"
        if not claim_notice(store, key, "opt-in", {"by": by}):
            report.skipped += 1
            continue
        subscriber = to_subscriber(row)
        try:
            token = links.confirm_token(row.id, now=datetime.now(UTC))
            result = asyncio.run(send_confirmation(settings, subscriber, token))
            refused = not result.accepted or row.id in result.failed
            # in doubt (the request may have arrived) counts as sent: never mailed twice
            error = (result.failed.get(row.id) or result.detail or "refused") if refused else None
        except Exception as exc:  # noqa: BLE001 - one address failing never stops the others
            error = f"{type(exc).__name__}: {exc}"
        settle_notice(store, key, sent=error is None, detail={"error": error} if error else None)
        with store.session() as s:
            log_consent(
                s, subscriber_id=row.id, hashed=row.email_hash,
                action="confirmation-sent" if error is None else "confirmation-failed",
                method="staff", source=by, detail={"error": error[:300]} if error else {},
            )  # fmt: skip
        if error is None:
            report.sent.append(row.email)
        else:
            report.failed[row.email] = error
    return report


__all__ = [
    "Added", "OptInReport", "add_person", "confirm_pending", "find_person",
    "list_people", "resubscribe", "set_language", "staff_unsubscribe",
]  # fmt: skip
