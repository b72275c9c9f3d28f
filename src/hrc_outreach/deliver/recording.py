"""The send ledger's committed state transitions: claiming a batch and recording the answer.

Every state change is committed on its own, in this order, so a crash at any moment is recoverable:

    planned --claim (committed BEFORE the request)--> submitting --answer--> accepted | failed | in_doubt

Each function here opens and commits its own transaction; none sends anything. A batch the
sender let go before any request (:func:`release`) goes back to ``planned``; ``accepted`` batches
are never claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from hrc_outreach.models import BatchState, SendResult
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    BatchRow,
    SendRecipientRow,
    SubscriberRow,
    SuppressionRow,
    utcnow,
)

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


@dataclass
class Claimed:
    """A batch this sender holds in ``submitting``, with the recipients it is to be sent to."""

    row_id: int
    seq: int
    lang: str
    key: str
    recipients: list[tuple[int, int, str, str]]  # (row id, subscriber id, email, name)
    recovered: bool = False  # left mid-request by a sender now gone: it may be out already


def rowcount(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult; typed as Result by SQLAlchemy's session API)."""
    return int(result.rowcount)


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


def load_recipients(
    s: Session, batch_id: int, states: tuple[str, ...]
) -> list[tuple[int, int, str, str]]:
    """The batch's recipients in ``states``, as planned (no consent or suppression re-check)."""
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
            return Claimed(row_id=bid, seq=seq, lang=lang, key=key, recipients=recipients)


# ---------------------------------------------------------------------------------- recording


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


def record_accepted(store: Store, c: Claimed, result: SendResult, requests: int) -> None:
    """The provider took the batch: it and its recipients (with their message ids) are accepted."""
    with store.session() as s:
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == c.row_id)
            .values(
                state=BatchState.ACCEPTED.value,
                finished_at=utcnow(),
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
        if with_ids and store.dialect == "postgresql":
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
            recipients_to(s, c.row_id, "accepted", from_states=("planned", "in_doubt"))
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


def record_end(store: Store, c: Claimed, state: BatchState, error: str) -> None:
    """The batch ends ``failed`` or ``in_doubt`` with ``error``; so do its planned recipients."""
    with store.session() as s:
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == c.row_id)
            .values(state=state.value, finished_at=utcnow(), error=error[:2000])
        )
        recipients_to(s, c.row_id, state.value, from_states=("planned",))


def release(store: Store, c: Claimed, me: str) -> None:
    """Nothing was sent: the batch ``me`` claimed goes back to the plan, its attempt not counted."""
    with store.session() as s:
        s.execute(
            update(BatchRow)
            .where(
                BatchRow.id == c.row_id,
                BatchRow.state == BatchState.SUBMITTING.value,
                BatchRow.claimed_by == me,
            )
            .values(state=BatchState.PLANNED.value, claimed_by=None, attempts=BatchRow.attempts - 1)
        )
