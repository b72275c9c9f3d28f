"""The send ledger: the source of truth for who got which edition.

    plan_job   -> the whole job, planned in one transaction before the first request (planner.py)
    run_job    -> claim, submit, record; resumes after any crash (runner.py)
    job_report -> per language: planned, accepted, failed, in doubt, suppressed; who missed it
    resolve_in_doubt / retry_failed -> what a person decides about batches the ledger cannot settle

>>> job_id = plan_job(store, settings, "2026-12", messages, "brevo")          # doctest: +SKIP
>>> report = run_job(store, settings, job_id, provider, concurrency=4, rate_per_second=10)  # doctest: +SKIP
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hrc_outreach.deliver.planner import Plan, dry_run, idempotency_key, make_plan, plan_job
from hrc_outreach.deliver.report import JobReport, LanguageFigures, Missed, job_report
from hrc_outreach.deliver.runner import arun_job, finish_job, run_job
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import BatchState, JobState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, SendRecipientRow, utcnow

__all__ = [
    "InDoubtDecision",
    "JobReport",
    "LanguageFigures",
    "Missed",
    "Plan",
    "arun_job",
    "dry_run",
    "idempotency_key",
    "job_report",
    "make_plan",
    "plan_job",
    "resolve_in_doubt",
    "retry_failed",
    "run_job",
]


class InDoubtDecision(StrEnum):
    RESEND = "resend"  # send again (same idempotency key): someone may get it twice
    MARK_SENT = "mark-sent"  # the provider's logs show it went out: record it as accepted


def _job(store: Store, job_id: int) -> SendJobRow:
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        if job is None:
            raise DeliveryError(f"no send job {job_id}")
        return job


def resolve_in_doubt(store: Store, job_id: int, decision: InDoubtDecision, *, by: str) -> int:
    """A person's decision about the job's in-doubt batches; returns how many batches it moved.

    ``resend`` puts them back in the plan (the next run sends them with the same key);
    ``mark-sent`` records them as accepted, noting who decided.
    """
    _job(store, job_id)
    note = f"in doubt; {decision.value} decided by {by} at {utcnow():%Y-%m-%d %H:%M} UTC"
    with store.session() as s:
        ids = list(
            s.scalars(
                select(BatchRow.id).where(
                    BatchRow.job_id == job_id, BatchRow.state == BatchState.IN_DOUBT.value
                )
            )
        )
        if not ids:
            return 0
        if decision is InDoubtDecision.RESEND:
            batch_state, rcpt_state = BatchState.PLANNED.value, "planned"
        else:
            batch_state, rcpt_state = BatchState.ACCEPTED.value, "accepted"
        s.execute(
            update(BatchRow)
            .where(BatchRow.id.in_(ids), BatchRow.state == BatchState.IN_DOUBT.value)
            .values(
                state=batch_state,
                error=note,
                finished_at=None if batch_state == "planned" else utcnow(),
            )
        )
        s.execute(
            update(SendRecipientRow)
            .where(SendRecipientRow.batch_id.in_(ids), SendRecipientRow.state == "in_doubt")
            .values(state=rcpt_state, note=note)
        )
        _reopen(s, job_id, decision is InDoubtDecision.RESEND)
    if decision is InDoubtDecision.MARK_SENT:
        finish_job(store, job_id)
    return len(ids)


def retry_failed(store: Store, job_id: int) -> int:
    """Put the job's failed batches (e.g. a 400 since fixed) back in the plan; returns how many."""
    _job(store, job_id)
    with store.session() as s:
        ids = list(
            s.scalars(
                select(BatchRow.id).where(
                    BatchRow.job_id == job_id, BatchRow.state == BatchState.FAILED.value
                )
            )
        )
        if not ids:
            return 0
        s.execute(
            update(BatchRow)
            .where(BatchRow.id.in_(ids), BatchRow.state == BatchState.FAILED.value)
            .values(state=BatchState.PLANNED.value, finished_at=None)
        )
        s.execute(
            update(SendRecipientRow)
            .where(SendRecipientRow.batch_id.in_(ids), SendRecipientRow.state == "failed")
            .values(state="planned")
        )
        _reopen(s, job_id, True)
    return len(ids)


def _reopen(s: Session, job_id: int, reopen: bool) -> None:
    if not reopen:
        return
    s.execute(
        update(SendJobRow).where(SendJobRow.id == job_id).values(state=JobState.SENDING.value)
    )
