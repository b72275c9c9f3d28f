"""Who may be mailed right now: confirmed subscribers not on the suppression list, in one query.

>>> with store.session() as s:  # doctest: +SKIP
...     members = audience_snapshot(s, languages=settings.i18n.languages)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from hrc_outreach.audience.addresses import email_hash
from hrc_outreach.audience.languages import normalise_language
from hrc_outreach.models import ConsentState, Frozen
from hrc_outreach.store.tables import SubscriberRow, SuppressionRow

__all__ = [
    "AudienceMember",
    "audience_snapshot",
    "email_hash",
    "is_suppressed",
    "iter_audience",
    "suppressed_hashes",
]

SOURCE_LANGUAGE = "en"


class AudienceMember(Frozen):
    """One person to mail, with the configured language their edition is in."""

    subscriber_id: int
    email: str
    name: str
    language: str


def is_suppressed(session: Session, email: str) -> bool:
    """True if ``email`` must never be mailed (unsubscribed, bounced, complained or erased)."""
    return session.get(SuppressionRow, email_hash(email)) is not None


def suppressed_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    """Which of these email hashes are suppressed (chunked IN queries, for bulk checks)."""
    todo = list(dict.fromkeys(hashes))
    found: set[str] = set()
    for i in range(0, len(todo), 1000):
        chunk = todo[i : i + 1000]
        found.update(
            session.scalars(
                select(SuppressionRow.email_hash).where(SuppressionRow.email_hash.in_(chunk))
            )
        )
    return found


def iter_audience(
    session: Session,
    *,
    languages: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    fallback_language: str = SOURCE_LANGUAGE,
    chunk: int = 5_000,
) -> Iterator[tuple[int, str, str, str]]:
    """Confirmed, unsuppressed subscribers ordered by id, as ``(id, email, name, language)``
    tuples streamed from the database (memory does not grow with the audience).

    ``languages``: a subscriber whose language is not among them gets ``fallback_language`` (the
    source language). ``segments``: keep only subscribers tagged with at least one of them.
    """
    suppressed = exists().where(SuppressionRow.email_hash == SubscriberRow.email_hash)
    columns = [SubscriberRow.id, SubscriberRow.email, SubscriberRow.name, SubscriberRow.language]
    if segments is not None:  # decoding every row's JSON costs more than the rest: only if asked
        columns.append(SubscriberRow.segments)
    query = (
        select(*columns)
        .where(SubscriberRow.state == ConsentState.CONFIRMED.value, ~suppressed)
        # a pause chosen on the preferences page: not mailed until it ends
        .where(
            or_(
                SubscriberRow.paused_until.is_(None),
                SubscriberRow.paused_until <= datetime.now(UTC),
            )
        )
        .order_by(SubscriberRow.id)
    )
    wanted = set(segments) if segments is not None else None
    mapped: dict[str, str] = {}  # stored language -> configured one (few distinct values)
    for row in session.execute(query, execution_options={"yield_per": chunk}):
        sid, email, name, lang = row[0], row[1], row[2], row[3]
        if wanted is not None and not wanted.intersection(row[4] or ()):
            continue
        if languages is not None:
            norm = mapped.get(lang)
            if norm is None:
                norm = normalise_language(lang, languages) or fallback_language
                mapped[lang] = norm
            lang = norm
        yield sid, email, name or "", lang


def audience_snapshot(
    session: Session,
    *,
    languages: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    fallback_language: str = SOURCE_LANGUAGE,
) -> list[AudienceMember]:
    """:func:`iter_audience` as a list of members (for small audiences and previews)."""
    return [
        AudienceMember(subscriber_id=sid, email=email, name=name, language=lang)
        for sid, email, name, lang in iter_audience(
            session, languages=languages, segments=segments, fallback_language=fallback_language
        )
    ]


def subscriber_counts(session: Session) -> dict[str, Any]:
    """Subscribers by state and by language (confirmed only), and the suppression list's size."""
    by_state = dict(
        session.execute(select(SubscriberRow.state, func.count()).group_by(SubscriberRow.state))
        .tuples()
        .all()
    )
    by_language = dict(
        session.execute(
            select(SubscriberRow.language, func.count())
            .where(SubscriberRow.state == ConsentState.CONFIRMED.value)
            .group_by(SubscriberRow.language)
        )
        .tuples()
        .all()
    )
    suppressed = session.scalar(select(func.count()).select_from(SuppressionRow)) or 0
    return {
        "total": sum(by_state.values()),
        "by_state": {s.value: int(by_state.get(s.value, 0)) for s in ConsentState},
        "confirmed_by_language": {k: int(v) for k, v in sorted(by_language.items())},
        "suppressed": int(suppressed),
    }
