"""Planning a send job whole, before the first request: who gets which language, in which batch.

The plan is written in one transaction (job, batches, one row per recipient), so a crash leaves
either no job or a complete one; a second ``send`` finds the job and resumes it unchanged.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrc_outreach.config import Settings
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import BatchState, Frozen, JobState, RenderedMessage
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, SendRecipientRow

# Fixed namespace: a batch's idempotency key is the same UUID every time it is computed.
_KEY_NAMESPACE = uuid.UUID("6f1d2c3e-8a0b-4f5e-9c7d-2b1a0e3f4d5c")
_INSERT_CHUNK = 5_000
# Core (not ORM) inserts: 100,000 plain rows, no objects to track.
_RECIPIENTS = cast(Table, SendRecipientRow.__table__)


class Member(Protocol):
    """What planning needs of an audience member (``audience.snapshot.AudienceMember``)."""

    subscriber_id: int
    email: str
    name: str
    language: str


class PlannedBatch(Frozen):
    seq: int
    lang: str  # the language of the message this batch carries
    members: tuple[int, ...]  # indexes into the snapshot


class Plan(Frozen):
    """What a job will send; computed without writing anything (``send --dry-run``)."""

    batches: tuple[PlannedBatch, ...]
    per_language: dict[str, int]  # subscribers by their own language
    fallbacks: dict[str, str]  # subscriber language -> message language used instead
    fallback_counts: dict[str, int]

    @property
    def recipients(self) -> int:
        return sum(len(b.members) for b in self.batches)

    def summary(self) -> dict[str, Any]:
        return {
            "recipients": self.recipients,
            "batches": len(self.batches),
            "per_language": self.per_language,
            "fallbacks": self.fallbacks,
            "fallback_counts": self.fallback_counts,
        }


def idempotency_key(job_id: int, seq: int, edition_key: str) -> str:
    """The batch's idempotency key: a UUID that depends only on (edition, job, seq).

    >>> idempotency_key(1, 0, "2026-12") == idempotency_key(1, 0, "2026-12")
    True
    """
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{edition_key}\x1f{job_id}\x1f{seq}"))


def make_plan(
    members: Sequence[Member],
    langs: Iterable[str],
    *,
    source_language: str,
    max_recipients: int,
) -> Plan:
    """Group the snapshot by message language and cut it into batches of ``max_recipients``.

    A subscriber whose language has no rendered message gets the source language's message (and
    is counted in ``fallbacks``), never dropped.
    """
    available = set(langs)
    if max_recipients < 1:
        raise DeliveryError(f"provider batch size must be at least 1, got {max_recipients}")
    by_lang: dict[str, list[int]] = defaultdict(list)
    per_language: Counter[str] = Counter()
    fallbacks: dict[str, str] = {}
    fallback_counts: Counter[str] = Counter()
    for i, m in enumerate(members):
        per_language[m.language] += 1
        lang = m.language
        if lang not in available:
            if source_language not in available:
                raise DeliveryError(
                    f"subscribers in {lang!r} have no message and the source language "
                    f"{source_language!r} was not rendered either; draft the edition in "
                    f"{source_language!r} (or in {lang!r}) before sending"
                )
            fallbacks[lang] = source_language
            fallback_counts[lang] += 1
            lang = source_language
        by_lang[lang].append(i)
    batches: list[PlannedBatch] = []
    for lang in sorted(by_lang):
        idx = sorted(by_lang[lang], key=lambda i: members[i].subscriber_id)
        for start in range(0, len(idx), max_recipients):
            chunk = tuple(idx[start : start + max_recipients])
            batches.append(PlannedBatch(seq=len(batches), lang=lang, members=chunk))
    return Plan(
        batches=tuple(batches),
        per_language=dict(sorted(per_language.items())),
        fallbacks=fallbacks,
        fallback_counts=dict(fallback_counts),
    )


def provider_max(provider_name: str) -> int:
    """Recipients per request the provider takes (FACTS.md), from its class."""
    from hrc_outreach.deliver.providers import provider_class

    return int(provider_class(provider_name).max_recipients)


def dry_run(
    store: Store,
    settings: Settings,
    messages: dict[str, RenderedMessage],
    provider_name: str,
    *,
    max_recipients: int | None = None,
) -> Plan:
    """What :func:`plan_job` would plan now, without writing anything."""
    with store.session() as s:
        members = snapshot(s, settings)
        s.rollback()
    return make_plan(
        members,
        messages,
        source_language=settings.i18n.source_language,
        max_recipients=max_recipients or provider_max(provider_name),
    )


def snapshot(session: Session, settings: Settings) -> list[Any]:
    """The audience to mail: confirmed, not suppressed, every configured language."""
    from hrc_outreach.audience.snapshot import audience_snapshot  # audience sits beside deliver

    return audience_snapshot(
        session,
        languages=settings.i18n.languages,
        fallback_language=settings.i18n.source_language,
    )


def find_job(session: Session, edition_key: str, provider_name: str) -> SendJobRow | None:
    return session.scalars(
        select(SendJobRow).where(
            SendJobRow.edition_key == edition_key, SendJobRow.provider == provider_name
        )
    ).first()


def _refuse_other_provider(session: Session, edition_key: str, provider_name: str) -> None:
    # A second job with another real provider would mail the same people twice. The outbox only
    # writes files, so a trial run there never blocks a real send (and vice versa).
    if provider_name == "outbox":
        return
    others = session.scalars(
        select(SendJobRow).where(
            SendJobRow.edition_key == edition_key,
            SendJobRow.provider != provider_name,
            SendJobRow.provider != "outbox",
        )
    ).all()
    if others:
        o = others[0]
        raise DeliveryError(
            f"edition {edition_key!r} already has send job {o.id} with provider {o.provider!r} "
            f"(state {o.state}); sending it again with {provider_name!r} would mail people twice. "
            f"Resume it with `hrc-outreach edition send {edition_key} --provider {o.provider}`"
        )


def plan_job(
    store: Store,
    settings: Settings,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    provider_name: str,
    *,
    max_recipients: int | None = None,
    approval_id: int | None = None,
) -> int:
    """Plan the whole job in one transaction and return its id; an existing job is returned as is.

    Batches hold at most ``max_recipients`` (default: the provider's own maximum).

    >>> plan_job(store, settings, "2026-12", messages, "brevo")  # doctest: +SKIP
    1
    """
    if max_recipients is None:
        max_recipients = provider_max(provider_name)
    with store.session() as s:
        existing = find_job(s, edition_key, provider_name)
        if existing is not None:
            return existing.id
        _refuse_other_provider(s, edition_key, provider_name)
    try:
        with store.session() as s:
            members = snapshot(s, settings)
            plan = make_plan(
                members,
                messages,
                source_language=settings.i18n.source_language,
                max_recipients=max_recipients,
            )
            job = SendJobRow(
                edition_key=edition_key,
                provider=provider_name,
                state=JobState.PLANNED.value,
                content_hashes={lang: m.content_hash() for lang, m in sorted(messages.items())},
                plan=plan.summary(),
                approval_id=approval_id,
            )
            s.add(job)
            s.flush()  # the job's id, for the batches' keys; the unique (edition, provider) holds
            _write_batches(s, job.id, edition_key, plan, members)
            return job.id
    except IntegrityError:
        # Another sender planned the same job at the same moment: theirs is the job.
        with store.session() as s:
            existing = find_job(s, edition_key, provider_name)
            if existing is None:
                raise
            return existing.id


def _write_batches(
    s: Session, job_id: int, edition_key: str, plan: Plan, members: Sequence[Member]
) -> None:
    batch_rows = [
        {
            "job_id": job_id,
            "seq": b.seq,
            "lang": b.lang,
            "state": BatchState.PLANNED.value,
            "idempotency_key": idempotency_key(job_id, b.seq, edition_key),
            "attempts": 0,
            "size": len(b.members),
            "response": {},
        }
        for b in plan.batches
    ]
    ids: dict[int, int] = {}
    for start in range(0, len(batch_rows), _INSERT_CHUNK):
        result = s.execute(
            insert(BatchRow).returning(BatchRow.id, BatchRow.seq, sort_by_parameter_order=True),
            batch_rows[start : start + _INSERT_CHUNK],
        )
        ids.update({seq: bid for bid, seq in result.all()})
    rows = (
        {
            "job_id": job_id,
            "batch_id": ids[b.seq],
            "subscriber_id": members[i].subscriber_id,
            "email": members[i].email,
            "name": members[i].name or "",
            "lang": members[i].language,
            "state": "planned",
            "note": None
            if members[i].language == b.lang
            else f"sent in {b.lang}: no {members[i].language} message",
        }
        for b in plan.batches
        for i in b.members
    )
    if s.get_bind().dialect.name == "postgresql":
        _copy_rows(s, rows)
        return
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _INSERT_CHUNK:
            s.execute(_RECIPIENTS.insert(), chunk)
            chunk = []
    if chunk:
        s.execute(_RECIPIENTS.insert(), chunk)


def _copy_rows(s: Session, rows: Iterable[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the recipients in, inside the session's transaction (an executemany of
    100,000 INSERTs is a round trip each)."""
    cols = ("job_id", "batch_id", "subscriber_id", "email", "name", "lang", "state", "note")
    raw: Any = s.connection().connection.dbapi_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY send_recipients ({', '.join(cols)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[c] for c in cols))
