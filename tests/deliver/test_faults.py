"""A provider that answers 429 (with Retry-After) and 500 now and then, and 400 for one batch:
everyone is received exactly once, the 400 batch is failed with Brevo's own message, the rest goes on."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from hrc_outreach.deliver.ledger import job_report, retry_failed
from hrc_outreach.deliver.throttle import Throttle, backoff
from hrc_outreach.store import Store
from tests.support.brevo_sim import BrevoSim, received, request_log
from tests.support.ledger_data import email_of, planned_job
from tests.support.ledger_helpers import KEY, make_settings, send, token_secret  # noqa: F401 - fixture

N = 3000


def test_429_and_500_are_retried_until_everyone_got_it_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, retries=12)
    job_id, msgs = planned_job(store, settings, N, "brevo", ("en", "fr", "uk"), max_recipients=50)  # 60 batches
    faults = {"fraction_429": 0.20, "fraction_500": 0.05, "retry_after": 0.05, "seed": 7}
    with BrevoSim(tmp_path / "sim", **faults) as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    log = request_log(tmp_path / "sim")
    print(f"\nfaults: answers by status {dict(log)}")
    assert log[429] > 0 and log[500] > 0  # the faults did happen
    assert log[201] == 60
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(N)})
    assert report.state == "done" and report.totals.accepted == N


def test_a_400_fails_that_batch_with_the_providers_message_and_the_job_goes_on(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 200, "brevo", max_recipients=20)
    bad = email_of(45)  # in batch 2 (ids 41..60)
    with BrevoSim(tmp_path / "sim", fraction_429=0.1, retry_after=0.02, fail_400_email=bad) as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    got = received(tmp_path / "sim")
    assert len(got) == 180 and set(got.values()) == {1}
    assert all(email_of(i) not in got for i in range(40, 60))
    assert report.state == "needs_attention"
    assert report.totals.failed == 20 and report.totals.accepted == 180
    (issue,) = report.issues
    assert issue.seq == 2 and issue.state == "failed"
    assert "400" in issue.error and f"email is not valid: {bad}" in issue.error
    assert request_log(tmp_path / "sim")[400] == 1  # a 400 is not retried
    assert {m.email for m in report.missed} == {email_of(i) for i in range(40, 60)}

    # The address is fixed at the provider; a person sends the failed recipients again.
    assert retry_failed(store, job_id) == 20
    with BrevoSim(tmp_path / "sim") as sim:
        again = send(store, settings, job_id, sim, messages=msgs)
    assert again.state == "done" and job_report(store, KEY).totals.accepted == 200
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(200)})


def test_retry_after_is_honoured_before_exponential_backoff() -> None:
    assert backoff(3, base=0.5, retry_after=7.0) == 7.0
    assert 0 <= backoff(3, base=0.5) <= 4.0
    assert backoff(20, base=0.5, cap=60) <= 60


@pytest.mark.parametrize("rate", [20.0, 50.0])
def test_throttle_keeps_to_the_rate(rate: float) -> None:
    import asyncio

    async def go() -> float:
        t = Throttle(rate)
        start = time.monotonic()
        await asyncio.gather(*(t.wait() for _ in range(21)))
        return time.monotonic() - start

    elapsed = asyncio.run(go())
    assert elapsed >= 20 / rate * 0.95  # 21 requests: 20 intervals


def test_a_pause_holds_every_worker() -> None:
    import asyncio

    async def go() -> float:
        t = Throttle(1000.0)
        t.pause(0.2)
        start = time.monotonic()
        await asyncio.gather(t.wait(), t.wait())
        return time.monotonic() - start

    assert asyncio.run(go()) >= 0.19
