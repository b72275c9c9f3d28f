"""Working a planned send job: claim a batch, commit, ask the provider, commit the answer.

    arun_job / run_job -> recover what a dead sender left mid-request (recovery.py), then N workers
                          each claim a batch, send it, record the answer (recording.py) until none
                          is left; finish_job settles the job from its batches

Every state change is committed on its own before the next step (see :mod:`.recording`), so a
crash at any moment is recoverable: a batch left mid-request is resent with the same idempotency
key or held ``in_doubt`` for a person (see :mod:`.recovery`); ``accepted`` batches are never sent
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import and_, select, update

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import Provider
from hrc_outreach.deliver.recording import (
    Claimed,
    claim_next,
    record_accepted,
    record_end,
    release,
)
from hrc_outreach.deliver.recovery import active_sender, recover
from hrc_outreach.deliver.report import JobReport, report_for_job
from hrc_outreach.deliver.throttle import Throttle, backoff
from hrc_outreach.errors import DeliveryError, ProviderError
from hrc_outreach.models import Batch, BatchState, JobState, Recipient, RenderedMessage, SendResult
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

Progress = Callable[[int, int], None]  # (recipients accepted so far in this run, batch size)


@dataclass
class _Run:
    store: Store
    settings: Settings
    job_id: int
    edition_key: str
    provider: Provider
    messages: dict[str, RenderedMessage]
    me: str
    throttle: Throttle
    retries: int
    recovered: list[Claimed] = field(default_factory=list)
    accepted: int = 0
    progress: Progress | None = None


# ---------------------------------------------------------------------------------- submitting


async def _db(fn: Callable[..., T], *args: Any) -> T:
    """Run a (short, committed) store call in a thread: the other workers' requests go on meanwhile."""
    return await asyncio.to_thread(fn, *args)


def _batch(run: _Run, c: Claimed) -> Batch:
    from hrc_outreach.audience.links import recipient_params  # audience sits beside deliver

    return Batch(
        id=c.row_id,
        job_id=run.job_id,
        lang=c.lang,
        message=run.messages[c.lang],
        recipients=tuple(
            Recipient(
                subscriber_id=sub,
                email=email,
                name=name,
                params=recipient_params(
                    run.settings, subscriber_id=sub, email=email, name=name, lang=c.lang
                ),
            )
            for _rid, sub, email, name in c.recipients
        ),
        idempotency_key=c.key,
        headers={"X-HRC-Edition": run.edition_key},
    )


async def _submit(run: _Run, c: Claimed) -> None:
    if not c.recipients:  # everyone in it unsubscribed since planning
        await _db(
            record_accepted,
            run.store,
            c,
            SendResult(accepted=True, detail="no recipient left to send to"),
            0,
        )
        return
    try:
        batch = _batch(run, c)
    except BaseException:
        if not c.recovered:  # nothing was sent: the batch goes back to the plan
            await _db(release, run.store, c, run.me)
        raise
    name = run.provider.name
    for attempt in range(run.retries + 1):
        await run.throttle.wait()
        try:
            result = await run.provider.send(batch)
        except ProviderError as exc:
            if exc.retry_after:
                run.throttle.pause(exc.retry_after)
            resend_safe = run.provider.idempotent or not exc.in_doubt
            if exc.retryable and resend_safe and attempt < run.retries:
                delay = backoff(
                    attempt, base=run.settings.delivery.backoff_seconds, retry_after=exc.retry_after
                )
                log.info(
                    "batch %s: %s answered %s, retrying in %.1fs", c.seq, name, exc.status, delay
                )
                await asyncio.sleep(delay)
                continue
            what = str(exc) if name in str(exc) else f"{name}: {exc}"
            if exc.in_doubt:
                await _db(
                    record_end,
                    run.store,
                    c,
                    BatchState.IN_DOUBT,
                    f"{what} (the request may have been sent)",
                )
            else:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                await _db(record_end, run.store, c, BatchState.FAILED, what + tries)
            return
        except Exception as exc:  # noqa: BLE001 - a bug or a network fault: the request may be out
            await _db(
                record_end,
                run.store,
                c,
                BatchState.IN_DOUBT,
                f"{name}: unexpected {type(exc).__name__}: {exc}",
            )
            return
        if result.accepted:
            await _db(record_accepted, run.store, c, result, attempt + 1)
            run.accepted += len(c.recipients)
            if run.progress:
                run.progress(run.accepted, len(c.recipients))
        else:
            await _db(
                record_end,
                run.store,
                c,
                BatchState.FAILED,
                f"{name} did not accept the batch: {result.detail}",
            )
        return


async def _worker(run: _Run) -> None:
    while True:
        c = (
            run.recovered.pop(0)
            if run.recovered
            else await _db(claim_next, run.store, run.job_id, run.me)
        )
        if c is None:
            return
        await _submit(run, c)


# --------------------------------------------------------------------------------------- entry


def load_job_messages(
    settings: Settings, job: SendJobRow, messages: dict[str, RenderedMessage] | None
) -> dict[str, RenderedMessage]:
    """The drafts this job was planned for; DeliveryError when they changed since planning."""
    if messages is None:
        from hrc_outreach.render.output import read_rendered

        messages = read_rendered(settings.resolve(settings.out_dir), job.edition_key)
    changed = sorted(
        lang
        for lang, h in job.content_hashes.items()
        if lang not in messages or messages[lang].content_hash() != h
    )
    if changed:
        raise DeliveryError(
            f"send job {job.id} of edition {job.edition_key!r} was planned for other content: "
            f"{', '.join(changed)} changed since. Restore those drafts, or settle the job "
            "(`edition report`) before sending a new version"
        )
    return messages


async def arun_job(
    store: Store,
    settings: Settings,
    job_id: int,
    provider: Provider,
    *,
    concurrency: int | None = None,
    rate_per_second: float | None = None,
    messages: dict[str, RenderedMessage] | None = None,
    progress: Progress | None = None,
) -> JobReport:
    """Send every planned batch of a job (resuming where a crash left it); the job's report."""
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        if job is None:
            raise DeliveryError(
                f"no send job {job_id}; plan one with `hrc-outreach edition send KEY`"
            )
        if job.provider != provider.name:
            raise DeliveryError(
                f"send job {job_id} is for provider {job.provider!r}, not {provider.name!r}"
            )
        msgs = load_job_messages(settings, job, messages)
        edition_key = job.edition_key
    from hrc_outreach.audience.links import recipient_params

    # Links need the token secret: fail here, before any batch is claimed, when it is missing.
    recipient_params(settings, subscriber_id=0, email="check@example.org", name="", lang="en")
    with active_sender() as me:
        run = _Run(
            store=store,
            settings=settings,
            job_id=job_id,
            edition_key=edition_key,
            provider=provider,
            messages=msgs,
            me=me,
            throttle=Throttle(rate_per_second or settings.delivery.rate_per_second),
            retries=settings.delivery.retries,
            progress=progress,
        )
        run.recovered = recover(store, job_id, me, provider)
        with store.session() as s:
            s.execute(
                update(SendJobRow)
                .where(
                    SendJobRow.id == job_id,
                    SendJobRow.state.in_(("planned", "done", "needs_attention")),
                )
                .values(state=JobState.SENDING.value)
            )
        n = max(1, concurrency or settings.delivery.concurrency)
        await asyncio.gather(*(_worker(run) for _ in range(n)))
    return finish_job(store, job_id)


def run_job(
    store: Store,
    settings: Settings,
    job_id: int,
    provider: Provider,
    *,
    concurrency: int | None = None,
    rate_per_second: float | None = None,
    messages: dict[str, RenderedMessage] | None = None,
    progress: Progress | None = None,
) -> JobReport:
    """:func:`arun_job` for synchronous callers (the CLI)."""
    return asyncio.run(
        arun_job(
            store,
            settings,
            job_id,
            provider,
            concurrency=concurrency,
            rate_per_second=rate_per_second,
            messages=messages,
            progress=progress,
        )
    )


def finish_job(store: Store, job_id: int) -> JobReport:
    """Settle the job's state from its batches: done, needs_attention, or still sending."""
    mark_sent = False
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None
        states = set(s.scalars(select(BatchRow.state).where(BatchRow.job_id == job_id).distinct()))
        if not {BatchState.PLANNED.value, BatchState.SUBMITTING.value} & states:
            bad = {BatchState.FAILED.value, BatchState.IN_DOUBT.value} & states
            job.state = (JobState.NEEDS_ATTENTION if bad else JobState.DONE).value
            mark_sent = BatchState.ACCEPTED.value in states  # record_sent is idempotent
            job.finished_at = job.finished_at or utcnow()
    # The job's state is committed first: marking the edition sent can fail (an edition drafted
    # elsewhere), and that must never undo the record of who got it.
    if mark_sent:
        _record_edition_sent(store, job_id)
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None
        return report_for_job(s, job, missed_limit=None)


def _record_edition_sent(store: Store, job_id: int) -> None:
    from hrc_outreach.curate.featured import record_sent  # curate owns the edition's items
    from hrc_outreach.errors import OutreachError

    try:
        with store.session() as s:
            job = s.get(SendJobRow, job_id)
            assert job is not None
            langs = sorted(
                set(
                    s.scalars(
                        select(BatchRow.lang).where(
                            and_(
                                BatchRow.job_id == job_id,
                                BatchRow.state == BatchState.ACCEPTED.value,
                            )
                        )
                    )
                )
            )
            record_sent(s, job.edition_key, langs)
    except OutreachError as exc:
        log.warning("send job %s: could not mark the edition sent: %s", job_id, exc)
