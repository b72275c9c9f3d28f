"""Working a planned send job: claim a batch, commit, ask the provider, commit the answer.

    arun_job / run_job -> recover what a dead sender left mid-request (recovery.py), then N workers
                          each claim a batch, send it, record each recipient's outcome
                          (recording.py) until none is left, while a heartbeat keeps this sender's
                          claims alive; in-doubt recipients are looked up in the provider's log
                          where it has one; finish_job settles the job from its recipients

Every state change is committed on its own before the next step (see :mod:`.recording`), so a
crash at any moment is recoverable: a batch left mid-request is resent with the same idempotency
key within the provider's key window, or held ``in_doubt`` (see :mod:`.recovery`); ``accepted``
recipients are never sent again. Only answers the provider declares safe to retry are retried;
an answer that may follow acceptance is in doubt unless the provider's key makes a resend harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import OperationalError

from hrc_outreach.approval import require_approval
from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import Provider
from hrc_outreach.deliver.recording import (
    ACCEPTED,
    FAILED,
    IN_DOUBT,
    PENDING,
    SUBMITTING,
    Claimed,
    claim_next,
    record_end,
    record_outcome,
    release,
    renew_claims,
)
from hrc_outreach.deliver.recovery import active_sender, key_window, recover, sender_gone
from hrc_outreach.deliver.report import JobReport, report_for_job
from hrc_outreach.deliver.throttle import Throttle, backoff
from hrc_outreach.errors import DeliveryError, ProviderError
from hrc_outreach.models import (
    Batch,
    BatchState,
    JobState,
    Recipient,
    RenderedMessage,
    SendResult,
    is_campaign_key,
)
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendJobRow, SendRecipientRow, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

Progress = Callable[[int, int], None]  # (recipients accepted so far in this run, batch size)
_RECORD_TRIES = 6  # tries to record one answer (waits 0.2 s doubling: about 6 s in all)
_MAX_ROUNDS = 50  # rounds of claiming: recipients never handed over come back in new batches
# The longest a sender waits before trying a batch again (a provider's Retry-After included): a
# provider asking for longer (a daily quota) ends the batch now, with its words, for a person.
MAX_WAIT = 60.0


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
    lease: float
    recovered: list[Claimed] = field(default_factory=list)
    accepted: int = 0
    progress: Progress | None = None


# ---------------------------------------------------------------------------------- submitting


async def _db(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run a (short, committed) store call in a thread: the other workers' requests go on meanwhile."""
    return await asyncio.to_thread(fn, *args, **kw)


async def _keep(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """:func:`_db` for recording what a provider answered: that answer exists nowhere else, so a
    dropped database connection or a lock held too long does not lose it (which would leave the
    batch to be found mid-request, in doubt): it is recorded again on a fresh connection. Each
    recording is one transaction, rolled back whole on failure, and guarded by the batch's state,
    so a second try after a commit whose reply was lost changes nothing."""
    for attempt in range(_RECORD_TRIES):
        try:
            return await _db(fn, *args, **kw)
        except OperationalError as exc:
            if attempt == _RECORD_TRIES - 1:
                raise
            log.warning("could not record an answer (%s); trying again", type(exc.orig).__name__)
            await asyncio.sleep(min(0.2 * 2**attempt, 5.0))
    raise AssertionError("unreachable")


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


def _may_resend(
    run: _Run, exc: ProviderError, c: Claimed, delay: float, attempt: int, doubt: bool
) -> bool:
    """Whether this answer may be followed by the same request again. ``doubt``: an earlier try
    of this batch (or the dead sender it was recovered from) may have been accepted, so even a
    refusal now leaves only the same key, still remembered on arrival, safe."""
    if not exc.retryable or attempt >= run.retries:
        return False
    if exc.retry_after is not None and exc.retry_after > MAX_WAIT:
        return False  # we will not wait that long, and sooner would only be refused again
    if not exc.in_doubt and not doubt:
        return True  # the provider says it took nothing, and nothing before was in doubt
    # It may have taken it: only the same idempotency key, still remembered on arrival, is safe.
    return _key_fresh(run, c, delay)


def _key_fresh(run: _Run, c: Claimed, delay: float = 0.0) -> bool:
    """The provider will still remember the batch's key ``delay`` seconds from now (30 s spare)."""
    window = key_window(run.provider)
    ends = c.first_sent_at + timedelta(seconds=window)
    return bool(window) and utcnow() + timedelta(seconds=delay + 30) < ends


def _still_in_doubt(result: SendResult, why: str) -> SendResult:
    """A partial answer to a resend after a try in doubt: those it calls failed or not sent may
    have been taken by the earlier try (under the key a new batch would not carry)."""
    if not result.failed and not result.not_sent:
        return result
    doubt = dict(result.in_doubt)
    for sub, reason in (*result.failed.items(), *result.not_sent.items()):
        doubt[sub] = f"in doubt: {why}; this try: {reason}"
    return result.model_copy(update={"failed": {}, "not_sent": {}, "in_doubt": doubt})


async def _record(run: _Run, c: Claimed, result: SendResult, requests: int) -> None:
    await _keep(
        record_outcome,
        run.store,
        c,
        run.me,
        result,
        requests,
        max_recipients=run.provider.max_recipients,
        max_attempts=run.retries + 1,
    )
    n = len(c.recipients) - len(result.failed) - len(result.in_doubt) - len(result.not_sent)
    run.accepted += n
    if run.progress:
        run.progress(run.accepted, n)


async def _end(run: _Run, c: Claimed, state: BatchState, why: str) -> None:
    """The batch ends failed or in doubt (its recipients with it), recorded come what may."""
    await _keep(record_end, run.store, c, run.me, state, why)


def _doubtful(doubt: str, last: str = "") -> str:
    tail = f"; last try: {last}" if last and last != doubt else ""
    return f"in doubt: {doubt} (the request may have been accepted){tail}"


async def _submit(run: _Run, c: Claimed) -> None:
    """Send one claimed batch, retrying what the provider says is safe, and record the outcome.

    ``doubt`` says why an earlier try (or the dead sender the batch was recovered from) may have
    been taken: from then on the batch is resent only with its idempotency key still remembered,
    and ends in doubt rather than failed.
    """
    if not c.recipients:  # everyone in it unsubscribed since planning
        await _record(run, c, SendResult(accepted=True, detail="no recipient left"), 0)
        return
    try:
        batch = _batch(run, c)
    except BaseException:
        if not c.recovered:  # nothing was sent: the batch goes back to the plan
            await _db(release, run.store, c, run.me)
        raise
    name = run.provider.name
    doubt = f"{name}: interrupted mid-request by a sender now gone" if c.recovered else ""
    for attempt in range(run.retries + 1):
        await run.throttle.wait()
        if doubt and not _key_fresh(run, c):  # the wait outlasted the key: no resend now
            why = f"not sent again: {name} no longer remembers its idempotency key"
            await _end(run, c, BatchState.IN_DOUBT, f"{_doubtful(doubt)}; {why}")
            return
        try:
            result = await run.provider.send(batch)
        except ProviderError as exc:
            delay, what = await _after_refusal(run, c, exc, attempt)
            doubt = doubt or (what if exc.in_doubt else "")
            if _may_resend(run, exc, c, delay, attempt, bool(doubt)):
                log.info("batch %s: %s answered %s, again in %.1fs", c.seq, name, exc.status, delay)
                await asyncio.sleep(delay)  # the heartbeat keeps the claim meanwhile
                continue
            tries = f" after {attempt + 1} attempts" if attempt else ""
            if doubt:
                await _end(run, c, BatchState.IN_DOUBT, _doubtful(doubt, what))
            else:
                await _end(run, c, BatchState.FAILED, what + tries)
            return
        except Exception as exc:  # noqa: BLE001 - a bug or a network fault: the request may be out
            why = f"{name}: unexpected {type(exc).__name__}: {exc}"
            await _end(run, c, BatchState.IN_DOUBT, f"in doubt: {why}")
            return
        await _answered(run, c, result, attempt, doubt)
        return


async def _after_refusal(
    run: _Run, c: Claimed, exc: ProviderError, attempt: int
) -> tuple[float, str]:
    """The wait before another try (every worker holds back for a Retry-After, capped) and the
    provider's words, naming it."""
    delay = backoff(
        attempt,
        base=run.settings.delivery.backoff_seconds,
        cap=MAX_WAIT,
        retry_after=exc.retry_after,
    )
    if exc.retry_after:
        run.throttle.pause(min(exc.retry_after, MAX_WAIT))
    name = run.provider.name
    return delay, str(exc) if name in str(exc) else f"{name}: {exc}"


async def _answered(run: _Run, c: Claimed, result: SendResult, attempt: int, doubt: str) -> None:
    """Record a provider's answer: per recipient when it took the batch, else failed (or still in
    doubt, when an earlier try may have been taken)."""
    if result.accepted:
        await _record(run, c, _still_in_doubt(result, doubt) if doubt else result, attempt + 1)
        return
    refused = f"{run.provider.name} did not accept the batch: {result.detail}"
    if doubt:
        await _end(run, c, BatchState.IN_DOUBT, _doubtful(doubt, refused))
    else:
        await _end(run, c, BatchState.FAILED, refused)


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


async def _heartbeat(run: _Run) -> None:
    """Renew this sender's claims every quarter lease, so nobody presumes it dead while it waits."""
    while True:
        await asyncio.sleep(run.lease / 4)
        try:
            await _db(renew_claims, run.store, run.me)
        except Exception as exc:  # noqa: BLE001 - a missed renewal is retried; the lease has slack
            log.warning("could not renew the send claims of %s: %s", run.me, exc)


async def _outlive_the_dead(run: _Run) -> bool:
    """Batches other senders hold when this one has nothing left to claim. A holder shows it is
    alive by finishing its batch or renewing its claim (every quarter lease); one that does
    neither for a whole lease is dead, and its batches are recovered in another round (True).
    False when nobody holds anything or every holder showed life (it finishes its own share)."""
    seen = await _db(_held_by_others, run.store, run.job_id, run.me)
    step = min(1.0, run.lease / 8)
    while seen:
        await asyncio.sleep(step)
        now = await _db(_held_by_others, run.store, run.job_id, run.me)
        seen = {bid: at for bid, at in seen.items() if now.get(bid) == at}  # no sign of life yet
        if any(at < utcnow() - timedelta(seconds=run.lease) for at in seen.values()):
            return True
    return await _db(_planned_left, run.store, run.job_id)


def _held_by_others(store: Store, job_id: int, me: str) -> dict[int, Any]:
    with store.session() as s:
        return {
            bid: at
            for bid, at in s.execute(
                select(BatchRow.id, BatchRow.claimed_at).where(
                    BatchRow.job_id == job_id,
                    BatchRow.state == BatchState.SUBMITTING.value,
                    BatchRow.claimed_by != me,
                )
            )
        }


# ----------------------------------------------------------------------------- reconciliation


async def reconcile(run: _Run) -> int:
    """Look in-doubt recipients up in the provider's own log (where it offers one): those it has
    are recorded accepted with its message id; the others stay in doubt, with when we looked."""
    with run.store.session() as s:
        rows = s.execute(
            select(
                SendRecipientRow.id,
                SendRecipientRow.subscriber_id,
                SendRecipientRow.email,
                SendRecipientRow.name,
                BatchRow.id,
                BatchRow.lang,
                BatchRow.idempotency_key,
            )
            .join(BatchRow, BatchRow.id == SendRecipientRow.batch_id)
            .where(SendRecipientRow.job_id == run.job_id, SendRecipientRow.state == IN_DOUBT)
            .order_by(BatchRow.id, SendRecipientRow.id)
        ).all()
    by_batch: dict[int, list[Any]] = {}
    for row in rows:
        by_batch.setdefault(row[4], []).append(row)
    settled = 0
    for bid, members in by_batch.items():
        lang, key = members[0][5], members[0][6]
        if lang not in run.messages:
            continue
        batch = Batch(
            id=bid,
            job_id=run.job_id,
            lang=lang,
            message=run.messages[lang],
            recipients=tuple(
                Recipient(subscriber_id=sub, email=email, name=name)
                for _rid, sub, email, name, *_ in members
            ),
            idempotency_key=key,
        )
        try:
            found = await run.provider.lookup(batch)
        except ProviderError as exc:
            log.warning("batch %s: could not look it up at %s: %s", bid, run.provider.name, exc)
            continue
        if found is None:
            return settled  # the provider offers no look-up
        settled += await _db(_settle_looked_up, run.store, members, found, run.provider.name)
    return settled


def _settle_looked_up(store: Store, members: list[Any], found: dict[int, str], name: str) -> int:
    now = f"{utcnow():%Y-%m-%d %H:%M} UTC"
    with store.session() as s:
        for rid, sub, *_ in members:
            if sub in found:
                values = {"state": ACCEPTED, "message_id": found[sub][:300] or None,
                          "note": f"in doubt, then found in {name}'s log at {now}"}  # fmt: skip
            else:
                values = {"note": f"in doubt: not in {name}'s log when looked up at {now}; "
                          "a person decides"}  # fmt: skip
            s.execute(
                update(SendRecipientRow)
                .where(SendRecipientRow.id == rid, SendRecipientRow.state == IN_DOUBT)
                .values(**values)
            )
    return sum(1 for _rid, sub, *_ in members if sub in found)


# --------------------------------------------------------------------------------------- entry


def load_job_messages(
    store: Store, job: SendJobRow, messages: dict[str, RenderedMessage] | None
) -> dict[str, RenderedMessage]:
    """The drafts this job was planned for (from the store unless given); DeliveryError when
    they changed since planning."""
    if messages is None:
        from hrc_outreach.render.output import load_drafts

        messages = load_drafts(store, job.edition_key)
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


def _planned_left(store: Store, job_id: int) -> bool:
    with store.session() as s:
        return (
            s.scalar(
                select(BatchRow.id)
                .where(BatchRow.job_id == job_id, BatchRow.state == BatchState.PLANNED.value)
                .limit(1)
            )
            is not None
        )


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
    edition_key, msgs = _open_job(store, settings, job_id, provider, messages)
    lease = settings.delivery.claim_lease_seconds
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
            lease=lease,
            progress=progress,
        )
        heartbeat = asyncio.create_task(_heartbeat(run))
        try:
            n = max(1, concurrency or settings.delivery.concurrency)
            for _round in range(_MAX_ROUNDS):
                run.recovered = recover(store, job_id, me, provider, lease=lease)
                await asyncio.gather(*(_worker(run) for _ in range(n)))
                if not _planned_left(store, job_id) and not await _outlive_the_dead(run):
                    break
        finally:
            heartbeat.cancel()
        await reconcile(run)
    return finish_job(store, job_id, lease=lease)


def _open_job(
    store: Store,
    settings: Settings,
    job_id: int,
    provider: Provider,
    messages: dict[str, RenderedMessage] | None,
) -> tuple[str, dict[str, RenderedMessage]]:
    """Check that the job may be worked now, and mark it sending: its edition key and drafts.

    Refused before any batch is claimed: no such job, another provider's job, drafts changed
    since planning, no approval that holds for them (checked on every run, not only at planning:
    a person may have rejected the edition since), no token secret for the links.
    """
    from hrc_outreach.audience.links import recipient_params

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
        msgs = load_job_messages(store, job, messages)
        edition_key = job.edition_key
    require_approval(store, edition_key, msgs, provider=provider.name)
    recipient_params(settings, subscriber_id=0, email="check@example.org", name="", lang="en")
    with store.session() as s:
        s.execute(
            update(SendJobRow)
            .where(
                SendJobRow.id == job_id,
                SendJobRow.state.in_(
                    (JobState.PLANNED.value, JobState.DONE.value, JobState.NEEDS_ATTENTION.value)
                ),
            )
            .values(state=JobState.SENDING.value)
        )
    return edition_key, msgs


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


def live_holders(store: Store, job_id: int, lease: float) -> list[str]:
    """Senders that hold batches of the job and are alive (their claims are renewed)."""
    with store.session() as s:
        rows = s.execute(
            select(BatchRow.claimed_by, func.max(BatchRow.claimed_at))
            .where(BatchRow.job_id == job_id, BatchRow.state == BatchState.SUBMITTING.value)
            .group_by(BatchRow.claimed_by)
        ).all()
    return sorted(by for by, at in rows if by and not sender_gone(by, at, lease))


def job_state(counts: dict[str, int]) -> JobState:
    """Done only when every recipient is accepted, suppressed or failed for good by a person's
    decision; needs attention when nothing is left to send but someone failed or is in doubt."""
    if counts.get(PENDING, 0) or counts.get(SUBMITTING, 0):
        return JobState.SENDING
    if counts.get(IN_DOUBT, 0) or counts.get("failed_open", 0):
        return JobState.NEEDS_ATTENTION
    return JobState.DONE


def recipient_counts(s: Any, job_id: int) -> dict[str, int]:
    counts: dict[str, int] = dict(
        s.execute(
            select(SendRecipientRow.state, func.count())
            .where(SendRecipientRow.job_id == job_id)
            .group_by(SendRecipientRow.state)
        )
        .tuples()
        .all()
    )
    counts["failed_open"] = int(
        s.scalar(
            select(func.count()).where(
                SendRecipientRow.job_id == job_id,
                SendRecipientRow.state == FAILED,
                SendRecipientRow.resolution.is_(None),
            )
        )
        or 0
    )
    return counts


def finish_job(store: Store, job_id: int, *, lease: float | None = None) -> JobReport:
    """Settle the job's state from its recipients: done, needs_attention, or still sending."""
    from hrc_outreach.deliver.recovery import LEASE_SECONDS

    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None
        counts = recipient_counts(s, job_id)
        state = job_state(counts)
        job.state = state.value
        if state is not JobState.SENDING:
            job.finished_at = job.finished_at or utcnow()
        mark_sent = counts.get(ACCEPTED, 0) > 0
    # The job's state is committed first: marking the edition sent can fail (an edition drafted
    # elsewhere), and that must never undo the record of who got it.
    if mark_sent:
        _record_edition_sent(store, job_id)  # a campaign step's job is its own record
    holders = live_holders(store, job_id, lease or LEASE_SECONDS)
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None
        report = report_for_job(s, job, missed_limit=1000)
    return report.model_copy(update={"held_by": tuple(holders)})


def _record_edition_sent(store: Store, job_id: int) -> None:
    from hrc_outreach.curate.featured import record_sent  # curate owns the edition's items
    from hrc_outreach.errors import OutreachError

    try:
        with store.session() as s:
            job = s.get(SendJobRow, job_id)
            assert job is not None
            if is_campaign_key(job.edition_key):
                return
            langs = sorted(
                set(
                    s.scalars(
                        select(BatchRow.lang)
                        .where(
                            and_(
                                BatchRow.job_id == job_id,
                                BatchRow.state == BatchState.ACCEPTED.value,
                            )
                        )
                        .distinct()
                    )
                )
            )
            record_sent(s, job.edition_key, langs)
    except OutreachError as exc:
        log.warning("send job %s: could not mark the edition sent: %s", job_id, exc)
