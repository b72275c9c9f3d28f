"""Planning a send job whole, before the first request: who gets which language, in which batch.

The plan is written in one transaction (job, batches, one row per recipient), so a crash leaves
either no job or a complete one; a second ``send`` finds the job and resumes it unchanged. The
audience is streamed from the database and each batch is written as soon as it is full, so
planning a million recipients holds one open batch per language, never the whole audience.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrc_outreach.approval import require_approval
from hrc_outreach.config import Settings
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import BatchState, Frozen, JobState, RecipientState, RenderedMessage
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, SendRecipientRow

# Fixed namespace: a batch's idempotency key is the same UUID every time it is computed.
_KEY_NAMESPACE = uuid.UUID("6f1d2c3e-8a0b-4f5e-9c7d-2b1a0e3f4d5c")
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


class _Batcher:
    """Deals the streamed audience into batches of at most ``size`` per message language, handing
    each full batch to ``emit(seq, lang, members)``; counts what the plan summary reports."""

    def __init__(
        self,
        langs: Iterable[str],
        source_language: str,
        size: int,
        emit: Callable[[int, str, list[tuple[int, str, str, str]]], None] | None,
    ) -> None:
        if size < 1:
            raise DeliveryError(f"provider batch size must be at least 1, got {size}")
        self.available = set(langs)
        self.source = source_language
        self.size = size
        self.emit = emit
        self.open: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
        self.per_language: Counter[str] = Counter()
        self.fallbacks: dict[str, str] = {}
        self.fallback_counts: Counter[str] = Counter()
        self.seq = 0
        self.recipients = 0

    def add(self, member: tuple[int, str, str, str]) -> None:
        lang = member[3]
        self.per_language[lang] += 1
        if lang not in self.available:
            if self.source not in self.available:
                raise DeliveryError(
                    f"subscribers in {lang!r} have no message and the source language "
                    f"{self.source!r} was not rendered either; draft the edition in "
                    f"{self.source!r} (or in {lang!r}) before sending"
                )
            self.fallbacks[lang] = self.source
            self.fallback_counts[lang] += 1
            lang = self.source
        batch = self.open[lang]
        batch.append(member)
        self.recipients += 1
        if len(batch) >= self.size:
            self._flush(lang)

    def _flush(self, lang: str) -> None:
        members = self.open.pop(lang, [])
        if not members:
            return
        if self.emit is not None:
            self.emit(self.seq, lang, members)
        self.seq += 1

    def close(self) -> dict[str, Any]:
        for lang in sorted(self.open):
            self._flush(lang)
        return {
            "recipients": self.recipients,
            "batches": self.seq,
            "per_language": dict(sorted(self.per_language.items())),
            "fallbacks": self.fallbacks,
            "fallback_counts": dict(self.fallback_counts),
        }


class DryRun(Frozen):
    """What :func:`plan_job` would plan now (``send --dry-run``): counts only."""

    recipients: int
    batches: int
    per_language: dict[str, int]
    fallbacks: dict[str, str]
    fallback_counts: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return self.model_dump()


def dry_run(
    store: Store,
    settings: Settings,
    messages: dict[str, RenderedMessage],
    provider_name: str,
    *,
    max_recipients: int | None = None,
) -> DryRun:
    """What :func:`plan_job` would plan now, without writing anything (streamed, counts only)."""
    dealer = _Batcher(
        messages,
        settings.i18n.source_language,
        max_recipients or provider_max(provider_name),
        None,
    )
    with store.session() as s:
        for member in stream_audience(s, settings):
            dealer.add(member)
        s.rollback()
    return DryRun(**dealer.close())


def stream_audience(session: Session, settings: Settings) -> Iterator[tuple[int, str, str, str]]:
    """The audience to mail, streamed: confirmed, not suppressed, every configured language."""
    from hrc_outreach.audience.snapshot import iter_audience  # audience sits beside deliver

    return iter_audience(
        session,
        languages=settings.i18n.languages,
        fallback_language=settings.i18n.source_language,
    )


def snapshot(session: Session, settings: Settings) -> list[Any]:
    """The audience to mail as a list (small audiences, tests): see :func:`stream_audience`."""
    from hrc_outreach.audience.snapshot import audience_snapshot

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
    audience: Callable[[Session], Iterable[tuple[int, str, str, str]]] | None = None,
    source_language: str | None = None,
) -> int:
    """Plan the whole job in one transaction and return its id; an existing job is returned as is.

    Batches hold at most ``max_recipients`` (default: the provider's own maximum). ``audience``
    streams who to plan in the planning session (default: :func:`stream_audience`, everyone); a
    member whose language has no message gets ``source_language``'s (default: the configured one).

    >>> plan_job(store, settings, "2026-12", messages, "brevo")  # doctest: +SKIP
    1
    """
    approval_id = require_approval(store, edition_key, messages, provider=provider_name).id
    if max_recipients is None:
        max_recipients = provider_max(provider_name)
    with store.session() as s:
        existing = find_job(s, edition_key, provider_name)
        if existing is not None:
            return existing.id
        _refuse_other_provider(s, edition_key, provider_name)
    try:
        with store.session() as s:
            job = SendJobRow(
                edition_key=edition_key,
                provider=provider_name,
                state=JobState.PLANNED.value,
                content_hashes={lang: m.content_hash() for lang, m in sorted(messages.items())},
                plan={},
                approval_id=approval_id,
            )
            s.add(job)
            s.flush()  # the job's id, for the batches' keys; the unique (edition, provider) holds
            writer = _BatchWriter(s, job.id, edition_key)
            fallback = source_language or settings.i18n.source_language
            dealer = _Batcher(messages, fallback, max_recipients, writer.write)
            for member in (audience or (lambda s_: stream_audience(s_, settings)))(s):
                dealer.add(member)
            job.plan = dealer.close()
            return job.id
    except IntegrityError:
        # Another sender planned the same job at the same moment: theirs is the job.
        with store.session() as s:
            existing = find_job(s, edition_key, provider_name)
            if existing is None:
                raise
            return existing.id


_RECIPIENT_COLUMNS = (
    "job_id",
    "batch_id",
    "subscriber_id",
    "email",
    "name",
    "lang",
    "state",
    "note",
    "attempts",
)


class _BatchWriter:
    """Writes one planned batch and its recipients (COPY on PostgreSQL) in the planning session."""

    def __init__(self, s: Session, job_id: int, edition_key: str) -> None:
        self.s = s
        self.job_id = job_id
        self.edition_key = edition_key
        self.postgres = s.get_bind().dialect.name == "postgresql"

    def write(self, seq: int, lang: str, members: list[tuple[int, str, str, str]]) -> None:
        bid = self.s.scalar(
            insert(BatchRow)
            .values(
                job_id=self.job_id,
                seq=seq,
                lang=lang,
                state=BatchState.PLANNED.value,
                idempotency_key=idempotency_key(self.job_id, seq, self.edition_key),
                attempts=0,
                size=len(members),
                response={},
            )
            .returning(BatchRow.id)
        )
        rows = [
            (
                self.job_id,
                bid,
                sid,
                email,
                name,
                mlang,
                RecipientState.PENDING.value,
                None if mlang == lang else f"sent in {lang}: no {mlang} message",
                0,
            )
            for sid, email, name, mlang in members
        ]
        if self.postgres:
            raw: Any = self.s.connection().connection.dbapi_connection
            cols = ", ".join(_RECIPIENT_COLUMNS)
            with raw.cursor() as cur, cur.copy(f"COPY send_recipients ({cols}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
            return
        self.s.execute(
            _RECIPIENTS.insert(), [dict(zip(_RECIPIENT_COLUMNS, r, strict=True)) for r in rows]
        )
