"""The send ledger's committed state transitions: claiming a batch and recording the answer.

Every state change is committed on its own, in this order, so a crash at any moment is recoverable:

    batch      planned --claim (committed BEFORE the request)--> submitting --answer--> accepted | failed | in_doubt
    recipient  pending --(with their batch's claim)-----------> submitting --answer--> accepted | failed | in_doubt
                                                                             \\--never handed over--> pending, in a new batch

A batch is how we talk to a provider; a recipient is what we account for. Every recording checks
that the batch is still this sender's (``claimed_by = me``): a sender presumed dead whose answer
arrives late never overwrites what another sender did since, but its definite answer still settles
recipients that were only held in doubt. Each function here opens and commits its own transaction;
none sends anything.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrc_outreach.models import BatchState, RecipientState, SendResult
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    BatchRow,
    SendJobRow,
    SendRecipientRow,
    SubscriberRow,
    SuppressionRow,
    utcnow,
)

log = logging.getLogger(__name__)

PENDING = RecipientState.PENDING.value
SUBMITTING = RecipientState.SUBMITTING.value
ACCEPTED = RecipientState.ACCEPTED.value
FAILED = RecipientState.FAILED.value
IN_DOUBT = RecipientState.IN_DOUBT.value
SUPPRESSED = RecipientState.SUPPRESSED.value
# a batch whose answer may still be recorded by the sender that claimed it
_HELD = (BatchState.SUBMITTING.value, BatchState.IN_DOUBT.value)

# Core executemany by primary key: one batch's message ids (up to 2,000 rows) in one call.
_RCPT = cast(Table, SendRecipientRow.__table__)
# Only recipients still open (submitting, or in doubt since) take an answer; no IN list, which
# executemany cannot expand.
_OPEN = or_(_RCPT.c.state == SUBMITTING, _RCPT.c.state == IN_DOUBT)
_SET_MESSAGE_ID = (
    update(_RCPT)
    .where(_RCPT.c.id == bindparam("rid"), _OPEN)
    .values(state=ACCEPTED, message_id=bindparam("mid"))
)
_SET_OUTCOME = (
    update(_RCPT)
    .where(_RCPT.c.id == bindparam("rid"), _OPEN)
    .values(state=bindparam("state"), note=bindparam("note"), message_id=None)
)


@dataclass
class Claimed:
    """A batch this sender holds in ``submitting``, with the recipients it is to be sent to."""

    row_id: int
    seq: int
    lang: str
    key: str
    recipients: list[tuple[int, int, str, str]]  # (row id, subscriber id, email, name)
    recovered: bool = False  # left mid-request by a sender now gone: it may be out already
    first_sent_at: datetime = field(default_factory=utcnow)  # the idempotency key's first use


def rowcount(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult; typed as Result by SQLAlchemy's session API)."""
    return int(result.rowcount)


# ----------------------------------------------------------------------------------- claiming


def _claim_recipients(s: Session, batch_id: int) -> list[tuple[int, int, str, str]]:
    """The batch's recipients who may still be mailed, now ``submitting``; the others are marked
    suppressed. One query reads each person's current consent and suppression: someone who
    unsubscribed, bounced or was erased since planning is not mailed."""
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
        .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state == PENDING)
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
        gone.append({"id": rid, "state": SUPPRESSED, "note": why})
    if gone:
        s.execute(update(SendRecipientRow), gone)
    s.execute(
        update(SendRecipientRow)
        .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state == PENDING)
        .values(state=SUBMITTING, attempts=SendRecipientRow.attempts + 1)
    )
    return keep


def load_recipients(
    s: Session, batch_id: int, states: tuple[str, ...]
) -> list[tuple[int, int, str, str]]:
    """The batch's recipients in ``states``, as planned (no consent or suppression re-check)."""
    return [
        tuple(r)
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


def claim_next(store: Store, job_id: int, me: str) -> Claimed | None:
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
            now = utcnow()
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
            if rowcount(done) != 1:  # another sender won it between our SELECT and UPDATE
                continue
            recipients = _claim_recipients(s, bid)
            return Claimed(
                row_id=bid, seq=seq, lang=lang, key=key, recipients=recipients, first_sent_at=now
            )


def renew_claims(store: Store, me: str) -> int:
    """Keep this sender's claims alive (it is waiting, not dead); how many it holds."""
    with store.session() as s:
        return rowcount(
            s.execute(
                update(BatchRow)
                .where(BatchRow.claimed_by == me, BatchRow.state == BatchState.SUBMITTING.value)
                .values(claimed_at=utcnow())
            )
        )


# ---------------------------------------------------------------------------------- recording


def _take_answer(s: Session, c: Claimed, me: str, values: dict[str, Any]) -> bool:
    """Move the batch to its answer if it is still ours; False (and nothing changed) otherwise.

    Ours: claimed by ``me`` and still ``submitting``, or ``in_doubt`` since (another sender
    presumed us dead and held it for a person): a definite answer settles that doubt.
    """
    taken = s.execute(
        update(BatchRow)
        .where(BatchRow.id == c.row_id, BatchRow.claimed_by == me, BatchRow.state.in_(_HELD))
        .values(**values)
    )
    if rowcount(taken) == 1:
        return True
    log.warning(
        "batch %s: the answer arrived after another sender took the batch over; it is left to "
        "that sender (recorded: %s)",
        c.seq,
        values.get("state"),
    )
    return False


def recipients_to(
    s: Session, batch_id: int, state: str, *, from_states: tuple[str, ...], note: str | None = None
) -> None:
    """Move the batch's recipients in ``from_states`` to ``state`` (in the caller's transaction)."""
    values: dict[str, Any] = {"state": state}
    if note is not None:
        values["note"] = note
    s.execute(
        update(SendRecipientRow)
        .where(SendRecipientRow.batch_id == batch_id, SendRecipientRow.state.in_(from_states))
        .values(**values)
    )


def record_outcome(
    store: Store,
    c: Claimed,
    me: str,
    result: SendResult,
    requests: int,
    *,
    max_recipients: int,
    max_attempts: int = 6,
) -> bool:
    """The provider answered the batch: each recipient is accepted (with their message id), failed,
    in doubt, or, when never handed over, pending again in a new batch, unless they were already
    tried ``max_attempts`` times (a relay refusing them for ever): then failed, for a person. False
    when the batch was no longer this sender's (nothing recorded)."""
    by_sub = {sub: rid for rid, sub, _e, _n in c.recipients}
    for attempt in range(5):
        try:
            with store.session() as s:
                if not _take_answer(
                    s,
                    c,
                    me,
                    {
                        "state": BatchState.ACCEPTED.value,
                        "finished_at": utcnow(),
                        "error": None,
                        "response": {
                            "detail": result.detail[:500],
                            "message_ids": len(result.message_ids),
                            "requests": requests,
                            "first_sent_at": c.first_sent_at.isoformat(),
                        },
                    },
                ):
                    return False
                _record_recipients(
                    s, store.dialect, c, result, by_sub, max_recipients, max_attempts
                )
                return True
        except IntegrityError:  # two senders numbered a new batch alike: number it again
            if attempt == 4:
                raise
    return False


def _record_recipients(
    s: Session,
    dialect: str,
    c: Claimed,
    result: SendResult,
    by_sub: dict[int, int],
    max_recipients: int,
    max_attempts: int,
) -> None:
    result = _give_up_on_the_tried(s, result, by_sub, max_attempts)
    outcomes = [
        {"rid": by_sub[sub], "state": state, "note": reason[:500]}
        for state, reasons in (
            (FAILED, result.failed),
            (IN_DOUBT, result.in_doubt),
            (PENDING, result.not_sent),
        )
        for sub, reason in reasons.items()
        if sub in by_sub
    ]
    if outcomes:
        s.execute(_SET_OUTCOME, outcomes)
    settled = {sub for d in (result.failed, result.in_doubt, result.not_sent) for sub in d}
    with_ids = [
        {"rid": by_sub[sub], "mid": mid[:300]}
        for sub, mid in result.message_ids.items()
        if sub in by_sub and sub not in settled
    ]
    if with_ids and dialect == "postgresql":
        # one statement for the whole batch: executemany is a round trip per row on psycopg
        s.execute(
            text(
                "UPDATE send_recipients AS r SET state = 'accepted', message_id = v.mid "
                "FROM unnest(CAST(:rids AS integer[]), CAST(:mids AS varchar[])) AS v(rid, mid) "
                "WHERE r.id = v.rid AND r.state IN ('submitting', 'in_doubt')"
            ),
            {"rids": [w["rid"] for w in with_ids], "mids": [w["mid"] for w in with_ids]},
        )
    elif with_ids:
        s.execute(_SET_MESSAGE_ID, with_ids)
    if len(outcomes) + len(with_ids) < len(by_sub):
        # everyone else the provider took without a message id of their own
        recipients_to(s, c.row_id, ACCEPTED, from_states=(SUBMITTING, IN_DOUBT))
    not_sent = [by_sub[sub] for sub in result.not_sent if sub in by_sub]
    if not_sent:
        job_id = s.scalar(select(BatchRow.job_id).where(BatchRow.id == c.row_id))
        assert job_id is not None
        rebatch(s, job_id, [(rid, c.lang) for rid in not_sent], max_recipients)


def _give_up_on_the_tried(
    s: Session, result: SendResult, by_sub: dict[int, int], max_attempts: int
) -> SendResult:
    """``result`` with the "not sent" recipients already tried ``max_attempts`` times moved to
    failed: a temporary refusal that never ends (a full mailbox, a relay's 4xx on RCPT) would
    otherwise be put into a new batch, claimed and refused again, without end."""
    rids = [by_sub[sub] for sub in result.not_sent if sub in by_sub]
    if not rids:
        return result
    tried = dict(
        s.execute(
            select(SendRecipientRow.id, SendRecipientRow.attempts).where(
                SendRecipientRow.id.in_(rids)
            )
        )
        .tuples()
        .all()
    )
    spent = {
        sub
        for sub in result.not_sent
        if sub in by_sub and tried.get(by_sub[sub], 0) >= max_attempts
    }
    if not spent:
        return result
    failed = dict(result.failed)
    for sub in spent:
        failed[sub] = f"not sent after {tried[by_sub[sub]]} attempts: {result.not_sent[sub]}"
    not_sent = {sub: why for sub, why in result.not_sent.items() if sub not in spent}
    return result.model_copy(update={"failed": failed, "not_sent": not_sent})


def record_end(store: Store, c: Claimed, me: str, state: BatchState, error: str) -> bool:
    """The batch ends ``failed`` or ``in_doubt`` with ``error``, and so do its recipients still
    ``submitting``. False when the batch was no longer this sender's."""
    with store.session() as s:
        if not _take_answer(
            s, c, me, {"state": state.value, "finished_at": utcnow(), "error": error[:2000]}
        ):
            return False
        recipients_to(s, c.row_id, state.value, from_states=(SUBMITTING,), note=error[:500])
        return True


def release(store: Store, c: Claimed, me: str) -> None:
    """Nothing was sent: the batch ``me`` claimed goes back to the plan, its attempt not counted."""
    with store.session() as s:
        back = s.execute(
            update(BatchRow)
            .where(
                BatchRow.id == c.row_id,
                BatchRow.state == BatchState.SUBMITTING.value,
                BatchRow.claimed_by == me,
            )
            .values(state=BatchState.PLANNED.value, claimed_by=None, attempts=BatchRow.attempts - 1)
        )
        if rowcount(back) == 1:
            s.execute(
                update(SendRecipientRow)
                .where(SendRecipientRow.batch_id == c.row_id, SendRecipientRow.state == SUBMITTING)
                .values(state=PENDING, attempts=SendRecipientRow.attempts - 1)
            )


# ------------------------------------------------------------------------------- new batches


def rebatch(
    s: Session, job_id: int, rows: Sequence[tuple[int, str]], max_recipients: int
) -> list[int]:
    """Put recipients (row id, message language) into new planned batches of the job, each with
    its own idempotency key; the rows become ``pending``. Their earlier batches keep their history.
    The caller's transaction holds it. The job's row is locked first (PostgreSQL; SQLite writes
    one at a time anyway), so senders numbering new batches at once take turns instead of
    colliding on the same ``seq`` until their retries run out."""
    from hrc_outreach.deliver.planner import idempotency_key  # planner builds on this module

    if not rows:
        return []
    job = s.get(SendJobRow, job_id, with_for_update=True)
    assert job is not None
    by_lang: dict[str, list[int]] = defaultdict(list)
    for rid, lang in rows:
        by_lang[lang].append(rid)
    seq = int(s.scalar(select(func.max(BatchRow.seq)).where(BatchRow.job_id == job_id)) or 0)
    made: list[int] = []
    for lang in sorted(by_lang):
        rids = sorted(by_lang[lang])
        for start in range(0, len(rids), max(1, max_recipients)):
            chunk = rids[start : start + max_recipients]
            seq += 1
            bid = s.scalar(
                insert(BatchRow)
                .values(
                    job_id=job_id,
                    seq=seq,
                    lang=lang,
                    state=BatchState.PLANNED.value,
                    idempotency_key=idempotency_key(job_id, seq, job.edition_key),
                    attempts=0,
                    size=len(chunk),
                    response={},
                )
                .returning(BatchRow.id)
            )
            assert bid is not None
            _move(s, chunk, bid)
            made.append(bid)
    return made


def _move(s: Session, rids: Iterable[int], batch_id: int) -> None:
    s.execute(
        update(_RCPT)
        .where(_RCPT.c.id == bindparam("rid"))
        .values(batch_id=batch_id, state=PENDING, message_id=None),
        [{"rid": rid} for rid in rids],
    )
