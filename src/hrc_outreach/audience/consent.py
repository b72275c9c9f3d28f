"""Consent: subscribe, confirm (double opt-in), change preferences, unsubscribe, provider suppressions.

States: pending → confirmed → unsubscribed, and bounced / complained from the providers. Every change
appends one entry to the consent log (when, how, source, detail); the log never holds the address
itself, only its hash and the subscriber id. These functions are what the web app calls; each takes a
session and leaves committing to the caller's ``store.session()``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.header import decode_header, make_header
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hrc_outreach.audience.addresses import email_hash, hash_normalised, normalise_email
from hrc_outreach.audience.languages import normalise_language
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.tokens import TOKEN_LENGTH, read_token
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError, TokenError
from hrc_outreach.models import (
    ConsentState,
    Subscriber,
    SuppressionEvent,
    SuppressionReason,
    display_name,
)
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow

log = logging.getLogger(__name__)
ACTIVE = (ConsentState.PENDING.value, ConsentState.CONFIRMED.value)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def to_subscriber(row: SubscriberRow) -> Subscriber:
    """The frozen model of a subscriber row."""
    return Subscriber(
        id=row.id,
        email=row.email,
        name=row.name,
        language=row.language,
        segments=tuple(row.segments or ()),
        topics=tuple(row.topics or ()),
        state=ConsentState(row.state),
        created_at=row.created_at,
    )


def log_consent(
    session: Session,
    *,
    subscriber_id: int | None,
    hashed: str,
    action: str,
    method: str,
    source: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry to the consent log (never personal data in ``detail``)."""
    session.add(
        ConsentEventRow(
            subscriber_id=subscriber_id,
            email_hash=hashed,
            action=action,
            method=method,
            source=source[:200],
            detail=detail or {},
            at=at or datetime.now(UTC),
        )
    )


def _log_for(
    session: Session,
    row: SubscriberRow,
    action: str,
    method: str,
    *,
    at: datetime,
    source: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """``log_consent`` for a subscriber who has a row."""
    log_consent(
        session,
        subscriber_id=row.id,
        hashed=row.email_hash,
        action=action,
        method=method,
        source=source,
        detail=detail,
        at=at,
    )


def suppress(session: Session, hashed: str, reason: str, source: str, at: datetime) -> bool:
    """Add ``hashed`` to the suppression list; False if it was already there (first reason kept)."""
    if session.get(SuppressionRow, hashed) is not None:
        return False
    session.add(SuppressionRow(email_hash=hashed, reason=reason, source=source[:100], at=at))
    session.flush()
    return True


def _subscriber(session: Session, subscriber_id: int) -> SubscriberRow | None:
    return session.get(SubscriberRow, subscriber_id)


def subscribe(
    session: Session,
    settings: Settings,
    email: str,
    name: str = "",
    language: str = "",
    source: str = "form",
) -> tuple[Subscriber | None, str | None]:
    """Sign someone up as pending and give the token of their confirmation link.

    Already confirmed: ``(subscriber, None)`` (nothing to confirm). Pending: a fresh token.
    A suppressed address (unsubscribed, bounced, complained, erased) is never re-subscribed here:
    ``(None, None)``, logged by hash only, so a web form reveals nothing about who is on the list.
    A language that is not configured gets the source language, with a warning (logged).
    """
    address = normalise_email(email)
    hashed = hash_normalised(address)
    now = datetime.now(UTC)
    lang, asked = subscriber_language(settings, language)
    row = session.scalars(select(SubscriberRow).where(SubscriberRow.email_hash == hashed)).first()
    suppressed = session.get(SuppressionRow, hashed) is not None
    if suppressed or (row is not None and row.state not in ACTIVE):
        log_consent(
            session,
            subscriber_id=row.id if row else None,
            hashed=hashed,
            action="subscribe-refused",
            method="form",
            source=source,
            detail={"reason": "suppressed"},
            at=now,
        )
        return None, None
    if row is None:
        detail = {"state": "pending", "language": lang, **asked}
        row = new_subscriber(session, address, name, lang, source, now)
        log_consent(
            session,
            subscriber_id=row.id,
            hashed=hashed,
            action="subscribed",
            method="form",
            source=source,
            detail=detail,
            at=now,
        )
    if row.state == ConsentState.CONFIRMED.value:
        return to_subscriber(row), None
    return to_subscriber(row), links_for(settings).confirm_token(row.id, now=now)


def subscriber_language(settings: Settings, language: str) -> tuple[str, dict[str, str]]:
    """A subscriber's language among the configured ones, and, when the one asked for is not
    configured, ``{"language_asked": ...}`` for the consent log: the source language then, with a
    warning, rather than turning the person away.

    >>> subscriber_language(Settings(), "fr-BE")
    ('fr', {})
    """
    if not language.strip():
        return settings.i18n.source_language, {}
    lang = normalise_language(language, settings.i18n.languages)
    if lang is not None:
        return lang, {}
    fallback = settings.i18n.source_language
    log.warning(
        "language %r is not one of the configured ones (%s): the subscriber gets %s",
        language[:40],
        ", ".join(settings.i18n.languages),
        fallback,
    )
    return fallback, {"language_asked": language[:40]}


def new_subscriber(
    session: Session, address: str, name: str, lang: str, source: str, now: datetime
) -> SubscriberRow:
    """A pending subscriber row for a normalised ``address``, flushed (it has its id)."""
    row = SubscriberRow(
        email=address,
        email_hash=hash_normalised(address),
        name=display_name(name),
        language=lang,
        state=ConsentState.PENDING.value,
        consent_source=source[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def confirm(
    session: Session, settings: Settings, token: str, *, source: str = "link"
) -> Subscriber:
    """Double opt-in: pending → confirmed (idempotent); AudienceError if no longer subscribable.
    ``source`` says where the confirmation came from (e.g. the web page), for the consent log."""
    sid = read_token(links_for(settings).secret, "confirm", token)
    row = _subscriber(session, sid)
    if row is None:
        raise AudienceError("this confirmation link belongs to an address that was erased")
    if row.state == ConsentState.CONFIRMED.value:
        return to_subscriber(row)
    suppressed = session.get(SuppressionRow, row.email_hash) is not None
    if row.state != ConsentState.PENDING.value or suppressed:
        raise AudienceError(
            f"this address is {row.state} and cannot be confirmed from an old link; subscribe again"
        )
    now = datetime.now(UTC)
    row.state = ConsentState.CONFIRMED.value
    row.consent_at = now
    row.consent_source = "double-opt-in"
    row.updated_at = now
    _log_for(session, row, "confirmed", "double-opt-in", source=source, at=now)
    session.flush()
    return to_subscriber(row)


def unsubscribe(
    session: Session, settings: Settings, token: str, *, method: str = "link"
) -> Subscriber | None:
    """Unsubscribe the token's subscriber: suppression + consent log entry, once (idempotent).

    Returns the subscriber, or None when the person was erased (already suppressed by hash).
    ``method``: ``link`` (the page), ``one-click`` (RFC 8058 POST), ``mailto``, ``staff``...
    """
    sid = read_token(links_for(settings).secret, "unsubscribe", token)
    row = _subscriber(session, sid)
    if row is None:
        return None
    now = datetime.now(UTC)
    added = suppress(session, row.email_hash, ConsentState.UNSUBSCRIBED.value, method, now)
    previous = row.state
    if previous in ACTIVE:
        row.state = ConsentState.UNSUBSCRIBED.value
        row.updated_at = now
    # when not active: bounced/complained earlier but somehow not suppressed; record why it is now
    if previous in ACTIVE or added:
        _log_for(session, row, "unsubscribed", method, detail={"previous": previous}, at=now)
    session.flush()
    return to_subscriber(row)


def token_in_subject(subject: str) -> str:
    """The unsubscribe token in the subject of a mail sent to the List-Unsubscribe ``mailto:``
    (``unsubscribe <token>``, perhaps after ``Re:``/``Fwd:``, RFC 2047-encoded or folded);
    TokenError naming what was found instead when there is none."""
    if "=?" in subject:
        with contextlib.suppress(ValueError, LookupError):
            subject = str(make_header(decode_header(subject)))
    words = subject.split()
    found = [w for w in words if len(w) == TOKEN_LENGTH and _TOKEN_CHARS.fullmatch(w)]
    if not found:
        shown = subject.strip()[:80]
        raise TokenError(
            f"the subject {shown!r} carries no unsubscribe token ({TOKEN_LENGTH} characters "
            "after 'unsubscribe'); nobody was unsubscribed"
        )
    return found[-1]


def unsubscribe_by_mail(session: Session, settings: Settings, subject: str) -> Subscriber | None:
    """Unsubscribe from the subject of a mail sent to the List-Unsubscribe ``mailto:`` address
    (``unsubscribe <token>``, see :meth:`hrc_outreach.audience.links.Links.unsubscribe_mailto`).

    TokenError, with the reason, when it carries no token or one that is forged, damaged or made
    for something else: then nothing changes.
    """
    return unsubscribe(session, settings, token_in_subject(subject), method="mailto")


def _clean_list(values: Sequence[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


def update_preferences(
    session: Session,
    settings: Settings,
    token: str,
    *,
    language: str | None = None,
    topics: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
) -> Subscriber:
    """Change a subscriber's language, topics or segments (None: leave as is); logged if changed."""
    sid = read_token(links_for(settings).secret, "preferences", token)
    row = _subscriber(session, sid)
    if row is None:
        raise AudienceError("this preferences link belongs to an address that was erased")
    changes: dict[str, Any] = {}
    if language is not None:
        lang = normalise_language(language, settings.i18n.languages)
        if lang is None:
            known = ", ".join(settings.i18n.languages)
            raise AudienceError(
                f"language {language!r} is not one of the configured ones ({known})"
            )
        if lang != row.language:
            changes["language"] = [row.language, lang]
            row.language = lang
    if topics is not None and _clean_list(topics) != list(row.topics or []):
        changes["topics"] = [list(row.topics or []), _clean_list(topics)]
        row.topics = _clean_list(topics)
    if segments is not None and _clean_list(segments) != list(row.segments or []):
        changes["segments"] = [list(row.segments or []), _clean_list(segments)]
        row.segments = _clean_list(segments)
    if changes:
        now = datetime.now(UTC)
        row.updated_at = now
        _log_for(session, row, "preferences", "link", detail=changes, at=now)
        session.flush()
    return to_subscriber(row)


_STATE_OF_REASON = {
    SuppressionReason.HARD_BOUNCE: ConsentState.BOUNCED,
    SuppressionReason.COMPLAINT: ConsentState.COMPLAINED,
    SuppressionReason.UNSUBSCRIBED: ConsentState.UNSUBSCRIBED,
}


def apply_suppression(session: Session, event: SuppressionEvent) -> bool:
    """A provider's bounce, complaint or unsubscribe: suppress the address; True if anything changed."""
    hashed = email_hash(event.email)
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    added = suppress(session, hashed, event.reason.value, event.provider, at)
    row = session.scalars(select(SubscriberRow).where(SubscriberRow.email_hash == hashed)).first()
    changed = added
    if row is not None and row.state in ACTIVE:
        row.state = _STATE_OF_REASON[event.reason].value
        row.updated_at = datetime.now(UTC)
        changed = True
    if changed:
        log_consent(
            session,
            subscriber_id=row.id if row else None,
            hashed=hashed,
            action=event.reason.value,
            method="provider",
            source=event.provider,
            # A bounce message often quotes the address: keep only its first line, length-capped;
            # erasure scrubs details anyway.
            detail={"detail": event.detail.splitlines()[0][:300]} if event.detail else {},
            at=at,
        )
        session.flush()
    return changed


_IN_CHUNK = 500  # bound parameters per IN (...) look-up, well under every backend's limit


def apply_suppressions(session: Session, events: Sequence[SuppressionEvent]) -> int:
    """Many provider events at once (a webhook batch): the outcome of :func:`apply_suppression`
    applied to each in turn, in a few bulk statements instead of several per event; the number
    of events that changed anything. The same event twice (in the batch or in an earlier one)
    changes nothing the second time; an address suppressed meanwhile by a concurrent request is
    skipped, not an error."""
    if not events:
        return 0
    session.flush()
    hashes = [email_hash(e.email) for e in events]
    suppressed, people = _known_hashes(session, list(dict.fromkeys(hashes)))
    new_rows, moved, log = _planned_suppressions(events, hashes, suppressed, people)
    # The writes say what this request changed: a concurrent delivery may have suppressed or
    # moved someone since the look-ups (SQLite reads outside the write transaction, PostgreSQL
    # reads committed), and only the request that did it logs it.
    inserted = _insert_suppressions(session, new_rows)
    updated = _moved_people(session, moved)
    entries = [e for a, m, e in log if (a is not None and a in inserted) or m in updated]
    if entries:
        session.execute(insert(ConsentEventRow), entries)
    for obj in list(session.identity_map.values()):  # rows this session holds are now stale
        if isinstance(obj, SubscriberRow) and obj.id in updated:
            session.expire(obj)
    return len(entries)


def _known_hashes(
    session: Session, unique: list[str]
) -> tuple[set[str], dict[str, tuple[int, str]]]:
    """Which of these hashes are suppressed, and the subscribers (id, state) they name."""
    suppressed: set[str] = set()
    people: dict[str, tuple[int, str]] = {}
    for i in range(0, len(unique), _IN_CHUNK):
        chunk = unique[i : i + _IN_CHUNK]
        suppressed.update(
            session.scalars(
                select(SuppressionRow.email_hash).where(SuppressionRow.email_hash.in_(chunk))
            )
        )
        found = session.execute(
            select(SubscriberRow.email_hash, SubscriberRow.id, SubscriberRow.state).where(
                SubscriberRow.email_hash.in_(chunk)
            )
        )
        people.update((h, (sid, state)) for h, sid, state in found)
    return suppressed, people


_Logged = tuple[str | None, int | None, dict[str, Any]]  # (hash added, subscriber moved, entry)


def _planned_suppressions(
    events: Sequence[SuppressionEvent],
    hashes: list[str],
    suppressed: set[str],
    people: dict[str, tuple[int, str]],
) -> tuple[list[dict[str, Any]], dict[str, list[int]], list[_Logged]]:
    """Event by event, as :func:`apply_suppression` would: the suppression rows to insert, the
    subscribers to move by new state, and the consent entries each would log."""
    new_rows: list[dict[str, Any]] = []
    moved: dict[str, list[int]] = {}
    log: list[_Logged] = []
    for event, hashed in zip(events, hashes, strict=True):
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
        added = hashed not in suppressed
        if added:
            suppressed.add(hashed)
            new_rows.append(
                {"email_hash": hashed, "reason": event.reason.value,
                 "source": event.provider[:100], "at": at}
            )  # fmt: skip
        person = people.get(hashed)
        mover = None
        if person is not None and person[1] in ACTIVE:
            state = _STATE_OF_REASON[event.reason].value
            people[hashed] = (person[0], state)
            moved.setdefault(state, []).append(person[0])
            mover = person[0]
        elif not added:
            continue
        entry = {
            "subscriber_id": person[0] if person else None,
            "email_hash": hashed,
            "action": event.reason.value,
            "method": "provider",
            "source": event.provider[:200],
            # as apply_suppression: the first line only, length-capped (bounces quote addresses)
            "detail": {"detail": event.detail.splitlines()[0][:300]} if event.detail else {},
            "at": at,
        }
        log.append((hashed if added else None, mover, entry))
    return new_rows, moved, log


def _moved_people(session: Session, moved: dict[str, list[int]]) -> set[int]:
    """Move still-active subscribers to their new state; the ids this statement moved."""
    now = datetime.now(UTC)
    updated: set[int] = set()
    for state, ids in moved.items():
        for i in range(0, len(ids), _IN_CHUNK):
            updated.update(
                session.scalars(
                    update(SubscriberRow)
                    .where(
                        SubscriberRow.id.in_(ids[i : i + _IN_CHUNK]),
                        SubscriberRow.state.in_(ACTIVE),
                    )
                    .values(state=state, updated_at=now)
                    .returning(SubscriberRow.id)
                    .execution_options(synchronize_session=False)
                )
            )
    return updated


def _insert_suppressions(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert suppression rows, skipping hashes already there; the hashes inserted."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        session.execute(insert(SuppressionRow), rows)
        return {r["email_hash"] for r in rows}
    insert_of = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = (
        insert_of(SuppressionRow).on_conflict_do_nothing().returning(SuppressionRow.email_hash)
    )
    return set(session.scalars(statement, rows))
