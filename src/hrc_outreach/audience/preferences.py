"""What a subscriber may change on the public preferences page: language, topics, the segments
offered publicly, and a pause until a date (see :mod:`hrc_outreach.audience.consent` for the rest).

>>> segment_tags(["city", "dare"], [Segment(name="voters", tags=("dare",), public=True)], [])
['city']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from hrc_outreach.audience.consent import log_consent, to_subscriber, update_preferences
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.segments import Segment, load_segments, segments_path
from hrc_outreach.audience.tokens import read_token
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.models import Subscriber
from hrc_outreach.store.tables import SubscriberRow

# The kinds of items an edition carries: what a subscriber may choose as topics.
TOPICS = ("practice", "project_update", "event", "news")
MAX_PAUSE_DAYS = 366


def public_segments(settings: Settings) -> list[Segment]:
    """The segments marked ``public: true`` (with at least one tag) in the segments file."""
    return [s for s in load_segments(segments_path(settings)).values() if s.public and s.tags]


def segment_tags(
    current: Sequence[str], offered: Sequence[Segment], chosen: Sequence[str]
) -> list[str]:
    """A subscriber's tags after choosing the ``chosen`` names among the ``offered`` segments:
    a left segment loses all its tags, a joined one gains its first tag, other tags stay."""
    tags = set(current)
    for seg in offered:
        if seg.name in chosen:
            if not tags.intersection(seg.tags):
                tags.add(seg.tags[0])
        else:
            tags.difference_update(seg.tags)
    return sorted(tags)


def pause_until(
    session: Session,
    settings: Settings,
    token: str,
    until: date | None,
    *,
    today: date | None = None,
) -> Subscriber:
    """Pause mailing until the start of ``until`` (UTC), or resume with None; logged if changed.
    AudienceError for a date in the past or more than a year ahead."""
    sid = read_token(links_for(settings).secret, "preferences", token)
    row = session.get(SubscriberRow, sid)
    if row is None:
        raise AudienceError("this preferences link belongs to an address that was erased")
    when = None
    if until is not None:
        first = today or datetime.now(UTC).date()
        if until <= first:
            raise AudienceError(f"a pause must end after today ({first.isoformat()})")
        if until > first + timedelta(days=MAX_PAUSE_DAYS):
            raise AudienceError(f"a pause may last at most {MAX_PAUSE_DAYS} days")
        when = datetime.combine(until, time(0, 0), tzinfo=UTC)
    if row.paused_until != when:
        now = datetime.now(UTC)
        log_consent(
            session,
            subscriber_id=row.id,
            hashed=row.email_hash,
            action="paused" if when else "resumed",
            method="link",
            detail={"until": until.isoformat() if until else None},
            at=now,
        )
        row.paused_until = when
        row.updated_at = now
        session.flush()
    return to_subscriber(row)


def save_preferences(
    session: Session,
    settings: Settings,
    token: str,
    *,
    language: str,
    topics: Sequence[str],
    segments: Sequence[str],
    paused_until: date | None,
) -> Subscriber:
    """Everything the preferences page submits, in one go: unknown topics or segment names are
    refused (AudienceError naming them), nothing changes unless everything is valid."""
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise AudienceError(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(TOPICS)}")
    offered = public_segments(settings)
    names = {s.name for s in offered}
    bad = [n for n in segments if n not in names]
    if bad:
        raise AudienceError(f"segment(s) {', '.join(bad)} cannot be chosen here")
    sid = read_token(links_for(settings).secret, "preferences", token)
    row = session.get(SubscriberRow, sid)
    if row is None:
        raise AudienceError("this preferences link belongs to an address that was erased")
    tags = segment_tags(list(row.segments or ()), offered, segments)
    pause_until(session, settings, token, paused_until)
    return update_preferences(
        session, settings, token, language=language, topics=list(topics), segments=tags
    )


def paused_until_of(session: Session, subscriber_id: int) -> date | None:
    """The day a subscriber's pause ends, or None."""
    row = session.get(SubscriberRow, subscriber_id)
    return row.paused_until.date() if row is not None and row.paused_until else None
