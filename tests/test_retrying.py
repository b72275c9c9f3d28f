"""The one retry policy: what an answer means, how long to wait, when to stop."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from hrc_outreach.retrying import RetryPolicy, Verdict, classify, retry_after


@pytest.mark.parametrize(
    ("status", "headers", "reads", "verdict"),
    [
        (200, {}, False, Verdict.OK),
        (304, {}, True, Verdict.OK),
        (429, {}, False, Verdict.RETRY),
        (408, {}, False, Verdict.RETRY),
        (503, {"Retry-After": "5"}, False, Verdict.RETRY),
        (503, {}, False, Verdict.IN_DOUBT),  # a 503 without a hint may follow acceptance
        (500, {}, False, Verdict.IN_DOUBT),
        (502, {}, False, Verdict.IN_DOUBT),
        (504, {}, False, Verdict.IN_DOUBT),
        (502, {}, True, Verdict.RETRY),  # a read changes nothing: safe to try again
        (400, {}, False, Verdict.PERMANENT),
        (401, {}, True, Verdict.PERMANENT),
        (404, {}, True, Verdict.PERMANENT),
        (422, {}, False, Verdict.PERMANENT),
    ],
)
def test_classify(status: int, headers: dict[str, str], reads: bool, verdict: Verdict) -> None:
    assert classify(status, headers, idempotent_reads=reads) is verdict


def test_retry_after_reads_seconds_dates_and_reset_epochs() -> None:
    assert retry_after({"retry-after": " 3 "}) == 3.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # past
    assert retry_after({"Retry-After": "soon"}) is None
    reset = str(int(time.time()) + 30)
    wait = retry_after({"X-RateLimit-Reset": reset}, extra=("x-ratelimit-reset",))
    assert wait is not None and 28 <= wait <= 31
    assert retry_after({"Retry-After": "-5"}) == 0.0


def test_a_long_retry_after_in_seconds_is_a_long_wait_never_an_epoch() -> None:
    # 27 hours, and one second past a day: read as epochs before, they came out as "retry now"
    assert retry_after({"Retry-After": "100000"}) == 100000.0
    assert retry_after({"Retry-After": "86401"}) == 86401.0
    p = RetryPolicy(attempts=3, cap=60.0)
    assert p.delay(0, retry_after=retry_after({"Retry-After": "100000"})) == 60.0
    # a reset header may be seconds, an epoch, or an ISO 8601 time (Mastodon's X-RateLimit-Reset)
    extra = ("x-ratelimit-reset",)
    assert retry_after({"X-RateLimit-Reset": "90000"}, extra=extra) == 90000.0
    iso = datetime.fromtimestamp(time.time() + 40, UTC).isoformat().replace("+00:00", "Z")
    wait = retry_after({"X-RateLimit-Reset": iso}, extra=extra)
    assert wait is not None and 38 <= wait <= 41
    assert retry_after({"X-RateLimit-Reset": "tomorrow"}, extra=extra) is None


def test_delay_honours_retry_after_capped_else_jittered_backoff() -> None:
    p = RetryPolicy(attempts=5, base=0.5, cap=10.0)
    assert p.delay(0, retry_after=3.0) == 3.0
    assert p.delay(0, retry_after=3600.0) == 10.0  # a server cannot park us for an hour
    waits = [p.delay(3) for _ in range(200)]
    assert all(0 <= w <= 4.0 for w in waits) and len(set(waits)) > 100  # full jitter, 0.5 * 2**3
    assert all(p.delay(10) <= 10.0 for _ in range(50))


def test_gives_up_after_attempts_or_past_the_deadline() -> None:
    p = RetryPolicy(attempts=3)
    assert not p.gives_up(0) and not p.gives_up(1) and p.gives_up(2)
    assert p.gives_up(0, wait=5.0, deadline=time.monotonic() + 1.0)
    assert not p.gives_up(0, wait=0.1, deadline=time.monotonic() + 60.0)
