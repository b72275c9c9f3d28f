"""Notices sent at most once: claimed in the store before sending, then marked sent or failed.

Two processes (two daily runs, two staff shells) racing for the same notice both try to insert its
key; the primary key lets exactly one win, on every engine. A failed notice can be claimed again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hrc_outreach.store.db import Store
from hrc_outreach.store.tables import NoticeRow


def claim_notice(store: Store, key: str, kind: str, detail: dict[str, Any] | None = None) -> bool:
    """Claim ``key`` (committed at once); False if it was claimed or sent already."""
    try:
        with store.session() as s:
            s.execute(delete(NoticeRow).where(NoticeRow.key == key, NoticeRow.state == "failed"))
            s.add(NoticeRow(key=key, kind=kind, detail=detail or {}, at=datetime.now(UTC)))
        return True
    except IntegrityError:
        return False


def settle_notice(
    store: Store, key: str, *, sent: bool, detail: dict[str, Any] | None = None
) -> None:
    """Record how a claimed notice went: ``sent``, or ``failed`` (so a later run may retry it)."""
    with store.session() as s:
        row = s.get(NoticeRow, key)
        if row is not None:
            row.state = "sent" if sent else "failed"
            row.detail = {**(row.detail or {}), **(detail or {})}
            row.at = datetime.now(UTC)


def notices(store: Store, prefix: str) -> list[NoticeRow]:
    """The notices whose key starts with ``prefix``, oldest first."""
    with store.session() as s:
        return list(
            s.scalars(
                select(NoticeRow).where(NoticeRow.key.startswith(prefix)).order_by(NoticeRow.at)
            )
        )
