"""Batches a dead sender left mid-request: who is gone, and what may safely be sent again.

A batch found in ``submitting`` whose sender is gone was interrupted mid-request: nobody knows
whether the provider took it. With an idempotent provider (Brevo) it is sent again with the SAME
idempotency key, so the provider drops the repeat; otherwise it is held as ``in_doubt`` for a person
(:func:`~hrc_outreach.deliver.ledger.resolve_in_doubt`), never blindly resent.

Brevo keeps idempotency keys for 15-30 minutes only: a batch first sent longer ago than
:data:`IDEMPOTENCY_WINDOW_SECONDS` is held as ``in_doubt`` too, since a resend could duplicate it.

A sender names itself ``host:pid:token`` in ``claimed_by``. On this host it is gone when its
process is (or, in this process, when its run ended); on another host, when its claim is older
than :data:`LEASE_SECONDS`.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update

from hrc_outreach.deliver.base import Provider
from hrc_outreach.deliver.recording import Claimed, load_recipients, recipients_to, rowcount
from hrc_outreach.models import BatchState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, utcnow

_HOST = socket.gethostname()
_ACTIVE_RUNS: set[str] = set()  # run tokens of senders alive in this process
LEASE_SECONDS = 600.0  # a sender on another host silent this long is presumed dead
IDEMPOTENCY_WINDOW_SECONDS = 900.0  # Brevo keeps keys 15-30 min: past that a resend could duplicate


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


def recover(store: Store, job_id: int, me: str, provider: Provider) -> list[Claimed]:
    """Deal with batches left in ``submitting`` by a sender that is gone (a crash mid-request).

    Idempotent provider, within its key window: re-claimed here, to be resent with the same key
    and the same recipients. Otherwise: held as ``in_doubt`` for a person to decide.
    """
    out: list[Claimed] = []
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
            fresh = first_at is not None and first_at > utcnow() - window
            if provider.idempotent and fresh:
                taken = s.execute(
                    update(BatchRow)
                    .where(_still_held(bid, by))
                    .values(claimed_by=me, claimed_at=utcnow(), attempts=BatchRow.attempts + 1)
                )
                if rowcount(taken) == 1:
                    # No suppression re-check: the resend must carry exactly the first payload.
                    out.append(
                        Claimed(bid, seq, lang, key, load_recipients(s, bid, ("planned",)), True)
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
                .where(_still_held(bid, by))
                .values(state=BatchState.IN_DOUBT.value, error=why, finished_at=utcnow())
            )
            if rowcount(taken) == 1:
                recipients_to(s, bid, "in_doubt", from_states=("planned",))
    return out
