"""Who got what: a send job's figures per language, and everyone who did not get the edition."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import Frozen, RecipientState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, SendRecipientRow

RECIPIENT_STATES = tuple(s.value for s in RecipientState)


class LanguageFigures(Frozen):
    """One subscriber language: ``planned`` is everyone in the plan; the rest split it."""

    planned: int = 0
    accepted: int = 0
    failed: int = 0
    in_doubt: int = 0
    suppressed: int = 0
    pending: int = 0  # not sent yet (the job was interrupted, or is still running)
    submitting: int = 0  # their batch is with a sender right now (or was, when it died)
    fallback: int = 0  # got the source language's message: no message in their language


class Missed(Frozen):
    """Someone who did not get the edition, and why."""

    email: str
    lang: str
    state: str
    batch_seq: int
    reason: str = ""


class BatchIssue(Frozen):
    seq: int
    lang: str
    state: str
    size: int
    attempts: int
    error: str = ""


class JobReport(Frozen):
    job_id: int
    edition_key: str
    provider: str
    state: str
    languages: dict[str, LanguageFigures]
    batches: dict[str, int]  # batch state -> count
    issues: tuple[BatchIssue, ...] = ()  # failed and in-doubt batches
    missed: tuple[Missed, ...] = ()
    fallbacks: dict[str, str] = {}
    held_by: tuple[str, ...] = ()  # live senders still working batches of this job
    open_failed: int = 0  # failed recipients nobody has given up on yet (`--give-up-failed`)

    @property
    def totals(self) -> LanguageFigures:
        fields = LanguageFigures.model_fields
        return LanguageFigures(
            **{f: sum(getattr(v, f) for v in self.languages.values()) for f in fields}
        )

    @property
    def complete(self) -> bool:
        return self.state == "done"

    @property
    def waiting_for_a_person(self) -> int:
        """Recipients only a person's decision can settle: failed (not given up) or in doubt."""
        return self.totals.in_doubt + self.open_failed

    @property
    def finished_by_others(self) -> bool:
        """Nothing waits for a person, and what is left is in the hands of live senders."""
        return self.state == "sending" and bool(self.held_by) and not self.waiting_for_a_person

    def as_json(self) -> dict[str, object]:
        """The report for ``--json``: everything, plus the totals over all languages."""
        return {**self.model_dump(mode="json"), "totals": self.totals.model_dump()}


def _job_for(s: Session, edition_key: str, provider: str | None) -> SendJobRow:
    q = select(SendJobRow).where(SendJobRow.edition_key == edition_key)
    if provider:
        q = q.where(SendJobRow.provider == provider)
    jobs = s.scalars(q.order_by(SendJobRow.id)).all()
    if not jobs:
        raise DeliveryError(
            f"edition {edition_key!r} has no send job"
            + (f" with provider {provider!r}" if provider else "")
            + f"; send it first with `hrc-outreach edition send {edition_key}`"
        )
    real = [j for j in jobs if j.provider != "outbox"]
    return (real or jobs)[-1]


def job_report(
    store: Store, edition_key: str, *, provider: str | None = None, missed_limit: int | None = None
) -> JobReport:
    """Per subscriber language: planned, accepted, failed, in doubt, suppressed, and who did not
    get it (``missed_limit`` caps that list; None lists everyone)."""
    with store.session() as s:
        job = _job_for(s, edition_key, provider)
        return report_for_job(s, job, missed_limit=missed_limit)


_OPEN = (
    RecipientState.FAILED.value,
    RecipientState.IN_DOUBT.value,
    RecipientState.SUBMITTING.value,
)


def report_for_job(s: Session, job: SendJobRow, *, missed_limit: int | None = None) -> JobReport:
    """The job's figures per language, its batches that still hold someone, and who missed it."""
    return JobReport(
        open_failed=_open_failed(s, job.id),
        job_id=job.id,
        edition_key=job.edition_key,
        provider=job.provider,
        state=job.state,
        languages=_language_figures(s, job.id),
        batches=_batch_counts(s, job.id),
        issues=_issues(s, job.id),
        missed=_missed(s, job.id, missed_limit),
        fallbacks=dict((job.plan or {}).get("fallbacks", {})),
    )


def _language_figures(s: Session, job_id: int) -> dict[str, LanguageFigures]:
    """Per subscriber language: how many are in each recipient state, and how many got the
    source language's message for want of their own."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lang, state, n in s.execute(
        select(SendRecipientRow.lang, SendRecipientRow.state, func.count())
        .where(SendRecipientRow.job_id == job_id)
        .group_by(SendRecipientRow.lang, SendRecipientRow.state)
    ):
        counts[lang][state] += n
    fallback: dict[str, int] = dict(
        s.execute(
            select(SendRecipientRow.lang, func.count())
            .join(BatchRow, BatchRow.id == SendRecipientRow.batch_id)
            .where(SendRecipientRow.job_id == job_id, BatchRow.lang != SendRecipientRow.lang)
            .group_by(SendRecipientRow.lang)
        )
        .tuples()
        .all()
    )
    return {
        lang: LanguageFigures(
            planned=sum(c.values()),
            **{st.value: c[st.value] for st in RecipientState if st is not RecipientState.ACCEPTED},
            accepted=c[RecipientState.ACCEPTED.value],
            fallback=fallback.get(lang, 0),
        )
        for lang, c in sorted(counts.items())
    }


def _batch_counts(s: Session, job_id: int) -> dict[str, int]:
    return dict(
        s.execute(
            select(BatchRow.state, func.count())
            .where(BatchRow.job_id == job_id)
            .group_by(BatchRow.state)
        )
        .tuples()
        .all()
    )


def _issues(s: Session, job_id: int) -> tuple[BatchIssue, ...]:
    """Failed, in-doubt and mid-request batches that still hold someone (a batch whose people
    were all sent again in new batches is history only)."""
    rows = s.scalars(
        select(BatchRow)
        .where(
            BatchRow.job_id == job_id,
            BatchRow.state.in_(_OPEN),
            exists().where(
                SendRecipientRow.batch_id == BatchRow.id, SendRecipientRow.state.in_(_OPEN)
            ),
        )
        .order_by(BatchRow.seq)
        .limit(200)
    )
    return tuple(
        BatchIssue(
            seq=b.seq,
            lang=b.lang,
            state=b.state,
            size=b.size,
            attempts=b.attempts,
            error=b.error or "",
        )  # fmt: skip
        for b in rows
    )


def _missed(s: Session, job_id: int, limit: int | None) -> tuple[Missed, ...]:
    """Everyone not accepted, with the reason: their own note, else their batch's error, and a
    person's decision where there is one."""
    q = (
        select(
            SendRecipientRow.email,
            SendRecipientRow.lang,
            SendRecipientRow.state,
            BatchRow.seq,
            SendRecipientRow.note,
            BatchRow.error,
            SendRecipientRow.resolution,
        )
        .join(BatchRow, BatchRow.id == SendRecipientRow.batch_id)
        .where(
            SendRecipientRow.job_id == job_id,
            SendRecipientRow.state != RecipientState.ACCEPTED.value,
        )
        .order_by(SendRecipientRow.id)
    )
    if limit is not None:
        q = q.limit(limit)
    return tuple(
        Missed(
            email=e,
            lang=lang,
            state=st,
            batch_seq=seq,
            reason="; ".join(x for x in (note or err or "", res or "") if x),
        )
        for e, lang, st, seq, note, err, res in s.execute(q)
    )


def _open_failed(s: Session, job_id: int) -> int:
    return int(
        s.scalar(
            select(func.count()).where(
                SendRecipientRow.job_id == job_id,
                SendRecipientRow.state == RecipientState.FAILED.value,
                SendRecipientRow.resolution.is_(None),
            )
        )
        or 0
    )
