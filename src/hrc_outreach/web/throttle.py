"""Fixed-window request counters in the store (table ``web_throttle``), so every uvicorn worker
and every host behind the proxy counts the same client together. The key holds a hash of the
client address, never the address.

>>> allow(session, "subscribe", "203.0.113.7", limit=5, window_seconds=600)   # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrc_outreach.store.tables import WebThrottleRow

# The subscribe form: this many requests per client address and window.
SUBSCRIBE_LIMIT = 5
SUBSCRIBE_WINDOW_SECONDS = 600


def throttle_key(action: str, client: str) -> str:
    digest = hashlib.sha256(f"hrc-throttle\0{client}".encode()).hexdigest()[:40]
    return f"{action}:{digest}"


def allow(
    session: Session,
    action: str,
    client: str,
    *,
    limit: int,
    window_seconds: float,
    now: datetime | None = None,
) -> bool:
    """Count one request of ``client`` for ``action``; False once ``limit`` is passed in the
    current window. Commits (a count must hold even when the request fails afterwards)."""
    key = throttle_key(action, client)
    current = now or datetime.now(UTC)
    expired = current - timedelta(seconds=window_seconds)
    restart = WebThrottleRow.window_start <= expired
    # One atomic UPDATE (no read-modify-write race between workers), an INSERT the first time.
    bump = (
        update(WebThrottleRow)
        .where(WebThrottleRow.key == key)
        .values(
            count=case((restart, 1), else_=WebThrottleRow.count + 1),
            window_start=case((restart, current), else_=WebThrottleRow.window_start),
        )
        .returning(WebThrottleRow.count)
    )
    for _attempt in range(3):
        count = session.execute(bump).scalar()
        if count is None:
            try:
                session.add(WebThrottleRow(key=key, window_start=current, count=1))
                session.commit()
            except IntegrityError:  # another worker inserted the same key first: count again
                session.rollback()
                continue
            return limit >= 1
        session.commit()
        return int(count) <= limit
    return False


def prune(session: Session, *, older_than_seconds: float, now: datetime | None = None) -> int:
    """Delete windows that ended long ago; the number of rows deleted."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=older_than_seconds)
    result = session.execute(delete(WebThrottleRow).where(WebThrottleRow.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
