"""Working a planned send job: claim a batch, commit, ask the provider, commit the answer.

Every state change is committed on its own, in this order, so a crash at any moment is recoverable:

    planned --claim (committed BEFORE the request)--> submitting --answer--> accepted | failed | in_doubt

A batch found in ``submitting`` whose sender is gone was interrupted mid-request: nobody knows
whether the provider took it. With an idempotent provider (Brevo) it is sent again with the SAME
idempotency key, so the provider drops the repeat; otherwise it is held as ``in_doubt`` for a person
(:func:`resolve_in_doubt`), never blindly resent. ``accepted`` batches are never sent again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, select, text, update
from sqlalchemy.orm import Session

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import Provider
from hrc_outreach.deliver.report import JobReport, report_for_job
from hrc_outreach.deliver.throttle import Throttle, backoff
from hrc_outreach.errors import DeliveryError, ProviderError
from hrc_outreach.models import Batch, BatchState, JobState, Recipient, RenderedMessage, SendResult
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    BatchRow,
    SendJobRow,
    SendRecipientRow,
    SubscriberRow,
    SuppressionRow,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_HOST = socket.gethostname()
_ACTIVE_RUNS: set[str] = set()  # run tokens of senders alive in this process
LEASE_SECONDS = 600.0  # a sender on another host silent this long is presumed dead
IDEMPOTENCY_WINDOW_SECONDS = 900.0  # Brevo keeps keys 15-30 min: past that a resend could duplicate

# Core executemany by primary key: one batch's message ids (up to 2,000 rows) in one call.
_RCPT = cast(Table, SendRecipientRow.__table__)
_SET_MESSAGE_ID = (
    update(_RCPT)
    .where(_RCPT.c.id == bindparam("rid"))
    .values(state="accepted", message_id=bindparam("mid"))
)
_SET_REFUSED = (
    update(_RCPT)
    .where(_RCPT.c.id == bindparam("rid"))
    .values(state=bindparam("state"), note=bindparam("note"), message_id=None)
)

Progress = Callable[[int, int], None]  # (recipients accepted so far in this run, batch size)


def _now() -> datetime:
    return datetime.now(UTC)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult; typed as Result by SQLAlchemy's session API)."""
    return int(result.rowcount)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sender_gone(
    claimed_by: str | None, claimed_at: datetime | None, lease: float = LEASE_SECONDS
) -> bool:
    """True when the sender that claimed a batch can no longer be working on it."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_s, _, token = rest.partition(":")
    if host == _HOST and pid_s.isdigit():
        pid = int(pid_s)
        if pid == os.getpid():
            return token not in _ACTIVE_RUNS
        return not _pid_alive(pid)
    if claimed_at is None:
        return True
    return claimed_at < _now() - timedelta(seconds=lease)


@dataclass
class _Claimed:
    row_id: int
    seq: int
    lang: str
    key: str
    recipients: list[tuple[int, int, str, str]]  # (row id, subscriber id, email, name)
    recovered: bool = False  # left mid-request by a sender now gone: it may be out already


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
    recovered: list[_Claimed] = field(default_factory=list)
    accepted: int = 0
    progress: Progress | None = None


# ----------------------------------------------------------------------------------- claiming


def _claim_recipients(s: Session, batch_id: int) -> list[tuple[int, int, str, str]]:
    """The batch's recipients who may still be mailed; the others are marked suppressed now.

    One query reads the batch with each person's current consent and suppression: someone who
    unsubscribed, bounced or was erased since planning is not mailed.
    """
    rows = s.execute(
        select(
            SendRecipientRow.id,
            SendRecipientRow.subscriber_id,
            SendRecipientRow.email,
            SendRecipientRow.name,
            SubscriberRow.id,
            SubscriberRow.state,
            SuppressionRow.reason,
        )
        .outerjoin(SubscriberRow, SubscriberRow.id == SendRecipientRow.subscriber_id)
        .outerjoin(SuppressionRow, SuppressionRow.email_hash == SubscriberRow.email_hash)
        .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state == "planned")
        .order_by(SendRecipientRow.id)
    ).all()
    keep: list[tuple[int, int, str, str]] = []
    gone: list[dict[str, Any]] = []
    for rid, sub, email, name, found, state, reason in rows:
        if found is not None and state == "confirmed" and reason is None:
            keep.append((rid, sub, email, name))
            continue
        why = (
            "erased"
            if found is None
            else f"suppressed: {reason}"
            if reason
            else f"no longer subscribed: {state}"
        )
        gone.append({"id": rid, "state": "suppressed", "note": why})
    if gone:
        s.execute(update(SendRecipientRow), gone)
    return keep


def _load_recipients(
    s: Session, batch_id: int, states: tuple[str, ...]
) -> list[tuple[int, int, str, str]]:
    return [
        tuple(r)  # type: ignore[misc]
        for r in s.execute(
            select(
                SendRecipientRow.id,
                SendRecipientRow.subscriber_id,
                SendRecipientRow.email,
                SendRecipientRow.name,
            )
            .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state.in_(states))
            .order_by(SendRecipientRow.id)
        )
    ]


def claim_next(store: Store, job_id: int, me: str) -> _Claimed | None:
    """Claim the next planned batch (committed before any request); None when none is left.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several senders claim side by side; everywhere
    the conditional UPDATE (only a ``planned`` batch becomes ``submitting``) is the guard.
    """
    while True:
        with store.session() as s:
            q = (
                select(BatchRow.id, BatchRow.seq, BatchRow.lang, BatchRow.idempotency_key)
                .where(BatchRow.job_id == job_id, BatchRow.state == BatchState.PLANNED.value)
                .order_by(BatchRow.seq)
                .limit(1)
            )
            if store.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            row = s.execute(q).first()
            if row is None:
                return None
            bid, seq, lang, key = row
            now = _now()
            done = s.execute(
                update(BatchRow)
                .where(BatchRow.id == bid, BatchRow.state == BatchState.PLANNED.value)
                .values(
                    state=BatchState.SUBMITTING.value,
                    claimed_by=me,
                    claimed_at=now,
                    attempts=BatchRow.attempts + 1,
                    # the idempotency key's window runs from its first use, whatever follows
                    response={"first_sent_at": now.isoformat()},
                )
            )
            if _rowcount(done) != 1:  # another sender won it between our SELECT and UPDATE
                continue
            recipients = _claim_recipients(s, bid)
            return _Claimed(row_id=bid, seq=seq, lang=lang, key=key, recipients=recipients)


def recover(store: Store, job_id: int, me: str, provider: Provider) -> list[_Claimed]:
    """Deal with batches left in ``submitting`` by a sender that is gone (a crash mid-request).

    Idempotent provider, within its key window: re-claimed here, to be resent with the same key
    and the same recipients. Otherwise: held as ``in_doubt`` for a person to decide.
    """
    out: list[_Claimed] = []
    with store.session() as s:
        stuck = s.execute(
            select(
                BatchRow.id,
                BatchRow.seq,
                BatchRow.lang,
                BatchRow.idempotency_key,
                BatchRow.claimed_by,
                BatchRow.claimed_at,
                BatchRow.response,
            )
            .where(BatchRow.job_id == job_id, BatchRow.state == BatchState.SUBMITTING.value)
            .order_by(BatchRow.seq)
        ).all()
    window = timedelta(seconds=IDEMPOTENCY_WINDOW_SECONDS)
    for bid, seq, lang, key, by, at, response in stuck:
        if not sender_gone(by, at):
            continue  # another sender is still on it
        first = (response or {}).get("first_sent_at")
        first_at = datetime.fromisoformat(first) if first else at
        with store.session() as s:
            fresh = first_at is not None and first_at > _now() - window
            if provider.idempotent and fresh:
                taken = s.execute(
                    update(BatchRow)
                    .where(
                        BatchRow.id == bid,
                        BatchRow.state == BatchState.SUBMITTING.value,
                        BatchRow.claimed_by == by,
                    )
                    .values(claimed_by=me, claimed_at=_now(), attempts=BatchRow.attempts + 1)
                )
                if _rowcount(taken) == 1:
                    # No suppression re-check: the resend must carry exactly the first payload.
                    out.append(
                        _Claimed(bid, seq, lang, key, _load_recipients(s, bid, ("planned",)), True)
                    )
                continue
            why = (
                f"interrupted mid-request ({by}); {provider.name} has no idempotency key, so it may or "
                "may not have been sent"
                if not provider.idempotent
                else f"interrupted mid-request ({by}) longer ago than the provider keeps idempotency keys"
            )
            taken = s.execute(
                update(BatchRow)
                .where(
                    BatchRow.id == bid,
                    BatchRow.state == BatchState.SUBMITTING.value,
                    BatchRow.claimed_by == by,
                )
                .values(state=BatchState.IN_DOUBT.value, error=why, finished_at=_now())
            )
            if _rowcount(taken) == 1:
                _recipients_to(s, bid, "in_doubt", from_states=("planned",))
    return out


# ---------------------------------------------------------------------------------- recording


def _recipients_to(
    s: Session, batch_id: int, state: str, *, from_states: tuple[str, ...], note: str | None = None
) -> None:
    values: dict[str, Any] = {"state": state}
    if note is not None:
        values["note"] = note
    s.execute(
        update(SendRecipientRow)
        .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state.in_(from_states))
        .values(**values)
    )


def _record_accepted(run: _Run, c: _Claimed, result: SendResult, requests: int) -> None:
    with run.store.session() as s:
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == c.row_id)
            .values(
                state=BatchState.ACCEPTED.value,
                finished_at=_now(),
                error=None,
                size=len(c.recipients),
                response={
                    "detail": result.detail[:500],
                    "message_ids": len(result.message_ids),
                    "requests": requests,
                },
            )
        )
        by_sub = {sub: rid for rid, sub, _e, _n in c.recipients}
        with_ids = [
            {"rid": by_sub[sub], "mid": mid[:300]}
            for sub, mid in result.message_ids.items()
            if sub in by_sub
        ]
        if with_ids and run.store.dialect == "postgresql":
            # one statement for the whole batch: executemany is a round trip per row on psycopg
            s.execute(
                text(
                    "UPDATE send_recipients AS r SET state = 'accepted', message_id = v.mid "
                    "FROM unnest(CAST(:rids AS integer[]), CAST(:mids AS varchar[])) AS v(rid, mid) "
                    "WHERE r.id = v.rid"
                ),
                {"rids": [w["rid"] for w in with_ids], "mids": [w["mid"] for w in with_ids]},
            )
        elif with_ids:
            s.execute(_SET_MESSAGE_ID, with_ids)
        if len(with_ids) < len(c.recipients):  # the provider gave no id for some (or any)
            _recipients_to(s, c.row_id, "accepted", from_states=("planned", "in_doubt"))
        if result.failed:
            # refused one by one (Postmark ErrorCode, SMTP 5xx) or cut off mid-batch: never
            # counted as sent; "in doubt:" ones may have gone out, and a person decides
            refused = [
                {"rid": by_sub[sub], "state": _refusal_state(reason), "note": reason[:500]}
                for sub, reason in result.failed.items()
                if sub in by_sub
            ]
            if refused:
                s.execute(_SET_REFUSED, refused)


def _refusal_state(reason: str) -> str:
    return "in_doubt" if reason.lower().startswith("in doubt") else "failed"


def _record_end(run: _Run, c: _Claimed, state: BatchState, error: str) -> None:
    with run.store.session() as s:
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == c.row_id)
            .values(state=state.value, finished_at=_now(), error=error[:2000])
        )
        _recipients_to(s, c.row_id, state.value, from_states=("planned",))


def _release(run: _Run, c: _Claimed) -> None:
    with run.store.session() as s:
        s.execute(
            update(BatchRow)
            .where(
                BatchRow.id == c.row_id,
                BatchRow.state == BatchState.SUBMITTING.value,
                BatchRow.claimed_by == run.me,
            )
            .values(state=BatchState.PLANNED.value, claimed_by=None, attempts=BatchRow.attempts - 1)
        )


# ---------------------------------------------------------------------------------- submitting


async def _db(fn: Callable[..., T], *args: Any) -> T:
    """Run a (short, committed) store call in a thread: the other workers' requests go on meanwhile."""
    return await asyncio.to_thread(fn, *args)


def _batch(run: _Run, c: _Claimed) -> Batch:
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


async def _submit(run: _Run, c: _Claimed) -> None:
    if not c.recipients:  # everyone in it unsubscribed since planning
        await _db(
            _record_accepted,
            run,
            c,
            SendResult(accepted=True, detail="no recipient left to send to"),
            0,
        )
        return
    try:
        batch = _batch(run, c)
    except BaseException:
        if not c.recovered:
            await _db(_release, run, c)  # nothing was sent: the batch goes back to the plan
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
                    _record_end,
                    run,
                    c,
                    BatchState.IN_DOUBT,
                    f"{what} (the request may have been sent)",
                )
            else:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                await _db(_record_end, run, c, BatchState.FAILED, what + tries)
            return
        except Exception as exc:  # noqa: BLE001 - a bug or a network fault: the request may be out
            await _db(
                _record_end,
                run,
                c,
                BatchState.IN_DOUBT,
                f"{name}: unexpected {type(exc).__name__}: {exc}",
            )
            return
        if result.accepted:
            await _db(_record_accepted, run, c, result, attempt + 1)
            run.accepted += len(c.recipients)
            if run.progress:
                run.progress(run.accepted, len(c.recipients))
        else:
            await _db(
                _record_end,
                run,
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
    token = uuid.uuid4().hex[:12]
    me = f"{_HOST}:{os.getpid()}:{token}"
    _ACTIVE_RUNS.add(token)
    try:
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
    finally:
        _ACTIVE_RUNS.discard(token)
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
            job.finished_at = job.finished_at or _now()
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
