"""A rate limit in plain asyncio (Prefect's ``rate_limit`` costs seconds per call, FACTS.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from hrc_outreach.retrying import RetryPolicy


class Throttle:
    """At most ``rate`` requests per second over all workers, plus a shared pause after a 429.

    >>> t = Throttle(rate=5.0)  # doctest: +SKIP
    >>> await t.wait()          # doctest: +SKIP
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for the next free slot (and for any pause the provider asked for)."""
        async with self._lock:
            now = self._clock()
            start = max(now, self._next, self._paused_until)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """The provider said "retry after": every worker holds back, not only the one told."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


def backoff(
    attempt: int, *, base: float, cap: float = 60.0, retry_after: float | None = None
) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): the one policy of
    :mod:`hrc_outreach.retrying` (Retry-After when given, else exponential with full jitter).

    >>> backoff(0, base=0.5, retry_after=2.0)
    2.0
    """
    return RetryPolicy(base=base, cap=cap).delay(attempt, retry_after=retry_after)
