"""Batches a dead sender left mid-request: who is gone, and what may safely be sent again.

A sender names itself ``host:pid:token`` in ``claimed_by`` and renews ``claimed_at`` on every
batch it holds every quarter of ``[delivery] claim_lease_seconds`` (also while it waits out a long
Retry-After). Liveness is judged by that lease alone (a process id can be reused, a host name
shared): a claim not renewed for a lease belongs to a dead sender. Within one process a run that
has ended is known to be gone at once.

A batch found in ``submitting`` whose sender is gone was interrupted mid-request: nobody knows
whether the provider took it. With an idempotent provider (Brevo), within the provider's own key
window, it is sent again with the SAME idempotency key, so the provider drops the repeat; otherwise
it is held ``in_doubt``, looked up in the provider's log where it offers one, and else left to a
person (:func:`~hrc_outreach.deliver.ledger.resolve_in_doubt`), never blindly resent.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from hrc_outreach.deliver.base import Provider
from hrc_outreach.deliver.recording import (
    IN_DOUBT,
    SUBMITTING,
    Claimed,
    load_recipients,
    recipients_to,
    rowcount,
)
from hrc_outreach.models import BatchState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, utcnow

_HOST = socket.gethostname()
_ACTIVE_RUNS: set[str] = set()  # run tokens of senders alive in this process
LEASE_SECONDS = 120.0  # the default of [delivery] claim_lease_seconds


def key_window(provider: Provider) -> float:
    """Seconds the provider remembers an idempotency key (0 when it has none)."""
    if not getattr(provider, "idempotent", False):
        return 0.0
    return float(getattr(provider, "idempotency_window_seconds", 0.0))


def sender_gone(
    claimed_by: str | None, claimed_at: datetime | None, lease: float = LEASE_SECONDS
) -> bool:
    """True when the sender that claimed a batch can no longer be working on it."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_s, _, token = rest.partition(":")
    if host == _HOST and pid_s == str(os.getpid()) and token not in _ACTIVE_RUNS:
        return True  # a run of this very process that has ended
    if claimed_at is None:
        return True
    return claimed_at < utcnow() - timedelta(seconds=lease)


@contextmanager
def active_sender() -> Iterator[str]:
    """This run's name for ``claimed_by`` (``host:pid:token``), alive until the block ends."""
    token = uuid.uuid4().hex[:12]
    me = f"{_HOST}:{os.getpid()}:{token}"
    _ACTIVE_RUNS.add(token)
    try:
        yield me
    finally:
        _ACTIVE_RUNS.discard(token)


def _still_held(batch_id: int, by: str | None) -> ColumnElement[bool]:
    """The batch, still mid-request under ``by``'s claim: no other sender has taken it since."""
    return and_(
        BatchRow.id == batch_id,
        BatchRow.state == BatchState.SUBMITTING.value,
        BatchRow.claimed_by == by,
    )


def first_use(response: dict[str, object] | None, claimed_at: datetime | None) -> datetime:
    first = (response or {}).get("first_sent_at")
    if isinstance(first, str):
        return datetime.fromisoformat(first)
    return claimed_at or utcnow()


def recover(
    store: Store, job_id: int, me: str, provider: Provider, *, lease: float = LEASE_SECONDS
) -> list[Claimed]:
    """Deal with batches left in ``submitting`` by a sender that is gone (a crash mid-request).

    Idempotent provider, within its key window: re-claimed here, to be resent with the same key
    and the same recipients. Otherwise: held as ``in_doubt``.
    """
    out: list[Claimed] = []
    window = key_window(provider)
    for bid, seq, lang, key, by, at, response in _stuck(store, job_id):
        if not sender_gone(by, at, lease):
            continue  # another sender is still on it
        first_at = first_use(response, at)
        # resend only if the key will still be remembered when the request arrives
        if window and first_at > utcnow() - timedelta(seconds=window - 30):
            taken = _take_over(store, bid, by, me)
            if taken is not None:
                out.append(Claimed(bid, seq, lang, key, taken, True, first_at))
            continue
        why = (
            f"interrupted mid-request ({by}); {provider.name} has no idempotency key, so it "
            "may or may not have been sent"
            if not window
            else f"interrupted mid-request ({by}) longer ago than {provider.name} keeps "
            "idempotency keys"
        )
        _hold_in_doubt(store, bid, by, why)
    return out


def _stuck(store: Store, job_id: int) -> list[Any]:
    """The job's batches in ``submitting``, with who claimed them, when, and the first use."""
    with store.session() as s:
        return list(
            s.execute(
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
        )


def _take_over(
    store: Store, batch_id: int, by: str | None, me: str
) -> list[tuple[int, int, str, str]] | None:
    """Claim a dead sender's batch for ``me``: its recipients as first sent (no suppression
    re-check: the resend must carry exactly the first payload), or None if another took it."""
    with store.session() as s:
        taken = s.execute(
            update(BatchRow)
            .where(_still_held(batch_id, by))
            .values(claimed_by=me, claimed_at=utcnow(), attempts=BatchRow.attempts + 1)
        )
        if rowcount(taken) != 1:
            return None
        return load_recipients(s, batch_id, (SUBMITTING,))


def _hold_in_doubt(store: Store, batch_id: int, by: str | None, why: str) -> None:
    with store.session() as s:
        taken = s.execute(
            update(BatchRow)
            .where(_still_held(batch_id, by))
            .values(state=BatchState.IN_DOUBT.value, error=why, finished_at=utcnow())
        )
        if rowcount(taken) == 1:
            recipients_to(s, batch_id, IN_DOUBT, from_states=(SUBMITTING,), note=why)
