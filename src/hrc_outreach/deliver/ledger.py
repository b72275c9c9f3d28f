"""The send ledger: the source of truth for who got which edition.

    plan_job   -> the whole job, planned in one transaction before the first request (planner.py)
    run_job    -> claim, submit, record; resumes after any crash (runner.py)
    job_report -> per language: planned, accepted, failed, in doubt, suppressed; who missed it
    resolve_in_doubt / retry_failed / give_up_failed -> what a person decides about the recipients
                          the ledger cannot settle (failed, in doubt); retries build new batches

>>> job_id = plan_job(store, settings, "2026-12", messages, "brevo")          # doctest: +SKIP
>>> report = run_job(store, settings, job_id, provider, concurrency=4, rate_per_second=10)  # doctest: +SKIP
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrc_outreach.deliver.planner import Plan, dry_run, idempotency_key, make_plan, plan_job
from hrc_outreach.deliver.recording import rebatch
from hrc_outreach.deliver.report import JobReport, LanguageFigures, Missed, job_report
from hrc_outreach.deliver.runner import arun_job, finish_job, run_job
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import JobState, RecipientState
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
    "give_up_failed",
    "idempotency_key",
    "job_report",
    "make_plan",
    "plan_job",
    "resolve_in_doubt",
    "retry_failed",
    "run_job",
]


class InDoubtDecision(StrEnum):
    RESEND = "resend"  # send again in new batches: whoever did get it gets a second copy
    MARK_SENT = "mark-sent"  # the provider's logs show it went out: record it as accepted


def _job(store: Store, job_id: int) -> SendJobRow:
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        if job is None:
            raise DeliveryError(f"no send job {job_id}")
        return job


def _note(what: str, by: str) -> str:
    if not by.strip():
        raise DeliveryError("say who decides (--by NAME): the decision is recorded with it")
    return f"{what} decided by {by.strip()} at {utcnow():%Y-%m-%d %H:%M} UTC"


def _undecided(job_id: int, state: RecipientState) -> tuple[ColumnElement[bool], ...]:
    """The job's recipients in ``state`` that no person has decided about yet."""
    return (
        SendRecipientRow.job_id == job_id,
        SendRecipientRow.state == state.value,
        SendRecipientRow.resolution.is_(None),
    )


def _send_again(store: Store, job_id: int, state: RecipientState, note: str) -> int:
    """Recipients of the job in ``state`` go into new batches (pending); how many."""
    from hrc_outreach.deliver.planner import provider_max

    job = _job(store, job_id)
    size = provider_max(job.provider)
    for attempt in range(5):
        try:
            with store.session() as s:
                # Take the rows with one guarded UPDATE: a second decision running at the same
                # moment (a double click, two staff members) waits for this one and then finds
                # them no longer in ``state``, so each recipient goes into exactly one new batch.
                taken = s.execute(
                    update(SendRecipientRow)
                    .where(*_undecided(job_id, state))
                    .values(state=RecipientState.PENDING.value, note=note)
                    .returning(SendRecipientRow.id, SendRecipientRow.batch_id)
                    .execution_options(synchronize_session=False)
                ).all()
                if not taken:
                    return 0
                langs = dict(
                    s.execute(
                        select(BatchRow.id, BatchRow.lang).where(
                            BatchRow.id.in_({bid for _rid, bid in taken})
                        )
                    )
                    .tuples()
                    .all()
                )
                rebatch(s, job_id, [(rid, langs[bid]) for rid, bid in taken], size)
                _reopen(s, job_id)
                return len(taken)
        except IntegrityError:  # a sender numbered a new batch at the same moment
            if attempt == 4:
                raise
    return 0


def _settle(store: Store, job_id: int, state: RecipientState, values: dict[str, object]) -> int:
    with store.session() as s:
        done = s.execute(
            update(SendRecipientRow).where(*_undecided(job_id, state)).values(**values)
        )
        return int(getattr(done, "rowcount", 0))


def resolve_in_doubt(store: Store, job_id: int, decision: InDoubtDecision, *, by: str) -> int:
    """A person's decision about the job's in-doubt recipients; returns how many it moved.

    ``resend`` puts them into new batches (sent on the next run); ``mark-sent`` records them as
    accepted. Either way the note says who decided and when.
    """
    _job(store, job_id)
    note = _note(f"in doubt; {decision.value}", by)
    if decision is InDoubtDecision.RESEND:
        return _send_again(store, job_id, RecipientState.IN_DOUBT, note)
    n = _settle(
        store,
        job_id,
        RecipientState.IN_DOUBT,
        {"state": RecipientState.ACCEPTED.value, "note": note},
    )
    finish_job(store, job_id)
    return n


def retry_failed(store: Store, job_id: int, *, by: str = "cli") -> int:
    """Put the job's failed recipients (e.g. a 400 since fixed, a relay that dropped) into new
    batches, sent on the next run; returns how many."""
    return _send_again(store, job_id, RecipientState.FAILED, _note("failed; send again", by))


def give_up_failed(store: Store, job_id: int, *, by: str) -> int:
    """A person's final word: the job's failed recipients stay unsent, and the job can be done."""
    _job(store, job_id)
    n = _settle(store, job_id, RecipientState.FAILED, {"resolution": _note("failed; given up", by)})
    finish_job(store, job_id)
    return n


def _reopen(s: Session, job_id: int) -> None:
    s.execute(
        update(SendJobRow).where(SendJobRow.id == job_id).values(state=JobState.SENDING.value)
    )
