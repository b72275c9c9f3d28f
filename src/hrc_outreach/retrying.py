"""One retry policy for everything that talks to another server: fetching sources, email providers
and translators. It answers three questions the callers used to answer three different ways:

- what an answer means (:func:`classify`): safe to try again, permanent, or in doubt (the
  request may have been acted on: only an idempotency key makes a second one harmless);
- how long to wait (:meth:`RetryPolicy.delay`): the server's ``Retry-After`` when it gives one
  (seconds or an HTTP date; a reset header may also be an epoch or ISO 8601 time), else exponential backoff with full jitter,
  both capped;
- when to stop (:meth:`RetryPolicy.gives_up`): after ``attempts`` tries, or when the next try
  would start past a deadline.

Retrying happens here, below the callers, exactly once: flows do not add task retries on top.

>>> policy = RetryPolicy(attempts=3, base=0.5)
>>> classify(503, {"Retry-After": "2"})
<Verdict.RETRY: 'retry'>
>>> classify(502, {})
<Verdict.IN_DOUBT: 'in_doubt'>
>>> policy.delay(0, retry_after=2.0)
2.0
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

# Answers that say the server took nothing and the same request may simply be sent again.
RETRY_STATUSES = frozenset({408, 429})
# 5xx that follow a refusal, not an acceptance, when the server says when to come back.
_REFUSING_5XX_WITH_RETRY_AFTER = frozenset({503})


class Verdict(StrEnum):
    OK = "ok"
    RETRY = "retry"  # nothing was taken: the same request may be sent again
    PERMANENT = "permanent"  # retrying will not help (4xx, a bad URL, a refused encoding...)
    IN_DOUBT = "in_doubt"  # the server may have acted on it (5xx, an answer lost after sending)


def retry_after(headers: Mapping[str, str], extra: Iterable[str] = ()) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or a provider's reset
    header in ``extra`` (seconds, a Unix timestamp, an HTTP date or an ISO 8601 time). None if
    absent. ``Retry-After`` in seconds is always seconds, however large (callers cap the wait):
    only a reset header may be a timestamp, and only when it looks like one (after 2001).

    >>> retry_after({"Retry-After": "7"})
    7.0
    >>> retry_after({"Retry-After": "100000"})
    100000.0
    >>> retry_after({}) is None
    True
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", *(e.lower() for e in extra)):
        raw = lowered.get(name)
        if raw is None:
            continue
        value = _seconds(raw.strip(), reset=name != "retry-after")
        if value is not None:
            return max(0.0, value)
    return None


_EPOCH_FLOOR = 1_000_000_000.0  # 2001-09-09: a reset header above this is a Unix timestamp


def _seconds(raw: str, *, reset: bool) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return value - time.time() if reset and value >= _EPOCH_FLOOR else value
    try:
        return parsedate_to_datetime(raw).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        pass
    if reset:
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp() - time.time()
    return None


def classify(status: int, headers: Mapping[str, str], *, idempotent_reads: bool = False) -> Verdict:
    """What an HTTP answer means for a retry.

    ``idempotent_reads``: the request only reads (a GET of a feed or a look-up), so a 5xx can
    never have changed anything and is safe to retry.
    """
    if 200 <= status < 400:
        return Verdict.OK
    if status in RETRY_STATUSES:
        return Verdict.RETRY
    if status in _REFUSING_5XX_WITH_RETRY_AFTER and retry_after(headers) is not None:
        return Verdict.RETRY
    if status >= 500:
        return Verdict.RETRY if idempotent_reads else Verdict.IN_DOUBT
    return Verdict.PERMANENT


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries, how long between them, and the cap on any single wait."""

    attempts: int = 4  # tries in all, the first included
    base: float = 0.5  # the first backoff is up to this many seconds, doubling each time
    cap: float = 60.0  # no single wait longer than this (a server's Retry-After included)

    def delay(self, attempt: int, *, retry_after: float | None = None) -> float:
        """Seconds before try ``attempt + 1`` (``attempt`` is 0-based): Retry-After when given,
        else exponential with full jitter so many clients do not retry in step."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.cap)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))

    def gives_up(self, attempt: int, *, wait: float = 0.0, deadline: float | None = None) -> bool:
        """True when try ``attempt`` (0-based) was the last: out of tries, or the next one would
        start after ``deadline`` (a ``time.monotonic``-like value, compared with ``now + wait``)."""
        if attempt + 1 >= self.attempts:
            return True
        return deadline is not None and time.monotonic() + wait >= deadline
